"""Containers started with lib/runtime's run argv on real podman (through the real
binary's exec, so the one quoting path carries it): GPUs pinned by UUID through the
CDI spec `cluster up` writes on fake-GPU nodes, hostile values arriving verbatim,
and the listing parser reading what that podman prints.

The argv comes from tests/helpers/container_argv (a test-only front door to
lib/runtime), built beside the unit tests."""
import json
import os
import subprocess
import time
import unittest

from clusterlib import BIN, ClusterTestCase, require_cluster

require_cluster()

HELPER = os.environ.get("CLUSTERCTL_CONTAINER_ARGV") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(BIN))), "tests", "container_argv")
IMAGE = "localhost/busybox:latest"


def helper(*args, stdin=""):
    proc = subprocess.run([HELPER, *args], input=stdin, capture_output=True, text=True, timeout=30)
    return proc


class ContainerGpus(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.assertTrue(os.access(HELPER, os.X_OK), f"{HELPER} is not built (target container_argv)")
        gpu_nodes = [n for n in self.cluster["nodes"] if n["gpu"]]
        self.assertGreaterEqual(len(gpu_nodes), 2, "the test cluster needs two fake-GPU nodes (--gpu-nodes 2)")
        self.gpu, self.other_gpu = gpu_nodes[0]["name"], gpu_nodes[1]["name"]
        self.cpu = next(n["name"] for n in self.cluster["nodes"] if not n["gpu"])
        for name in (self.gpu, self.other_gpu, self.cpu):
            self.add(name)
        self.started = []  # (node, container) to remove

    def tearDown(self):
        for node, name in self.started:
            self.run_ctl("exec", node, "--", "podman", "rm", "-f", "-t", "0", "--", name)
        super().tearDown()

    def on(self, node, *argv):
        """Runs argv on node through `clusterctl exec -o json`: its (exit status, stdout, stderr)."""
        r = self.run_ctl("exec", node, "-o", "json", "--", *argv)
        self.assertIn(r.rc, (0, 1, 3), repr(r))
        (outcome,) = r.json()
        return outcome["exit_status"], outcome["stdout"], outcome["stderr"]

    def ok_on(self, node, *argv):
        rc, out, err = self.on(node, *argv)
        self.assertEqual(rc, 0, f"{argv} on {node}: {err}")
        return out

    def uuids(self, node):
        """The node's GPU UUIDs as its nvidia-smi lists them (not as the CDI spec does)."""
        out = self.ok_on(node, "nvidia-smi", "--query-gpu=uuid", "--format=csv,noheader")
        return [line.strip() for line in out.splitlines() if line.strip()]

    def container_name(self, tag):
        return f"ccgpu-{os.getpid()}-{tag}"

    def run_argv(self, spec):
        proc = helper("run", "podman", stdin=json.dumps(spec))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)["argv"]

    def start(self, node, spec):
        """Runs the spec's argv on node through `clusterctl exec`: (exit status, stdout, stderr)."""
        spec = {"owner": "alice", "image": IMAGE, **spec}
        self.started.append((node, spec["name"]))
        return self.on(node, *self.run_argv(spec))

    def output_of(self, node, name):
        """What the (short-lived) container printed, once it has exited 0."""
        self.assertEqual(self.ok_on(node, "podman", "wait", "--", name).strip(), "0")
        return self.ok_on(node, "podman", "logs", "--", name)

    def test_a_container_given_its_gpu_by_uuid_sees_that_gpu_and_its_device(self):
        (uuid,) = self.uuids(self.gpu)
        name = self.container_name("one")
        rc, _, err = self.start(self.gpu, {"name": name, "gpus": [uuid],
                                           "command": ["sh", "-c", "echo visible=$NVIDIA_VISIBLE_DEVICES; ls /dev/nvidia*"]})
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.output_of(self.gpu, name).split("\n")[:2], [f"visible={uuid}", "/dev/nvidia0"])

    def test_a_container_without_gpus_sees_none(self):
        name = self.container_name("none")
        rc, _, err = self.start(self.gpu, {"name": name,
                                           "command": ["sh", "-c", "echo visible=$NVIDIA_VISIBLE_DEVICES; ls /dev/nvidia* || true"]})
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.output_of(self.gpu, name).split("\n")[0], "visible=")

    def test_the_spec_names_each_gpu_by_index_too_and_both_are_the_same_gpu(self):
        (uuid,) = self.uuids(self.other_gpu)
        name = self.container_name("index")
        self.started.append((self.other_gpu, name))
        out = self.ok_on(self.other_gpu, "podman", "run", "--name", name, "--device", "nvidia.com/gpu=0",
                         "--", IMAGE, "sh", "-c", "echo $NVIDIA_VISIBLE_DEVICES")
        self.assertEqual(out.strip(), uuid)

    def test_a_gpu_of_another_node_or_on_a_node_without_gpus_fails_clearly_and_runs_nothing(self):
        (uuid,) = self.uuids(self.gpu)
        (other,) = self.uuids(self.other_gpu)
        self.assertNotEqual(other, uuid)
        for node in (self.gpu, self.cpu):
            name = self.container_name("wrong-" + node)
            rc, _, err = self.start(node, {"name": name, "gpus": [other], "command": ["true"]})
            self.assertNotEqual(rc, 0, f"{other} started on {node}")
            self.assertIn(f"unresolvable CDI devices nvidia.com/gpu={other}", err)
            # podman 4.3 leaves the container behind, created and never run: a failed start
            # must remove the name (rm -f) before the name can be used again.
            state = self.ok_on(node, "podman", "ps", "-a", "--filter", f"name=^{name}$", "--format", "{{.State}}")
            self.assertIn(state.strip(), ("", "created", "Created"))
            self.ok_on(node, "podman", "rm", "-f", "-t", "0", "--", name)
        name = self.container_name("retry")
        self.assertNotEqual(self.start(self.gpu, {"name": name, "gpus": [other], "command": ["true"]})[0], 0)
        self.ok_on(self.gpu, "podman", "rm", "-f", "-t", "0", "--", name)
        rc, _, err = self.start(self.gpu, {"name": name, "gpus": [uuid], "command": ["sh", "-c", "echo $NVIDIA_VISIBLE_DEVICES"]})
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.output_of(self.gpu, name).strip(), uuid)

    def test_hostile_env_values_labels_and_owner_arrive_verbatim(self):
        hostile = "$(touch /tmp/pwned) `id` 'q' \"dq\" ; rm -rf / \\ * ${HOME}"
        name = self.container_name("hostile")
        rc, _, err = self.start(self.gpu, {"name": name, "owner": hostile, "labels": [["note", hostile]],
                                           "env": [["V", hostile + "\nsecond line"]],
                                           "command": ["sh", "-c", 'printf "%s" "$V"']})
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.output_of(self.gpu, name), hostile + "\nsecond line")
        labels = json.loads(self.ok_on(self.gpu, "podman", "container", "inspect", "--", name))[0]["Config"]["Labels"]
        self.assertEqual((labels["note"], labels["clusterctl.owner"], labels["clusterctl.instance"]), (hostile, hostile, name))
        self.ok_on(self.gpu, "sh", "-c", "test ! -e /tmp/pwned")

    def test_a_storage_limit_is_not_enforced_where_podman_cannot_hold_it_and_is_left_out(self):
        probe = self.ok_on(self.gpu, *json.loads(helper("storage-probe", "podman").stdout))
        can = helper("parse-storage", "podman", stdin=probe)
        # The nodes' storage lies in the build directory: whatever file system that is decides.
        fs = self.ok_on(self.gpu, "stat", "-f", "-c", "%T", "/var/lib/containers/storage").strip()
        self.assertEqual((can.returncode, can.stdout.strip()), (0, "true" if fs == "xfs" else "false"), f"{probe!r}: {can.stderr}")
        if fs == "xfs":
            return  # the refusal below is what a non-xfs node does; an xfs one may hold the limit
        # What the probe predicts: this podman refuses a root size outright.
        refused = self.container_name("sized")
        self.started.append((self.gpu, refused))
        rc, _, err = self.on(self.gpu, "podman", "run", "--name", refused, "--storage-opt", "size=1G", "--", IMAGE, "true")
        self.assertNotEqual(rc, 0)
        self.assertIn("only supported for backingFS XFS", err)
        name = self.container_name("unsized")
        proc = helper("run", "podman", stdin=json.dumps({"name": name, "owner": "alice", "image": IMAGE,
                                                          "storage_bytes": 1 << 30, "command": ["true"]}))
        self.assertEqual(json.loads(proc.stdout)["storage"], "not_enforced")
        self.started.append((self.gpu, name))
        self.assertNotIn("--storage-opt", json.loads(proc.stdout)["argv"])
        rc, _, err = self.on(self.gpu, *json.loads(proc.stdout)["argv"])
        self.assertEqual(rc, 0, err)

    def test_the_listing_parser_reads_what_podman_lists(self):
        running, exited = self.container_name("running"), self.container_name("exited")
        before = int(time.time()) - 5
        self.assertEqual(self.start(self.gpu, {"name": running, "owner": "bob", "command": ["sleep", "600"]})[0], 0)
        self.assertEqual(self.start(self.gpu, {"name": exited, "owner": "carol", "command": ["true"]})[0], 0)
        self.ok_on(self.gpu, "podman", "wait", "--", exited)
        # A container clusterctl did not start is not listed.
        stranger = self.container_name("stranger")
        self.started.append((self.gpu, stranger))
        self.ok_on(self.gpu, "podman", "create", "--name", stranger, "--", IMAGE, "true")
        listing = self.ok_on(self.gpu, *json.loads(helper("list", "podman").stdout))
        parsed = helper("parse-list", "podman", stdin=listing)
        self.assertEqual(parsed.returncode, 0, parsed.stderr)
        rows = {row["name"]: row for row in json.loads(parsed.stdout)}
        self.assertNotIn(stranger, rows)
        self.assertEqual((rows[running]["instance"], rows[running]["owner"], rows[running]["state"]), (running, "bob", "running"))
        self.assertGreaterEqual(rows[running]["started_at"], before)
        self.assertEqual((rows[exited]["owner"], rows[exited]["state"]), ("carol", "exited"))


if __name__ == "__main__":
    unittest.main()
