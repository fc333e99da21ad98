"""cp to and from real nodes over SFTP: content, modes, atomic landing, failures."""
import hashlib
import os
import subprocess
import unittest

from clusterlib import BIN, ClusterTestCase, require_cluster

require_cluster()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Copy(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.names = [n["name"] for n in self.cluster["nodes"]][:2]
        for name in self.names:
            self.add(name)
        self.pair = ",".join(self.names)

    def remote_sha_and_mode(self, path):
        out = self.ok("exec", self.pair, "-o", "json", "--", "sh", "-c",
                      f"sha256sum {path} | cut -d' ' -f1; stat -c %a {path}; ls -a $(dirname {path})").json()
        return {o["node"]: o["stdout"].split("\n") for o in out}

    def test_a_file_lands_with_its_content_and_mode(self):
        src = os.path.join(self.tmp, "payload.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(3 * 1024 * 1024 + 17))
        os.chmod(src, 0o751)
        out = self.ok("cp", src, f"{self.pair}:/tmp/payload.bin", "-o", "json").json()
        self.assertTrue(all(o["status"] == "ok" and o["bytes"] == 3 * 1024 * 1024 + 17 for o in out))
        for node, lines in self.remote_sha_and_mode("/tmp/payload.bin").items():
            self.assertEqual(lines[0], sha256(src), node)
            self.assertEqual(lines[1], "751", node)
            self.assertFalse(any(".clusterctl-" in l for l in lines), "temp file left behind")

    def test_destination_ending_in_slash_means_into_that_directory(self):
        src = os.path.join(self.tmp, "conf.txt")
        with open(src, "w") as f:
            f.write("hello\n")
        self.ok("cp", src, f"{self.pair}:/tmp/")
        out = self.ok("exec", self.pair, "-o", "json", "--", "cat", "/tmp/conf.txt").json()
        self.assertEqual({o["stdout"] for o in out}, {"hello\n"})

    def test_a_directory_tree_is_copied_recursively(self):
        tree = os.path.join(self.tmp, "tree")
        os.makedirs(os.path.join(tree, "a", "b"))
        for rel, text in [("top.txt", "t"), ("a/one.txt", "1"), ("a/b/two.txt", "2")]:
            with open(os.path.join(tree, rel), "w") as f:
                f.write(text)
        out = self.ok("cp", tree, f"{self.pair}:/tmp/tree-copy", "-o", "json").json()
        self.assertEqual({o["files"] for o in out}, {3})
        r = self.ok("exec", self.pair, "-o", "json", "--", "sh", "-c",
                    "cd /tmp/tree-copy && find . -type f | sort | xargs cat").json()
        self.assertEqual({o["stdout"] for o in r}, {"21t"})

    def test_files_are_gathered_into_one_directory_per_node(self):
        dest = os.path.join(self.tmp, "gathered")
        out = self.ok("cp", f"{self.pair}:/etc/hostname", dest + "/", "-o", "json").json()
        for o in out:
            path = os.path.join(dest, o["node"], "hostname")
            self.assertEqual(o["local_path"], path)
            with open(path) as f:
                self.assertEqual(f.read().strip(), o["node"])

    def test_a_large_file_streams_without_being_held_in_memory(self):
        src = os.path.join(self.tmp, "big.bin")
        with open(src, "wb") as f:
            for _ in range(64):
                f.write(os.urandom(1 << 20))
        # /usr/bin/time measures the clusterctl process alone (a forked Python would count its own pages).
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "--inventory", self.inventory, "--config",
                               self.config, "cp", src, f"{self.names[0]}:/tmp/big.bin", "-q"],
                              capture_output=True, text=True, env=self.env(), timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        peak_kib = int(proc.stderr.strip().splitlines()[-1])
        if os.environ.get("CLUSTERCTL_SANITIZED") != "1":  # ASan's shadow memory inflates RSS
            self.assertLess(peak_kib, 32 * 1024, "the 64 MiB file must stream, not be buffered")
        lines = self.remote_sha_and_mode("/tmp/big.bin")[self.names[0]]
        self.assertEqual(lines[0], sha256(src))

    def test_a_missing_remote_directory_fails_that_node_and_leaves_nothing(self):
        src = os.path.join(self.tmp, "x.txt")
        with open(src, "w") as f:
            f.write("x")
        r = self.run_ctl("cp", src, f"{self.pair}:/nonexistent/dir/x.txt", "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        self.assertTrue(all(o["status"] != "ok" and "/nonexistent/dir" in o["error"] for o in r.json()))

    def test_a_bad_spec_is_a_clear_error(self):
        r = self.run_ctl("cp", "/etc/hostname", "/tmp/also-local")
        self.assertEqual(r.rc, 1)
        self.assertIn("exactly one side", r.err)
        r = self.run_ctl("cp", "/no/such/file", f"{self.names[0]}:/tmp/x")
        self.assertEqual(r.rc, 1)
        self.assertIn('"/no/such/file"', r.err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
