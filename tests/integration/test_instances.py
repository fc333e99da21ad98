"""instance create|ls|show|start|stop|restart|rm|logs|exec against real podman on the
test cluster: host ports that reach the container, GPUs pinned by UUID through CDI,
claims released on every failure, quotas, placement reasons, and the eight-way race."""
import concurrent.futures
import os
import subprocess
import time
import unittest
import urllib.request

from clusterlib import CLUSTER_DIR, ClusterTestCase, require_cluster

require_cluster()

IMAGE = "localhost/busybox:latest"
# Serves /www/index.html saying hello-$NAME on 8080.
WEB = ["sh", "-c", "mkdir -p /www && echo hello-$NAME > /www/index.html && exec httpd -f -p 8080 -h /www"]


def http_get(addr, port, deadline=15.0):
    """The body at http://addr:port/, retried until the server answers or the deadline passes."""
    end = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen(f"http://{addr}:{port}/", timeout=3) as r:
                return r.read().decode()
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


class Instances(ClusterTestCase):
    def setUp(self):
        super().setUp()
        nodes = self.cluster["nodes"]
        self.gpu_nodes = [n["name"] for n in nodes if n["gpu"]]
        self.cpu_nodes = [n["name"] for n in nodes if not n["gpu"]]
        self.assertGreaterEqual(len(self.gpu_nodes), 2)
        self.assertGreaterEqual(len(self.cpu_nodes), 2)
        for n in nodes:
            self.add(n["name"])
        self.prefix = f"it{os.getpid()}"

    def tearDown(self):
        # Whatever a test left: its containers by label, on every node.
        self.run_ctl("exec", "@all", "--shell",
                     "podman ps -aq --filter label=clusterctl.instance | xargs -r podman rm -f -t 0 >/dev/null; true")
        super().tearDown()

    def ctl(self):
        from clusterlib import BIN
        return [BIN, "--inventory", self.inventory, "--config", self.config]

    def port_range(self, text):
        with open(self.config) as f:
            self.write_config(f.read() + f'[instances]\nport_range = "{text}"\n')

    def name(self, tag):
        return f"{self.prefix}-{tag}"

    def create(self, tag, *args, command=("sleep", "1000"), rc=0):
        r = self.run_ctl("instance", "create", self.name(tag), "--image", IMAGE, *args, "-o", "json", "--", *command,
                         timeout=180)
        self.assertEqual(r.rc, rc, repr(r))
        return r.json() if rc == 0 else r

    def ls(self, *args):
        return {i["name"]: i for i in self.ok("instance", "ls", *args, "-o", "json").json()}

    def labelled(self, node, tag):
        """The ids of the containers labelled as instance `tag` on node."""
        r = self.ok("exec", node, "-o", "json", "--", "podman", "ps", "-aq", "--filter",
                    f"label=clusterctl.instance={self.name(tag)}").json()
        return r[0]["stdout"].split()

    def held(self):
        """Everything the inventory holds: instances, GPUs and ports."""
        return (self.sql("SELECT name, state FROM instances ORDER BY name"),
                self.sql("SELECT instance, gpu_uuid FROM instance_gpus ORDER BY instance"),
                self.sql("SELECT instance, host_port, proto FROM instance_ports ORDER BY host_port"))

    def test_a_port_map_reaches_the_container_and_rm_frees_the_port_for_the_next_create(self):
        node = self.cpu_nodes[0]
        web = self.create("web", "--node", node, "-p", "8080", "-e", "NAME=one", command=WEB)
        self.assertEqual(web["node"], node)
        self.assertEqual(web["status"], "running")
        (port,) = web["ports"]
        self.assertEqual((port["container_port"], port["proto"]), (8080, "tcp"))
        self.assertTrue(30000 <= port["host_port"] <= 32767, port)
        self.assertEqual(http_get(self.node(node)["addr"], port["host_port"]).strip(), "hello-one")

        listed = self.ls()
        self.assertEqual(listed[self.name("web")]["status"], "running")
        self.assertEqual(listed[self.name("web")]["ports"], web["ports"])
        shown = self.ok("instance", "show", self.name("web"), "-o", "json").json()
        self.assertEqual(shown["ports"], web["ports"])
        self.assertTrue(shown["started_at"])

        self.ok("instance", "rm", "-y", self.name("web"))
        self.assertEqual(self.held(), ([], [], []))
        self.assertEqual(self.labelled(node, "web"), [])
        # The freed host port is handed out again.
        again = self.create("web2", "--node", node, "-p", f"{port['host_port']}:8080", "-e", "NAME=two", command=WEB)
        self.assertEqual(again["ports"][0]["host_port"], port["host_port"])
        self.assertEqual(http_get(self.node(node)["addr"], port["host_port"]).strip(), "hello-two")

    def test_a_port_listening_on_the_node_is_skipped_and_a_claimed_one_refused(self):
        node = self.cpu_nodes[0]
        self.port_range("31000-31002")
        # Something of the node's own listens on 31000: the first free port is 31001.
        listener = subprocess.Popen(["ip", "netns", "exec", f"{self.cluster['name']}-{node}", "busybox", "nc", "-l",
                                     "-p", "31000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(listener.wait)
        self.addCleanup(listener.kill)
        time.sleep(0.3)
        first = self.create("a", "--node", node, "-p", "8080")
        self.assertEqual(first["ports"][0]["host_port"], 31001)
        r = self.create("b", "--node", node, "-p", "31001:8080", rc=1)
        self.assertIn("31001", r.err)
        self.assertNotIn(self.name("b"), [row[0] for row in self.held()[0]])

    def test_gpus_are_pinned_by_uuid_and_placement_says_why_no_node_fits(self):
        uuids = {}
        for node in self.gpu_nodes:
            out = self.ok("exec", node, "-o", "json", "--", "nvidia-smi", "--query-gpu=uuid",
                          "--format=csv,noheader").json()
            uuids[node] = out[0]["stdout"].split()
        free = sum(len(u) for u in uuids.values())
        made = [self.create(f"g{i}", "--gpus", "1", command=["sh", "-c", "env; sleep 1000"]) for i in range(free)]
        self.assertEqual(sorted(g for m in made for g in m["gpus"]), sorted(u for us in uuids.values() for u in us))
        for m in made:
            self.assertIn(m["node"], self.gpu_nodes)
            self.assertEqual(m["gpus"], [g for g in uuids[m["node"]] if g in m["gpus"]])
            # The container sees the GPU it holds (the CDI spec's env), and only it.
            logs = self.ok("instance", "logs", m["name"]).out
            self.assertIn(f"NVIDIA_VISIBLE_DEVICES={m['gpus'][0]}\n", logs)
        r = self.create("none", "--gpus", "1", rc=1)
        for node in self.gpu_nodes:
            self.assertIn(f"{node}: 0 free GPUs, 1 asked", r.err)
        for node in self.cpu_nodes:
            self.assertIn(f"{node}: no GPU driver", r.err)
        # Freed by rm, the GPU goes to the next ask.
        self.ok("instance", "rm", "-y", made[0]["name"])
        self.assertEqual(self.create("next", "--gpus", "1")["gpus"], made[0]["gpus"])

    def test_gpu_ps_names_the_instance_and_owner_of_a_process_in_its_container(self):
        node = self.gpu_nodes[0]
        self.ok("user", "add", "alice")
        made = self.create("train", "--node", node, "--gpus", "1", "--owner", "alice")
        out = self.ok("exec", node, "-o", "json", "--", "podman", "inspect", "-f", "{{.State.Pid}}", made["name"]).json()
        pid = int(out[0]["stdout"])
        # The fake nvidia-smi reports this process on the instance's GPU.
        path = os.path.join(self.node(node)["dir"], "bin", "nvidia-smi.processes")
        saved = open(path).read() if os.path.exists(path) else None

        def put_back():
            if saved is None:
                os.unlink(path)
            else:
                with open(path, "w") as f:
                    f.write(saved)
        self.addCleanup(put_back)
        with open(path, "w") as f:
            f.write(f"gpu_uuid,pid,process_name,used_gpu_memory [MiB]\n{made['gpus'][0]},{pid},python3,1024\n")
        (proc,) = self.ok("gpu", "ps", node, "-o", "json").json()
        self.assertEqual((proc["pid"], proc["gpu_uuid"]), (pid, made["gpus"][0]))
        self.assertEqual((proc["instance"], proc["owner"], proc["container_name"]), (made["name"], "alice", made["name"]))

    def test_a_node_lost_mid_create_leaves_nothing_claimed(self):
        node = self.gpu_nodes[1]
        with open(self.config) as f:
            self.write_config(f.read().replace('connect_timeout = "5s"', 'connect_timeout = "3s"\ntimeout = "4s"'))
        # The node's `podman run` hangs (a wrapper ahead of podman on its PATH) and then the node
        # drops off the network: the create times out, cannot clean up there, and releases its claim.
        wrapper = os.path.join(self.node(node)["dir"], "bin", "podman")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\n[ "$1" = run ] && sleep 30\nexec /usr/bin/podman "$@"\n')
        os.chmod(wrapper, 0o755)
        self.addCleanup(os.unlink, wrapper)
        netns = f"{self.cluster['name']}-{node}"
        proc = subprocess.Popen([*self.ctl(), "instance", "create", self.name("lost"), "--image", IMAGE, "--node", node,
                                 "--gpus", "1", "-p", "8080"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.env())
        deadline = time.monotonic() + 30
        while not self.held()[1] and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertTrue(self.held()[1], "the create never claimed its GPU")
        subprocess.run(["ip", "-n", netns, "link", "set", "eth0", "down"], check=True)
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            subprocess.run(["ip", "-n", netns, "link", "set", "eth0", "up"], check=True)
        self.assertEqual(proc.returncode, 1, err)
        self.assertEqual(self.held(), ([], [], []))

    def test_the_owners_default_volumes_are_mounted_beside_the_instances_own(self):
        node = self.cpu_nodes[0]
        self.ok("exec", node, "--shell", "mkdir -p /var/tmp/ccvol/proj /var/tmp/ccvol/own && echo shared > "
                "/var/tmp/ccvol/proj/f && echo mine > /var/tmp/ccvol/own/f")
        self.addCleanup(self.run_ctl, "exec", node, "--", "rm", "-rf", "/var/tmp/ccvol")
        self.ok("user", "add", "bob", "--volume", "/var/tmp/ccvol/proj:/data:ro")
        made = self.create("vol", "--node", node, "--owner", "bob", "-v", "/var/tmp/ccvol/own:/own",
                           command=["sh", "-c", "cat /data/f /own/f; touch /data/x 2>/dev/null || echo read-only; "
                                    "sleep 1000"])
        deadline = time.monotonic() + 15
        while "read-only" not in (logs := self.ok("instance", "logs", made["name"]).out) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(logs, "shared\nmine\nread-only\n")

    def test_cordoned_nodes_are_not_placed_on(self):
        self.ok("node", "cordon", ",".join(self.cpu_nodes[1:] + self.gpu_nodes))
        self.assertEqual(self.create("one")["node"], self.cpu_nodes[0])
        self.ok("node", "cordon", self.cpu_nodes[0])
        r = self.create("two", rc=1)
        self.assertIn(f"{self.cpu_nodes[0]}: cordoned", r.err)

    def test_quota_refusals_name_the_limit_and_the_use(self):
        self.ok("user", "add", "alice", "--quota", "gpus=1,instances=2,cpus=1")
        self.create("a1", "--owner", "alice", "--gpus", "1", "--cpus", "0.5")
        r = self.create("a2", "--owner", "alice", "--gpus", "1", rc=1)
        self.assertRegex(r.err, r"gpus.*1")
        r = self.create("a3", "--owner", "alice", "--cpus", "0.75", rc=1)
        self.assertRegex(r.err, r"cpus")
        self.create("a4", "--owner", "alice", "--cpus", "0.5")
        r = self.create("a5", "--owner", "alice", rc=1)
        self.assertRegex(r.err, r"instances")
        self.assertEqual(sorted(self.ls("--owner", "alice")), [self.name("a1"), self.name("a4")])
        usage = self.ok("user", "show", "alice", "-o", "json").json()
        self.assertEqual((usage["usage"]["gpus"], usage["usage"]["instances"]), (1, 2))
        r = self.run_ctl("user", "rm", "alice")
        self.assertNotEqual(r.rc, 0)

    def test_a_failed_start_releases_its_claim_and_leaves_no_container(self):
        node = self.gpu_nodes[0]
        r = self.create("bad", "--node", node, "--gpus", "1", "-p", "8080", command=["/nonexistent"], rc=1)
        self.assertIn("podman run", r.err)
        self.assertIn("/nonexistent", r.err)
        self.assertEqual(self.held(), ([], [], []))
        self.assertEqual(self.labelled(node, "bad"), [], "podman 4.3 leaves a created container: it must go")
        # An image the node lacks and nobody can push: refused, nothing held.
        r = self.run_ctl("instance", "create", self.name("nosuch"), "--image", "localhost/nosuch:1", "--node", node,
                         "--gpus", "1")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("localhost/nosuch:1 is not on", r.err)
        self.assertEqual(self.held(), ([], [], []))
        # The GPU is free again.
        self.assertEqual(len(self.create("good", "--node", node, "--gpus", "1")["gpus"]), 1)

    def test_a_stranger_container_of_the_same_name_survives_a_failed_create(self):
        node = self.cpu_nodes[0]
        name = self.name("taken")
        self.ok("exec", node, "--", "podman", "run", "-d", "--name", name, IMAGE, "sleep", "1000")
        self.addCleanup(self.run_ctl, "exec", node, "--", "podman", "rm", "-f", "-t", "0", name)
        r = self.create("taken", "--node", node, rc=1)
        self.assertIn("already in use", r.err)
        self.assertEqual(self.held(), ([], [], []))
        out = self.ok("exec", node, "-o", "json", "--", "podman", "inspect", "-f", "{{.State.Status}}", name).json()
        self.assertEqual(out[0]["stdout"].strip(), "running", "removal goes by our label, never by name")

    def test_an_image_the_node_lacks_is_pushed_first(self):
        node = self.cpu_nodes[1]
        rootfs = os.path.join(CLUSTER_DIR, "image", "busybox-rootfs.tar")
        work = os.path.join(self.tmp, "img")
        podman = ["podman", "--root", os.path.join(work, "storage"), "--runroot", os.path.join(work, "run"),
                  "--storage-driver", "vfs"]
        subprocess.run([*podman, "import", "--change", 'CMD=["sleep","1000"]', rootfs, "localhost/insttest:1"],
                       check=True, capture_output=True)
        archive = os.path.join(work, "insttest.tar")
        subprocess.run([*podman, "save", "--format", "oci-archive", "-o", archive, "localhost/insttest:1"], check=True,
                       capture_output=True)
        self.run_ctl("exec", node, "--", "podman", "rmi", "-f", "localhost/insttest:1")
        self.addCleanup(self.run_ctl, "exec", node, "--", "podman", "rmi", "-f", "localhost/insttest:1")
        r = self.run_ctl("instance", "create", self.name("pushed"), "--image", "localhost/insttest:1", "--node", node,
                         "--push-from", "oci-archive:" + archive, "-o", "json", timeout=180)
        self.assertEqual(r.rc, 0, repr(r))
        self.assertTrue(r.json()["image_pushed"])
        self.assertEqual(self.ls()[self.name("pushed")]["status"], "running")

    def test_stop_start_restart_logs_exec_and_a_missing_container(self):
        made = self.create("life", command=["sh", "-c", "echo started; exec sleep 1000"])
        name = made["name"]
        self.assertIn("started", self.ok("instance", "logs", name, "--tail", "1").out)
        self.ok("instance", "stop", name)
        self.assertEqual(self.ls()[name]["status"], "exited")
        self.ok("instance", "start", name)
        self.assertEqual(self.ls()[name]["status"], "running")
        self.ok("instance", "restart", name)
        self.assertEqual(self.ls()[name]["status"], "running")
        r = self.run_ctl("instance", "exec", name, "--", "sh", "-c", "cat; exit 7", stdin="from stdin\n")
        self.assertEqual((r.rc, r.out), (7, "from stdin\n"), repr(r))
        # Removed behind clusterctl's back: ls says so, rm still frees it.
        self.ok("exec", made["node"], "--", "podman", "rm", "-f", "-t", "0", name)
        self.assertEqual(self.ls()[name]["status"], "missing")
        self.ok("instance", "rm", "-y", name)
        self.assertEqual(self.held(), ([], [], []))

    def test_hostile_names_and_values_arrive_verbatim_or_are_refused(self):
        value = "$(touch /tmp/pwned); `id` 'q' \"d\" \\ *"
        made = self.create("env", "-e", f"X={value}", "--label", "note=a;b", command=["sh", "-c", "echo \"$X\"; sleep 1000"])
        self.assertEqual(self.ok("instance", "logs", made["name"]).out, value + "\n")
        self.assertEqual(made["labels"], {"note": "a;b"})
        r = self.ok("exec", made["node"], "-o", "json", "--", "sh", "-c", "test -e /tmp/pwned && echo yes || echo no").json()
        self.assertEqual(r[0]["stdout"], "no\n")
        for bad in ("a;b", "$(id)", "a b", "a\nb"):
            r = self.run_ctl("instance", "create", bad, "--image", IMAGE)
            self.assertEqual(r.rc, 1, repr(r))
            self.assertIn("container name", r.err)
        r = self.run_ctl("instance", "create", self.name("lbl"), "--image", IMAGE, "--label", "clusterctl.owner=root")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("clusterctl.owner", r.err)
        self.assertEqual([n for n, _ in self.held()[0]], [made["name"]])

    def test_eight_creates_racing_for_one_node_never_share_a_gpu_or_a_port(self):
        node = self.gpu_nodes[0]
        self.port_range("31100-31102")

        def one(i):
            return self.run_ctl("instance", "create", self.name(f"race{i}"), "--image", IMAGE, "--node", node,
                                "-p", "8080", "-o", "json", "--", "sleep", "1000", timeout=240)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, range(8)))
        won = [r.json() for r in results if r.rc == 0]
        lost = [r for r in results if r.rc != 0]
        self.assertEqual(len(won), 3, [r.err for r in lost])
        self.assertEqual(sorted(w["ports"][0]["host_port"] for w in won), [31100, 31101, 31102])
        for r in lost:
            self.assertIn("no free host port", r.err)
            self.assertNotIn("database is locked", r.err)
        self.assertEqual(len(self.held()[0]), 3)
        self.assertEqual(sorted(self.ls()), sorted(w["name"] for w in won))


if __name__ == "__main__":
    unittest.main(verbosity=2)
