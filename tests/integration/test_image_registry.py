"""image fetch / upload / inspect / tags / cache and registry login / logout / ls, against the
cluster's real docker-registry (TLS from a test CA, htpasswd auth), with skopeo and podman on
the nodes as the other side."""
import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

from clusterlib import BIN, CLUSTER_DIR, ClusterTestCase, cluster_script, require_cluster

require_cluster()


class ImageRegistryTest(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.reg = self.registry()
        self.addr = self.reg["addr"]
        self.write_config(f'[ssh]\nidentity_files = ["{self.cluster["client_key"]}"]\n'
                          f'known_hosts = "{self.known_hosts}"\nconnect_timeout = "5s"\n'
                          f'[registry."{self.addr}"]\nca_file = "{self.reg["ca"]}"\n')
        self.xdg = {"XDG_CONFIG_HOME": os.path.join(self.tmp, "xdg-config"),
                    "XDG_CACHE_HOME": os.path.join(self.tmp, "xdg-cache")}
        # Archives the nodes must read go where nodes see them (they have their own /tmp).
        self.shared = tempfile.mkdtemp(prefix="image-test-", dir=CLUSTER_DIR)
        self.unique = f"t{os.getpid()}"

    def tearDown(self):
        shutil.rmtree(self.shared, ignore_errors=True)
        super().tearDown()

    def ctl(self, *args, stdin=None, timeout=180):
        return self.run_ctl(*args, extra_env=self.xdg, stdin=stdin, timeout=timeout)

    def ctl_ok(self, *args, **kw):
        r = self.ctl(*args, **kw)
        self.assertEqual(r.rc, 0, repr(r))
        return r

    def login(self, user="ccuser", password=None):
        password = self.reg["password"] if password is None else password
        return self.ctl("registry", "login", self.addr, "--username", user, "--password-stdin", stdin=password + "\n")

    def skopeo(self, *args):
        r = subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def skopeo_digest(self, ref):
        raw = subprocess.run(["skopeo", "inspect", "--raw", "--cert-dir", self.reg["cert_dir"], "--authfile",
                              self.reg["authfile"], f"docker://{ref}"], capture_output=True, timeout=60)
        self.assertEqual(raw.returncode, 0, raw.stderr)
        return "sha256:" + hashlib.sha256(raw.stdout).hexdigest()

    def expected(self, name):
        return self.reg["summary"][name]

    # -- fetch and upload

    def test_fetch_upload_fetch_keeps_every_digest_and_skopeo_reads_the_upload(self):
        self.assertEqual(self.login().rc, 0)
        first = os.path.join(self.tmp, "v1.tar")
        # -o after `image fetch` is the file: the format goes before the command
        r = self.ctl_ok("-o", "json", "image", "fetch", f"{self.addr}/test/busybox:v1", "-o", first,
                        "--format", "oci-archive")
        fetched = json.loads(r.out)
        want = self.expected("test/busybox:v1")
        self.assertEqual(fetched["digest"], want["digest"])
        self.assertEqual(fetched["layers"], len(want["layers"]))
        self.assertEqual(fetched["platform"], "linux/amd64")

        copy = f"{self.addr}/test/{self.unique}-copy:v1"
        r = self.ctl_ok("image", "upload", first, copy, "-o", "json")
        self.assertEqual(r.json()["digest"], want["digest"])
        # skopeo, not clusterctl, reads what was uploaded: same manifest bytes, and it copies it whole
        self.assertEqual(self.skopeo_digest(copy), want["digest"])
        layout = os.path.join(self.tmp, "skopeo-layout")
        self.skopeo("copy", "--quiet", "--src-cert-dir", self.reg["cert_dir"], "--src-authfile", self.reg["authfile"],
                    f"docker://{copy}", f"oci:{layout}:copy")
        again = os.path.join(self.tmp, "again.tar")
        r = self.ctl_ok("-o", "json", "image", "fetch", copy, "-o", again, "--format", "oci-archive")
        self.assertEqual(r.json()["digest"], want["digest"])

    def test_a_docker_archive_round_trip_keeps_the_layer_digests(self):
        self.assertEqual(self.login().rc, 0)
        archive = os.path.join(self.tmp, "v2.tar")
        r = self.ctl_ok("image", "fetch", f"{self.addr}/test/busybox:v2", "-o", archive)
        self.assertEqual(r.err, "")  # no progress line into a pipe
        copy = f"{self.addr}/test/{self.unique}-docker:v2"
        self.ctl_ok("image", "upload", archive, copy)
        r = self.ctl_ok("image", "inspect", copy, "-o", "json")
        self.assertEqual([l["digest"] for l in r.json()["layers"]],
                         [l["digest"] for l in self.expected("test/busybox:v2")["layers"]])

    def test_clusterctl_uploads_what_skopeo_archived(self):
        self.assertEqual(self.login().rc, 0)
        archive = os.path.join(self.tmp, "skopeo.tar")
        self.skopeo("copy", "--quiet", "--src-cert-dir", self.reg["cert_dir"], "--src-authfile", self.reg["authfile"],
                    f"docker://{self.addr}/test/busybox:v2", f"docker-archive:{archive}:x/skopeo:v2")
        target = f"{self.addr}/test/{self.unique}-from-skopeo:v2"
        self.ctl_ok("image", "upload", archive, target)
        inspected = json.loads(self.skopeo("inspect", "--cert-dir", self.reg["cert_dir"], "--authfile",
                                           self.reg["authfile"], f"docker://{target}"))
        self.assertEqual(len(inspected["Layers"]), len(self.expected("test/busybox:v2")["layers"]))

    def test_a_fetched_archive_loads_with_podman_on_a_node_and_runs(self):
        self.assertEqual(self.login().rc, 0)
        ref = f"{self.addr}/test/busybox:v1"
        for fmt in ("docker-archive", "oci-archive"):
            with self.subTest(fmt=fmt):
                archive = os.path.join(self.shared, f"{fmt}.tar")
                self.ctl_ok("image", "fetch", ref, "-o", archive, "--format", fmt)
                node = self.cluster["nodes"][1]["name"]
                r = cluster_script("exec", "--dir", CLUSTER_DIR, node, "--", "/bin/sh", "-c",
                                   f"podman rmi -f {ref} >/dev/null 2>&1; podman load -q -i {archive} && "
                                   f"podman run --rm {ref} cat /data/top.bin | wc -c && podman rmi -f {ref} >/dev/null",
                                   check=False)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn(f"Loaded image: {ref}", r.stdout)
                self.assertEqual(r.stdout.strip().splitlines()[-1], str(256 << 10))

    def test_the_requested_platform_of_a_two_platform_index_is_fetched(self):
        self.assertEqual(self.login().rc, 0)
        ref = f"{self.addr}/test/multi:latest"
        for platform, key in (("linux/arm64", "test/multi:latest@linux/arm64"),
                              ("linux/amd64", "test/multi:latest@linux/amd64")):
            with self.subTest(platform=platform):
                out = os.path.join(self.tmp, platform.replace("/", "-") + ".tar")
                r = self.ctl_ok("-o", "json", "image", "fetch", ref, "--platform", platform, "-o", out)
                self.assertEqual(r.json()["digest"], self.expected(key)["digest"])
                self.assertEqual(r.json()["platform"], platform)
        r = self.ctl_ok("image", "inspect", ref, "--platform", "linux/arm64", "-o", "json")
        self.assertEqual(r.json()["digest"], self.expected("test/multi:latest")["digest"])
        self.assertEqual(sorted(p["platform"] for p in r.json()["platforms"]), ["linux/amd64", "linux/arm64/v8"])
        self.assertEqual(r.json()["manifest_digest"], self.expected("test/multi:latest@linux/arm64")["digest"])
        r = self.ctl("image", "fetch", ref, "--platform", "linux/s390x", "-o", os.path.join(self.tmp, "none.tar"))
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("linux/arm64", r.err)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "none.tar")))

    def test_a_push_from_the_registry_gives_each_node_its_own_platform_of_a_two_platform_index(self):
        self.assertEqual(self.login().rc, 0)
        amd, arm = [n["name"] for n in self.cluster["nodes"]][:2]
        for node in (amd, arm):
            self.add(node)
        # A mixed cluster on one machine: push reads each node's platform from its facts in the
        # inventory, so one node's facts say aarch64.
        facts = json.loads(self.sql("SELECT facts FROM node_facts WHERE node = ?", arm)[0][0])
        facts["arch"] = "aarch64"
        self.sql("UPDATE node_facts SET facts = ? WHERE node = ?", json.dumps(facts), arm)
        name = f"{self.unique}/multi:latest"
        both = f"{amd},{arm}"
        try:
            r = self.ctl("-o", "json", "image", "push", f"{self.addr}/test/multi:latest", "--to", both,
                         "--name", name, timeout=300)
            self.assertEqual(r.rc, 0, repr(r))
            by_node = {o["node"]: o for o in r.json()}
            self.assertEqual(by_node[amd]["platform"], "linux/amd64")
            self.assertTrue(by_node[arm]["platform"].startswith("linux/arm64"), by_node[arm])
            self.assertEqual(by_node[amd]["digest"], self.expected("test/multi:latest@linux/amd64")["digest"])
            self.assertEqual(by_node[arm]["digest"], self.expected("test/multi:latest@linux/arm64")["digest"])
            held = self.ok("exec", both, "-o", "json", "--", "podman", "image", "inspect", "--format",
                           "{{.Architecture}}", f"localhost/{name}").json()
            self.assertEqual({o["node"]: o["stdout"].strip() for o in held}, {amd: "amd64", arm: "arm64"})
            self.ok("exec", amd, "--", "podman", "run", "--rm", f"localhost/{name}", "busybox", "true")
        finally:
            self.run_ctl("exec", both, "--", "podman", "rmi", "-f", f"localhost/{name}")

    def test_a_terminal_gets_a_progress_line_of_bytes_that_is_erased_at_the_end(self):
        self.assertEqual(self.login().rc, 0)
        master, slave = os.openpty()
        try:
            proc = subprocess.run([BIN, "--inventory", self.inventory, "--config", self.config, "image", "fetch",
                                   f"{self.addr}/test/busybox:v1", "-o", os.path.join(self.tmp, "tty.tar")],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                                  env=self.env(self.xdg), timeout=120)
        finally:
            os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end is closed and everything was read
                break
            if not chunk:
                break
            seen += chunk
        os.close(master)
        self.assertEqual(proc.returncode, 0, seen)
        self.assertIn(b"\r\x1b[Kfetched ", seen)
        self.assertTrue(seen.endswith(b"\r\x1b[K"), seen)

    # -- errors

    def test_a_wrong_password_is_a_clear_error_with_exit_1_and_leaves_no_file(self):
        r = self.login(password="not-the-password")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn(self.addr, r.err)
        self.assertNotIn("not-the-password", r.err + r.out)
        self.assertFalse(os.path.exists(os.path.join(self.xdg["XDG_CONFIG_HOME"], "clusterctl", "auth.json")))
        # wrong credentials from docker's config: the fetch fails and writes nothing
        os.makedirs(os.path.join(self.tmp, ".docker"))
        with open(os.path.join(self.tmp, ".docker", "config.json"), "w") as f:
            json.dump({"auths": {self.addr: {"auth": base64.b64encode(b"ccuser:wrong").decode()}}}, f)
        outdir = os.path.join(self.tmp, "out")
        os.mkdir(outdir)
        r = self.ctl("image", "fetch", f"{self.addr}/test/busybox:v1", "-o", os.path.join(outdir, "x.tar"))
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn(self.addr, r.err)
        self.assertEqual(os.listdir(outdir), [])

    def test_an_archive_that_is_not_an_image_is_refused_before_anything_is_sent(self):
        junk = os.path.join(self.tmp, "junk.tar")
        subprocess.run(["tar", "-C", self.tmp, "-cf", junk, "config.toml"], check=True)
        r = self.ctl("image", "upload", junk, f"{self.addr}/test/{self.unique}-junk:x")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("junk.tar", r.err)

    # -- tags, cache, logins

    def test_tags_lists_the_repository_tags(self):
        self.assertEqual(self.login().rc, 0)
        r = self.ctl_ok("image", "tags", f"{self.addr}/test/busybox", "-o", "json")
        self.assertEqual(sorted(r.json()), ["v1", "v2"])
        r = self.ctl("image", "tags", f"{self.addr}/test/busybox:v1")
        self.assertEqual(r.rc, 1, repr(r))

    def test_cache_ls_shows_fetched_blobs_and_prune_removes_them(self):
        self.assertEqual(self.login().rc, 0)
        self.ctl_ok("image", "fetch", f"{self.addr}/test/busybox:v1", "-o", os.path.join(self.tmp, "a.tar"))
        blobs = self.ctl_ok("image", "cache", "ls", "-o", "json").json()
        digests = {b["digest"] for b in blobs}
        for layer in self.expected("test/busybox:v1")["layers"]:
            self.assertIn(layer["digest"], digests)
        kept = self.ctl_ok("image", "cache", "prune", "--older-than", "1h", "-o", "json").json()
        self.assertEqual(kept, [])
        removed = self.ctl_ok("image", "cache", "prune", "-o", "json").json()
        self.assertEqual({b["digest"] for b in removed}, digests)
        self.assertEqual(self.ctl_ok("image", "cache", "ls", "-o", "json").json(), [])

    def test_login_ls_logout_round_trip_keeps_the_file_private_and_the_secret_out_of_ls(self):
        user, password = self.reg["robot_username"], self.reg["robot_password"]
        r = self.login(user=user, password=password)
        self.assertEqual(r.rc, 0, repr(r))
        auth = os.path.join(self.xdg["XDG_CONFIG_HOME"], "clusterctl", "auth.json")
        self.assertEqual(stat.S_IMODE(os.stat(auth).st_mode), 0o600)
        r = self.ctl_ok("registry", "ls", "-o", "json")
        self.assertIn({"registry": self.addr, "username": user, "source": "clusterctl"}, r.json())
        self.assertNotIn(password, r.out)
        # the stored robot$ci login is what fetch uses
        self.ctl_ok("image", "inspect", f"{self.addr}/test/busybox:v1")
        self.ctl_ok("registry", "logout", self.addr)
        self.assertEqual([l for l in self.ctl_ok("registry", "ls", "-o", "json").json() if l["registry"] == self.addr], [])
        r = self.ctl("image", "inspect", f"{self.addr}/test/busybox:v1")
        self.assertEqual(r.rc, 1, repr(r))


if __name__ == "__main__":
    unittest.main(verbosity=2)
