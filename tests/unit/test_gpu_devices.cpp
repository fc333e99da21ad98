#include <doctest/doctest.h>

#include "runtime/container.hpp"
#include "runtime/gpu_devices.hpp"

using namespace cc;
using Argv = std::vector<std::string>;

namespace {

const std::string kUuid0 = "GPU-00000000-0000-0000-0004-000000000000";
const std::string kUuid1 = "GPU-5c2e8e3a-4b1d-9f7e-0a6b-1c2d3e4f5a6b";

GpuDevice nvidia(const std::string& uuid) { return {GpuVendor::nvidia, uuid, "", ""}; }
GpuDevice amd(const std::string& render) { return {GpuVendor::amd, "0x1234abcd", "0000:03:00.0", render}; }

}  // namespace

TEST_SUITE_BEGIN("gpu devices");

TEST_CASE("NVIDIA GPUs go to podman as one CDI device per UUID") {
    CHECK(gpu_device_args(RuntimeKind::podman, {nvidia(kUuid0), nvidia(kUuid1)}).value() ==
          Argv{"--device", "nvidia.com/gpu=" + kUuid0, "--device", "nvidia.com/gpu=" + kUuid1});
}

TEST_CASE("NVIDIA GPUs go to docker as one --gpus value quoted for its CSV reader") {
    CHECK(gpu_device_args(RuntimeKind::docker, {nvidia(kUuid0), nvidia(kUuid1)}).value() ==
          Argv{"--gpus", "\"device=" + kUuid0 + "," + kUuid1 + "\""});
    CHECK(gpu_device_args(RuntimeKind::docker, {nvidia("MIG-7a1b2c3d-0000-1111-2222-333344445555")}).value() ==
          Argv{"--gpus", "\"device=MIG-7a1b2c3d-0000-1111-2222-333344445555\""});
}

TEST_CASE("an NVIDIA UUID that could break docker's CSV, CDI's name or an option is refused") {
    for (std::string bad : {"0", "GPU-", "GPU-abc,all", "GPU-abc\"", "GPU-abc def", "all", "--privileged", "GPU-abc\n", "gpu-abc",
                            "GPU-abc=x", "GPU-$(id)"}) {
        CAPTURE(bad);
        for (auto kind : {RuntimeKind::podman, RuntimeKind::docker}) {
            auto args = gpu_device_args(kind, {nvidia(bad)});
            REQUIRE_FALSE(args.has_value());
            CHECK(args.error().message.find("bad NVIDIA GPU UUID") != std::string::npos);
        }
    }
}

TEST_CASE("AMD GPUs get /dev/kfd once, each GPU's own render node, and the video group") {
    Argv expected{"--device", "/dev/kfd", "--device", "/dev/dri/renderD128", "--device", "/dev/dri/renderD129", "--group-add", "video"};
    CHECK(gpu_device_args(RuntimeKind::podman, {amd("/dev/dri/renderD128"), amd("/dev/dri/renderD129")}).value() == expected);
    CHECK(gpu_device_args(RuntimeKind::docker, {amd("/dev/dri/renderD128"), amd("/dev/dri/renderD129")}).value() == expected);
    for (std::string bad : {"", "/dev/dri/card0", "/dev/dri/renderD", "/dev/dri/renderD12a", "/dev/dri/../sda", "/dev/dri/renderD128 "}) {
        CAPTURE(bad);
        CHECK_FALSE(gpu_device_args(RuntimeKind::podman, {amd(bad)}).has_value());
    }
}

TEST_CASE("a Jetson is one whole device: CDI's all on podman, the nvidia runtime on docker") {
    GpuDevice jetson{GpuVendor::jetson, "", "", ""};
    CHECK(gpu_device_args(RuntimeKind::podman, {jetson}).value() == Argv{"--device", "nvidia.com/gpu=all"});
    CHECK(gpu_device_args(RuntimeKind::docker, {jetson}).value() == Argv{"--runtime", "nvidia"});
    CHECK_FALSE(gpu_device_args(RuntimeKind::podman, {jetson, jetson}).has_value());
}

TEST_CASE("GPUs of two vendors in one container are refused, and no GPU adds no option") {
    CHECK_FALSE(gpu_device_args(RuntimeKind::podman, {nvidia(kUuid0), amd("/dev/dri/renderD128")}).has_value());
    CHECK(gpu_device_args(RuntimeKind::podman, {}).value().empty());
}

