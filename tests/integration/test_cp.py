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
        self.remote_dirs = []

    def tearDown(self):
        if self.remote_dirs:
            self.on_nodes("rm -rf " + " ".join(self.remote_dirs))
        super().tearDown()

    def on_nodes(self, script):
        out = self.ok("exec", self.pair, "-o", "json", "--", "sh", "-c", script).json()
        return {o["node"]: o["stdout"] for o in out}

    def assert_no_leftovers(self, *remote_dirs):
        """No temp file of a transfer on any node (in remote_dirs) nor locally (in the test's directory)."""
        dirs = " ".join(remote_dirs)
        for node, found in self.on_nodes(f"find {dirs} -name '.*.clusterctl-*' 2>/dev/null; true").items():
            self.assertEqual(found, "", f"temp files left on {node}")
        local = [os.path.join(d, f) for d, _, files in os.walk(self.tmp) for f in files if ".clusterctl-" in f]
        self.assertEqual(local, [], "temp files left locally")

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
        for o in r.json():
            self.assertEqual(o["status"], "error", o)
            self.assertTrue(o["error"].endswith("no such directory on the node: /nonexistent/dir"), o["error"])
            self.assertNotIn("clusterctl-", o["error"], "the temp file's name is no business of the user")
        self.assert_no_leftovers("/tmp")

    def unique_dir(self):
        """A directory of this test's own on the nodes (tests share the nodes)."""
        path = f"/tmp/cp-{os.path.basename(self.tmp)}"
        self.on_nodes(f"mkdir -p {path}")
        self.remote_dirs.append(path)
        return path

    def small_file(self, name="conf.txt", text="new\n"):
        src = os.path.join(self.tmp, name)
        with open(src, "w") as f:
            f.write(text)
        return src

    def test_an_existing_file_replaced_keeps_its_owner_and_mode(self):
        base = self.unique_dir()
        self.on_nodes(f"echo old > {base}/conf.txt && chown 1234:2345 {base}/conf.txt && chmod 640 {base}/conf.txt")
        src = self.small_file(text="replaced\n")
        os.chmod(src, 0o755)
        self.ok("cp", src, f"{self.pair}:{base}/conf.txt")
        after = self.on_nodes(f"cat {base}/conf.txt; stat -c '%u:%g %a' {base}/conf.txt")
        self.assertEqual(set(after.values()), {"replaced\n1234:2345 640\n"})
        self.assert_no_leftovers(base)

    def test_a_file_put_onto_a_symlink_to_a_file_is_refused_and_keeps_the_link(self):
        base = self.unique_dir()
        self.on_nodes(f"echo target > {base}/real && ln -s {base}/real {base}/link")
        r = self.run_ctl("cp", self.small_file(), f"{self.pair}:{base}/link", "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        self.assertTrue(all("symbolic link" in o["error"] for o in r.json()), repr(r))
        after = self.on_nodes(f"readlink {base}/link; cat {base}/real")
        self.assertEqual(set(after.values()), {f"{base}/real\ntarget\n"})
        self.assert_no_leftovers(base)

    def test_a_file_put_onto_an_existing_directory_fails_and_leaves_nothing_inside(self):
        base = self.unique_dir()
        self.on_nodes(f"mkdir {base}/target")
        r = self.run_ctl("cp", self.small_file(), f"{self.pair}:{base}/target", "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        for o in r.json():
            self.assertEqual(o["status"], "error", o)
            self.assertIn(f"{base}/target is a directory (end the destination with / to copy into it)", o["error"])
        self.assertEqual(set(self.on_nodes(f"ls -A {base}/target").values()), {""})
        self.assert_no_leftovers(base)

    def test_a_file_put_onto_a_symlink_to_a_directory_fails_and_keeps_the_link(self):
        base = self.unique_dir()
        self.on_nodes(f"mkdir {base}/real && ln -s {base}/real {base}/link")
        r = self.run_ctl("cp", self.small_file(), f"{self.pair}:{base}/link", "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        self.assertTrue(all("is a directory" in o["error"] for o in r.json()), repr(r))
        after = self.on_nodes(f"readlink {base}/link; ls -A {base}/real")
        self.assertEqual(set(after.values()), {f"{base}/real\n"})
        self.assert_no_leftovers(base)

    def test_a_tree_that_cannot_land_whole_removes_every_temp_file(self):
        # Every file's bytes arrive before any lands; then one target is a directory, so none
        # may land and the temp files of the others must go too.
        base = self.unique_dir()
        tree = os.path.join(self.tmp, "tree")
        os.makedirs(tree)
        for name in ("a.txt", "b.txt", "c.txt"):
            self.small_file(os.path.join("tree", name))
        self.on_nodes(f"mkdir -p {base}/tree/b.txt")
        r = self.run_ctl("cp", tree, f"{self.pair}:{base}/tree", "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        self.assertTrue(all(f"{base}/tree/b.txt is a directory" in o["error"] for o in r.json()), repr(r))
        self.assertEqual(set(self.on_nodes(f"ls -A {base}/tree").values()), {"b.txt\n"})
        self.assert_no_leftovers(base)

    def test_a_tree_whose_bytes_cannot_all_arrive_lands_nothing(self):
        # Every file's bytes arrive before any lands: a disk that fills part-way through the
        # upload (a 64 KiB tmpfs, a 1 MiB file) leaves the destination as it was.
        base = self.unique_dir()
        full = f"{base}/full"
        self.on_nodes(f"mkdir -p {full} && mount -t tmpfs -o size=64k tmpfs {full}")
        try:
            tree = os.path.join(self.tmp, "tree")
            os.makedirs(tree)
            for name in ("a.txt", "b.txt", "c.txt", "d.txt", "e.txt"):
                self.small_file(os.path.join("tree", name))
            with open(os.path.join(tree, "big.bin"), "wb") as f:
                f.write(os.urandom(1 << 20))
            r = self.run_ctl("cp", tree, f"{self.pair}:{full}/tree", "-o", "json")
            self.assertEqual(r.rc, 3, repr(r))
            self.assertEqual({o["status"] for o in r.json()}, {"error"}, repr(r))
            self.assertEqual(set(self.on_nodes(f"ls -A {full}/tree").values()), {""})
            self.assert_no_leftovers(full)
        finally:
            self.on_nodes(f"umount {full}")

    def test_gathering_a_directory_is_refused_in_plain_words(self):
        dest = os.path.join(self.tmp, "gathered")
        r = self.run_ctl("cp", f"{self.pair}:/etc", dest + "/", "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        for o in r.json():
            self.assertTrue(o["error"].endswith("/etc is a directory (cp gathers one file per node)"), o["error"])
        self.assert_no_leftovers("/tmp")

    def test_gathering_refuses_a_symlink_planted_at_the_node_directory(self):
        dest = os.path.join(self.tmp, "gathered")
        victim = os.path.join(self.tmp, "victim")
        os.makedirs(dest)
        os.makedirs(victim)
        os.symlink(victim, os.path.join(dest, self.names[0]))
        r = self.run_ctl("cp", f"{self.pair}:/etc/hostname", dest + "/", "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        by_node = {o["node"]: o for o in r.json()}
        self.assertEqual(by_node[self.names[0]]["status"], "error")
        self.assertIn("is a symbolic link; refusing to write through it", by_node[self.names[0]]["error"])
        self.assertEqual(by_node[self.names[1]]["status"], "ok")
        self.assertEqual(os.listdir(victim), [], "nothing may be written through the planted link")
        self.assert_no_leftovers("/tmp")

    def test_gathering_never_writes_through_symlinks_planted_at_the_temp_or_final_name(self):
        dest = os.path.join(self.tmp, "gathered")
        victims = {}
        for node in self.names:
            os.makedirs(os.path.join(dest, node))
            for planted in (".hostname.clusterctl-part", "hostname"):
                victim = os.path.join(self.tmp, f"victim-{node}-{planted.strip('.').split('.')[-1]}")
                with open(victim, "w") as f:
                    f.write("precious\n")
                os.symlink(victim, os.path.join(dest, node, planted))
                victims[victim] = "precious\n"
        out = self.ok("cp", f"{self.pair}:/etc/hostname", dest + "/", "-o", "json").json()
        for o in out:
            path = os.path.join(dest, o["node"], "hostname")
            self.assertFalse(os.path.islink(path))
            with open(path) as f:
                self.assertEqual(f.read().strip(), o["node"])
        for victim, text in victims.items():
            with open(victim) as f:
                self.assertEqual(f.read(), text, f"{victim} was written through a planted link")
        self.assert_no_leftovers("/tmp")

    def test_a_bad_spec_is_a_clear_error(self):
        r = self.run_ctl("cp", "/etc/hostname", "/tmp/also-local")
        self.assertEqual(r.rc, 1)
        self.assertIn("exactly one side", r.err)
        r = self.run_ctl("cp", "/no/such/file", f"{self.names[0]}:/tmp/x")
        self.assertEqual(r.rc, 1)
        self.assertIn('"/no/such/file"', r.err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
