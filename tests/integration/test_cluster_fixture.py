"""The test cluster itself (tests/cluster/cluster), before clusterctl is blamed for it:
real ssh logins on every node, distinct hostnames, podman with the offline busybox image,
published ports, the GPU node's fake nvidia-smi, an address that never answers."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

CLUSTER_DIR = os.environ.get("CLUSTERCTL_TEST_CLUSTER", "")
REPO = os.environ.get("CLUSTERCTL_REPO",
                      os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CLUSTER = os.path.join(REPO, "tests", "cluster", "cluster")

if not os.path.exists(os.path.join(CLUSTER_DIR, "nodes.json")):
    print(f"skipped: no test cluster at {CLUSTER_DIR!r} (needs root and network namespaces)")
    sys.exit(77)


def cluster():
    # read afresh: other tests may rotate a host key (nodes.json follows, known_hosts not)
    with open(os.path.join(CLUSTER_DIR, "nodes.json")) as f:
        return json.load(f)


def fingerprint(public_key_line):
    r = subprocess.run(["ssh-keygen", "-lf", "-"], input=public_key_line, capture_output=True,
                       text=True, check=True)
    return r.stdout.split()[1]


def served_host_key(addr):
    r = subprocess.run(["ssh-keyscan", "-T", "5", "-t", "ed25519", addr], capture_output=True, text=True)
    return r.stdout.split("\n")[0]


def verified_known_hosts(node, directory):
    """A known_hosts with the key the node serves, checked against nodes.json (which
    follows rotate-host-key; the cluster's known_hosts deliberately does not)."""
    served = served_host_key(node["addr"])
    current = next(n for n in cluster()["nodes"] if n["name"] == node["name"])
    if fingerprint(served) != current["host_key_fingerprint"]:
        raise AssertionError(f"{node['name']} serves {fingerprint(served)}, "
                             f"nodes.json says {current['host_key_fingerprint']}")
    path = os.path.join(directory, f"known_hosts.{node['name']}")
    with open(path, "w") as f:
        f.write(served + "\n")
    return path


def ssh(node, *cmd, known_hosts, timeout=60):
    args = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", "ConnectTimeout=5", "-o", "IdentitiesOnly=yes",
            "-o", f"UserKnownHostsFile={known_hosts}",
            "-i", cluster()["client_key"], f"root@{node['addr']}", *cmd]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