TEST_CASE("the run argv carries the GPU options before -- and the image") {
    ContainerSpec spec;
    spec.name = "train";
    spec.owner = "alice";
    spec.image = "cuda";
    spec.gpus = {nvidia(kUuid0)};
    auto argv = run_argv(RuntimeKind::podman, spec, false).value().argv;
    REQUIRE(argv.size() >= 4);
    CHECK(Argv(argv.end() - 4, argv.end()) == Argv{"--device", "nvidia.com/gpu=" + kUuid0, "--", "cuda"});
    spec.gpus = {nvidia("GPU-x,all")};
    CHECK_FALSE(run_argv(RuntimeKind::docker, spec, false).has_value());
}

TEST_CASE("PCI bus ids from nvidia-smi and rocm-smi become sysfs addresses; anything else is refused") {
    CHECK(sysfs_pci_address("00000000:17:00.0").value() == "0000:17:00.0");
    CHECK(sysfs_pci_address("0000:C3:00.1").value() == "0000:c3:00.1");
    CHECK(sysfs_pci_address("0001:03:00.0").value() == "0001:03:00.0");
    for (std::string bad : {"", "17:00.0", "00010000:17:00.0", "0000:17:00.8", "0000:17:00.0/../../x", "0000:1g:00.0", "../0000:17:00.0",
                            "0000:17:00.0\n"}) {
        CAPTURE(bad);
        CHECK_FALSE(sysfs_pci_address(bad).has_value());
    }
}

TEST_CASE("one find looks up every GPU's render node under its own drm directory") {
    CHECK(render_node_lookup_argv({"0000:03:00.0", "00000000:C3:00.0"}).value() ==
          Argv{"find", "/sys/bus/pci/devices/0000:03:00.0/drm/", "/sys/bus/pci/devices/0000:c3:00.0/drm/", "-maxdepth", "1", "-name",
               "renderD*"});
    CHECK_FALSE(render_node_lookup_argv({"0000:03:00.0", "x"}).has_value());
    auto twice = render_node_lookup_argv({"0000:03:00.0", "00000000:03:00.0"});
    REQUIRE_FALSE(twice.has_value());
    CHECK(twice.error().message == "GPU 0000:03:00.0 asked twice");
}

TEST_CASE("the lookup's answer gives each GPU its render node in the order asked") {
    std::string output =
        "/sys/bus/pci/devices/0000:c3:00.0/drm/renderD129\n"
        "/sys/bus/pci/devices/0000:03:00.0/drm/renderD128\n";
    CHECK(parse_render_nodes({"0000:03:00.0", "0000:c3:00.0"}, output).value() == Argv{"/dev/dri/renderD128", "/dev/dri/renderD129"});
}

TEST_CASE("a lookup answer with a GPU missing, twice, or stray lines is an error naming the GPU or the line") {
    const Argv ids{"0000:03:00.0", "0000:c3:00.0"};
    auto missing = parse_render_nodes(ids, "/sys/bus/pci/devices/0000:03:00.0/drm/renderD128\n");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().message.find("GPU 0000:c3:00.0: no render node") != std::string::npos);
    auto twice = parse_render_nodes(ids,
                                    "/sys/bus/pci/devices/0000:03:00.0/drm/renderD128\n/sys/bus/pci/devices/0000:03:00.0/drm/renderD130\n");
    REQUIRE_FALSE(twice.has_value());
    CHECK(twice.error().message.find("more than one render node") != std::string::npos);
    for (std::string stray : {"/sys/bus/pci/devices/0000:03:00.0/drm/renderD128/../../x\n", "/etc/passwd\n",
                              "/sys/bus/pci/devices/0000:03:00.0/drm/renderDx\n", "find: '/sys/x': No such file\n"}) {
        CAPTURE(stray);
        auto parsed = parse_render_nodes({"0000:03:00.0"}, stray);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().message.find("unexpected line") != std::string::npos);
    }
    CHECK_FALSE(parse_render_nodes({"0000:03:00.0"}, std::string(kMaxRenderLookupBytes + 1, '\n')).has_value());
}
