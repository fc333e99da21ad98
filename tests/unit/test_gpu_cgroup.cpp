#include <doctest/doctest.h>

#include "gpu/gpu_query.hpp"

using namespace cc;

namespace {

const std::string id = "4f1d3c2b1a09e8d7c6b5a4938271605f4e3d2c1b0a9988776655443322110011";
const std::string other = "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999";

// Returns "runtime:id", "none" for no container.
std::string from(const std::string& proc_cgroup) {
    auto ref = container_from_cgroup(proc_cgroup);
    return ref ? ref->runtime + ":" + ref->id : "none";
}

}  // namespace

TEST_SUITE_BEGIN("gpu cgroup");

TEST_CASE("podman containers are found under every cgroup manager and rootless") {
    CHECK(from("0::/machine.slice/libpod-" + id + ".scope/container\n") == "podman:" + id);
    CHECK(from("0::/machine.slice/libpod-" + id + ".scope\n") == "podman:" + id);
    CHECK(from("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id + ".scope/container\n") ==
          "podman:" + id);
    CHECK(from("0::/libpod_parent/libpod-" + id + "\n") == "podman:" + id);
    CHECK(from("0::/machine.slice/machine-libpod_pod_" + other + ".slice/libpod-" + id + ".scope/container\n") ==
          "podman:" + id);
}

TEST_CASE("podman's conmon monitor is not taken for the container") {
    CHECK(from("0::/machine.slice/libpod-conmon-" + id + ".scope\n") == "none");
}

TEST_CASE("docker containers are found under systemd and cgroupfs") {
    CHECK(from("0::/system.slice/docker-" + id + ".scope\n") == "docker:" + id);
    CHECK(from("0::/docker/" + id + "\n") == "docker:" + id);
}

TEST_CASE("containerd and CRI-O containers of Kubernetes pods are found") {
    CHECK(from("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1a2b3c4d_5e6f_7081_92a3_b4c5d6e7f809"
               ".slice/cri-containerd-" + id + ".scope\n") == "containerd:" + id);
    CHECK(from("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0000.slice/crio-" + id + ".scope\n") ==
          "cri-o:" + id);
    CHECK(from("0::/system.slice/nerdctl-" + id + ".scope\n") == "containerd:" + id);
    // kubelet with the cgroupfs driver names no runtime: the id alone
    CHECK(from("0::/kubepods/besteffort/pod1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809/" + id + "\n") == ":" + id);
}

TEST_CASE("cgroup v1 files are read through all their hierarchies") {
    CHECK(from("12:cpuset:/\n11:devices:/user.slice\n4:memory:/docker/" + id + "\n1:name=systemd:/docker/" + id +
               "\n0::/system.slice/containerd.service\n") == "docker:" + id);
    CHECK(from("10:pids:/machine.slice/libpod-" + id + ".scope\n9:memory:/machine.slice/libpod-" + id + ".scope\n") ==
          "podman:" + id);
}

TEST_CASE("lines flattened with spaces by a remote script are read the same") {
    CHECK(from("12:pids:/docker/" + id + " 11:memory:/docker/" + id + " ") == "docker:" + id);
    CHECK(from("0::/init.scope ") == "none");
}

TEST_CASE("processes outside containers have none") {
    CHECK(from("0::/user.slice/user-1000.slice/session-3.scope\n") == "none");
    CHECK(from("0::/system.slice/nvidia-persistenced.service\n") == "none");
    CHECK(from("0::/\n") == "none");
    CHECK(from("") == "none");
    CHECK(from("garbage without colons") == "none");
}

TEST_CASE("ids that are not 64 lowercase hex digits are not containers") {
    CHECK(from("0::/docker/" + id.substr(1) + "\n") == "none");
    CHECK(from("0::/system.slice/docker-" + id.substr(0, 12) + ".scope\n") == "none");
    std::string upper = id;
    upper[0] = 'F';
    CHECK(from("0::/system.slice/docker-" + upper + ".scope\n") == "none");
}

TEST_CASE("for a container inside a container the outermost one is returned") {
    CHECK(from("0::/machine.slice/libpod-" + id + ".scope/container/docker/" + other + "\n") == "podman:" + id);
}

TEST_SUITE_END();