class TestCluster(unittest.TestCase):
    def setUp(self):
        self.c = cluster()
        self.tmp = tempfile.mkdtemp(prefix="cluster-fixture-")

    def ssh(self, node, *cmd, **kw):
        return ssh(node, *cmd, known_hosts=verified_known_hosts(node, self.tmp), **kw)

    def tearDown(self):
        subprocess.run(["rm", "-rf", self.tmp])

    def known_hosts_entries(self):
        entries = {}
        with open(self.c["known_hosts"]) as f:
            for line in f:
                addr, keytype, key = line.split()[:3]
                entries[addr] = f"{keytype} {key}"
        return entries

    def test_shape_of_nodes_json(self):
        self.assertTrue(self.c["nodes"])
        for key in ("name", "bridge_addr", "unreachable_addr", "client_key", "client_rsa_key", "known_hosts"):
            self.assertIn(key, self.c)
        for path in (self.c["client_key"], self.c["client_rsa_key"], self.c["known_hosts"]):
            self.assertTrue(os.path.isfile(path), path)
        for n in self.c["nodes"]:
            self.assertEqual(n["port"], 22)
            self.assertRegex(n["host_key_fingerprint"], r"^SHA256:[A-Za-z0-9+/]{43}$")
            self.assertIsInstance(n["gpu"], bool)
            self.assertEqual(n["gpu"], n["gpu_capture"] is not None)
        self.assertEqual(len({n["addr"] for n in self.c["nodes"]}), len(self.c["nodes"]))

    def test_every_node_takes_a_real_ssh_login_and_has_its_own_hostname(self):
        entries = self.known_hosts_entries()
        hostnames = []
        for n in self.c["nodes"]:
            with self.subTest(node=n["name"]):
                self.assertIn(n["addr"], entries)
                known = verified_known_hosts(n, self.tmp)
                if fingerprint(f"{n['addr']} {entries[n['addr']]}") == n["host_key_fingerprint"]:
                    known = self.c["known_hosts"]  # unless a test rotated this node's key
                r = ssh(n, "hostname; cat /etc/hostname; getent hosts $(hostname)", known_hosts=known)
                self.assertEqual(r.returncode, 0, r.stderr)
                name, etc_hostname, resolved = r.stdout.split("\n")[:3]
                self.assertEqual(name, n["hostname"])
                self.assertEqual(etc_hostname, n["hostname"])
                self.assertEqual(resolved.split(), [n["addr"], n["hostname"]])
                hostnames.append(name)
        self.assertEqual(len(set(hostnames)), len(hostnames))

    def test_login_is_pubkey_only_and_root_home_is_private(self):
        n = self.c["nodes"][0]
        r = self.ssh(n, "stat -c '%a %U' /root /root/.ssh /root/.ssh/authorized_keys; "
                   "echo $PATH; ls /root/.pyenv 2>/dev/null | wc -l")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.split("\n")
        self.assertEqual(lines[:3], ["700 root", "700 root", "600 root"])
        self.assertTrue(lines[3].startswith("/usr/local/sbin:/usr/local/bin:"), lines[3])
        self.assertEqual(lines[4], "0")
        r = subprocess.run(["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
                            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                            "-o", "PubkeyAuthentication=no", f"root@{n['addr']}", "true"],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Permission denied (publickey)", r.stderr)

    def test_registry_wants_a_login_over_verified_tls_and_nodes_pull_and_run_its_images(self):
        reg = self.c.get("registry")
        if reg is None:
            self.skipTest("cluster was started without --with-registry")
        url = f"https://{reg['addr']}/v2/"
        code = lambda *a: subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                                          *a, url], capture_output=True, text=True).stdout
        self.assertEqual(code("--cacert", reg["ca"]), "401")
        self.assertEqual(code(), "000")  # the test CA is not a system CA: unverified TLS fails
        with open(reg["password_file"]) as f:
            password = f.read().strip()
        self.assertEqual(code("--cacert", reg["ca"], "-u", f"ccuser:{password}"), "200")
        self.assertEqual(code("--cacert", reg["ca"], "-u", "ccuser:wrong"), "401")
        with open(reg["robot_password_file"]) as f:
            self.assertEqual(code("--cacert", reg["ca"], "-u", f"robot$ci:{f.read().strip()}"), "200")
        n = self.c["nodes"][0]
        image = f"{reg['addr']}/test/busybox:v1"
        r = self.ssh(n, f"podman pull -q --authfile {reg['authfile']} {image} && "
                     f"podman run --rm {image} busybox true && podman rmi -f {image} >/dev/null")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_podman_runs_busybox_and_publishes_ports(self):
        n = self.c["nodes"][0]
        if self.ssh(n, "podman image exists localhost/busybox:latest").returncode != 0:
            self.skipTest("cluster was started without --with-image")
        r = self.ssh(n, "podman run --rm localhost/busybox:latest echo hi")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "hi\n")
        name = f"fixture-web-{os.getpid()}"
        port = 20000 + os.getpid() % 10000
        r = self.ssh(n, f"podman run -d --name {name} -p {port}:80 localhost/busybox:latest "
                   "httpd -f -p 80 -h /etc")
        self.assertEqual(r.returncode, 0, r.stderr)
        try:
            body = None
            deadline = time.monotonic() + 10
            while body is None:
                try:
                    with urllib.request.urlopen(f"http://{n['addr']}:{port}/hostname", timeout=2) as resp:
                        body = resp.read().decode()
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            self.assertTrue(body.strip())  # the container's /etc/hostname
        finally:
            self.ssh(n, f"podman rm -f -t 0 {name}")

    def test_gpu_nodes_answer_nvidia_smi_and_others_have_none(self):
        for n in self.c["nodes"]:
            with self.subTest(node=n["name"]):
                r = self.ssh(n, "nvidia-smi --query-gpu=index,uuid,name,memory.total,driver_version "
                           "--format=csv,noheader,nounits")
                if not n["gpu"]:
                    self.assertEqual(r.returncode, 127, r)
                    continue
                self.assertEqual(r.returncode, 0, r.stderr)
                index, uuid, name, memory, driver = r.stdout.split("\n")[0].split(", ")
                self.assertEqual(index, "0")
                self.assertRegex(uuid, r"^GPU-")
                self.assertIn("NVIDIA", name)
                self.assertGreater(int(memory), 1000)
                self.assertIn(driver, os.path.basename(n["gpu_capture"]))
                r = self.ssh(n, "nvidia-smi -L")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertTrue(r.stdout.startswith("GPU 0: "), r.stdout)

    def test_unreachable_addr_does_not_answer_within_2s(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        start = time.monotonic()
        try:
            with self.assertRaises(socket.timeout):
                s.connect((self.c["unreachable_addr"], 22))
        finally:
            s.close()
        self.assertGreaterEqual(time.monotonic() - start, 1.9)

    def test_exec_runs_inside_the_node(self):
        n = self.c["nodes"][-1]
        r = subprocess.run([CLUSTER, "exec", "--dir", CLUSTER_DIR, n["name"], "--", "sh", "-c",
                            "hostname; ip -4 -o addr show dev eth0"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        hostname, addr = r.stdout.split("\n")[:2]
        self.assertEqual(hostname, n["hostname"])
        self.assertIn(f" {n['addr']}/24 ", addr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
