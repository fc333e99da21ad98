"""image ls / rm / pull on real nodes: each node's own podman, a real registry with
TLS and htpasswd auth, and a login that must never be seen on the nodes."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from clusterlib import REPO, ClusterTestCase, cluster_script, require_cluster

require_cluster()


class NodeImages(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.names = [n["name"] for n in self.cluster["nodes"]][:3]
        for name in self.names:
            self.add(name)
        self.undo = []  # (nodes, script) run before the inventory goes

    def tearDown(self):
        for nodes, script in self.undo:
            self.on_nodes(nodes, script)
        super().tearDown()

    def on_nodes(self, nodes, script):
        out = self.ok("exec", ",".join(nodes), "-o", "json", "--", "sh", "-c", script).json()
        return {o["node"]: o["stdout"] for o in out}

    def image_id(self, nodes, name):
        """The id each node's podman gives NAME ("" when it has no such image)."""
        found = self.on_nodes(nodes, f"podman image inspect --format '{{{{.Id}}}}' {name} 2>/dev/null; true")
        return {node: out.strip() for node, out in found.items()}

    def tag_on(self, nodes, name):
        self.on_nodes(nodes, f"podman tag localhost/busybox:latest {name}")
        self.undo.append((nodes, f"podman rmi {name} >/dev/null 2>&1; true"))

    def test_ls_shows_every_nodes_images_with_the_ids_podman_gives_them(self):
        ids = self.image_id(self.names[:2], "localhost/busybox:latest")
        out = self.ok("image", "ls", ",".join(self.names[:2]), "-o", "json").json()
        self.assertEqual([n["node"] for n in out], self.names[:2])
        for node in out:
            self.assertEqual(node["status"], "ok", node)
            self.assertEqual(node["runtime"], "podman")
            busybox = [i for i in node["images"] if i["repository"] == "localhost/busybox"]
            self.assertEqual(len(busybox), 1, node)
            self.assertEqual(busybox[0]["tag"], "latest")
            self.assertEqual(busybox[0]["id"], "sha256:" + ids[node["node"]])
            self.assertGreater(busybox[0]["size"], 1_000_000)
        table = self.ok("image", "ls", self.names[0]).out
        self.assertRegex(table, r"NODE\s+REPOSITORY\s+TAG\s+ID\s+SIZE")
        self.assertIn(ids[self.names[0]][:12], table)

    def test_rm_dry_run_shows_what_would_go_per_node_and_removes_nothing(self):
        self.tag_on(self.names[:2], "localhost/rmtest:dry")
        r = self.ok("image", "rm", "localhost/rmtest:dry", "--from", ",".join(self.names[:2]), "--dry-run",
                    "-o", "json")
        for node in r.json():
            self.assertEqual(node["status"], "ok")
            self.assertFalse(node["removed"])
            self.assertEqual([(i["repository"], i["tag"]) for i in node["images"]], [("localhost/rmtest", "dry")])
        self.assertIn("remove localhost/rmtest:dry", r.err)
        self.assertTrue(all(self.image_id(self.names[:2], "localhost/rmtest:dry").values()))

    def test_rm_without_yes_and_without_a_terminal_is_refused_and_removes_nothing(self):
        self.tag_on(self.names[:1], "localhost/rmtest:ask")
        r = self.run_ctl("image", "rm", "localhost/rmtest:ask", "--from", self.names[0])
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("--yes", r.err)
        self.assertTrue(self.image_id(self.names[:1], "localhost/rmtest:ask")[self.names[0]])

    def test_rm_yes_removes_the_name_on_the_named_nodes_only(self):
        self.tag_on(self.names, "localhost/rmtest:yes")
        targets = ",".join(self.names[:2])
        out = self.ok("image", "rm", "localhost/rmtest:yes", "--from", targets, "--yes", "-o", "json").json()
        self.assertTrue(all(n["status"] == "ok" and n["removed"] for n in out), out)
        after = self.image_id(self.names, "localhost/rmtest:yes")
        self.assertEqual(after[self.names[0]], "")
        self.assertEqual(after[self.names[1]], "")
        self.assertNotEqual(after[self.names[2]], "", "a node outside --from lost the image")
        # Only the name went: the image keeps its other name.
        self.assertTrue(all(self.image_id(self.names[:2], "localhost/busybox:latest").values()))
        # Again: nothing left to remove is not a failure.
        again = self.ok("image", "rm", "localhost/rmtest:yes", "--from", targets, "--yes", "-o", "json").json()
        self.assertTrue(all(n["status"] == "ok" and not n["removed"] and n["images"] == [] for n in again))


class NodePull(ClusterTestCase):
    """Nodes pull from the test registry themselves, with the admin host's login."""

    def setUp(self):
        super().setUp()
        self.reg = self.registry()
        self.names = [n["name"] for n in self.cluster["nodes"]][:2]
        for name in self.names:
            self.add(name)
        self.ref = f'{self.reg["addr"]}/test/busybox:v1'
        self.on_nodes(self.names, f"podman rmi {self.ref} >/dev/null 2>&1; true")

    def tearDown(self):
        self.on_nodes(self.names, f"podman rmi {self.ref} >/dev/null 2>&1; true")
        super().tearDown()

    def on_nodes(self, nodes, script):
        out = self.ok("exec", ",".join(nodes), "-o", "json", "--", "sh", "-c", script).json()
        return {o["node"]: o["stdout"] for o in out}

    def login(self, password):
        """The admin host's login, in ~/.docker/config.json (HOME is the test's directory)."""
        os.makedirs(os.path.join(self.tmp, ".docker"), exist_ok=True)
        auth = base64.b64encode(f'{self.reg["username"]}:{password}'.encode()).decode()
        with open(os.path.join(self.tmp, ".docker", "config.json"), "w") as f:
            json.dump({"auths": {self.reg["addr"]: {"auth": auth}}}, f)
        return auth

    def watch_for(self, node, secrets):
        """Starts a loop on NODE (as root, outside ssh) recording every process whose argv or
        environment holds one of SECRETS; returns a function that stops it and returns the hits.
        The patterns and hits live in the cluster's directory (on the host, seen by the node),
        so no argv of the watch itself holds a secret and the node's /tmp is left alone."""
        work = tempfile.mkdtemp(prefix="secret-watch-", dir=os.environ["CLUSTERCTL_TEST_CLUSTER"])
        self.addCleanup(shutil.rmtree, work, True)
        patterns, hits, running = (os.path.join(work, f) for f in ("patterns", "hits", "running"))
        with open(patterns, "w") as f:
            f.write("\n".join(secrets) + "\n")
        open(hits, "w").close()
        open(running, "w").close()
        loop = (f"while [ -e {running} ]; do grep -l -a -F -f {patterns} "
                f"/proc/[0-9]*/cmdline /proc/[0-9]*/environ >> {hits} 2>/dev/null; done")
        proc = subprocess.Popen([os.path.join(REPO, "tests/cluster/cluster"), "exec", "--dir",
                                 os.environ["CLUSTERCTL_TEST_CLUSTER"], node, "--", "sh", "-c", loop])

        def stop():
            os.remove(running)
            proc.wait(timeout=30)
            with open(hits) as f:
                return f.read()
        return stop

    def test_pull_with_the_right_login_leaves_no_auth_file_and_no_secret_in_argv_or_environment(self):
        password = self.reg["password"]
        token = self.login(password)
        node = self.names[0]
        before = self.on_nodes(self.names, "ls -A /tmp")
        stop_watching = self.watch_for(node, [password, token])
        try:
            time.sleep(0.5)
            r = self.run_ctl("image", "pull", self.ref, "--to", ",".join(self.names), "-o", "json")
        finally:
            seen = stop_watching()
        self.assertEqual(r.rc, 0, repr(r))
        self.assertTrue(all(n["status"] == "ok" for n in r.json()), r.out)
        self.assertEqual(seen, "", "the login was in a process's argv or environment")
        self.assertEqual(self.on_nodes(self.names, "ls -A /tmp"), before, "something was left in /tmp")
        leftovers = self.on_nodes(self.names, f"grep -rl -F -e '{token}' -e '{password}' /tmp /var/tmp /root 2>/dev/null; true")
        self.assertEqual(set(leftovers.values()), {""}, leftovers)
        ids = self.on_nodes(self.names, f"podman image inspect --format '{{{{.Id}}}}' {self.ref}")
        listed = self.ok("image", "ls", ",".join(self.names), "-o", "json").json()
        for n in listed:
            mine = [i for i in n["images"] if f'{i["repository"]}:{i["tag"]}' == self.ref]
            self.assertEqual([i["id"] for i in mine], ["sha256:" + ids[n["node"]].strip()], n)

    def test_a_robot_account_logged_in_with_registry_login_pulls_on_every_node(self):
        """The login clusterctl stores itself (registry login), for a name with a '$' in it."""
        self.write_config(f'[ssh]\nidentity_files = ["{self.cluster["client_key"]}"]\n'
                          f'known_hosts = "{self.known_hosts}"\nconnect_timeout = "5s"\n'
                          f'[registry."{self.reg["addr"]}"]\nca_file = "{self.reg["ca"]}"\n')
        xdg = {"XDG_CONFIG_HOME": os.path.join(self.tmp, "xdg-config")}
        self.ok("registry", "login", self.reg["addr"], "--username", self.reg["robot_username"], "--password-stdin",
                stdin=self.reg["robot_password"] + "\n", extra_env=xdg)
        r = self.run_ctl("image", "pull", self.ref, "--to", ",".join(self.names), "-o", "json", extra_env=xdg)
        self.assertEqual(r.rc, 0, repr(r))
        self.assertEqual([n["status"] for n in r.json()], ["ok"] * len(self.names))
        ids = self.on_nodes(self.names, f"podman image inspect --format '{{{{.Id}}}}' {self.ref}")
        self.assertTrue(all(len(i.strip()) == 64 for i in ids.values()), ids)

    def test_a_wrong_password_fails_on_every_node_with_the_registrys_answer(self):
        self.login("not-the-password")
        r = self.run_ctl("image", "pull", self.ref, "--to", ",".join(self.names), "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        for n in r.json():
            self.assertEqual(n["status"], "error", n)  # the runtime's refusal, not a lost node
            self.assertIn("podman pull: ", n["error"])
            self.assertRegex(n["error"].lower(), r"unauthorized|authentication required|denied", n)
        self.assertEqual(set(self.on_nodes(self.names, f"podman images -q {self.ref}").values()), {""})

    def test_one_dead_node_does_not_keep_the_others_from_pulling(self):
        self.login(self.reg["password"])
        dead = self.names[1]
        cluster_script("stop-node", "--dir", os.environ["CLUSTERCTL_TEST_CLUSTER"], dead)
        try:
            r = self.run_ctl("image", "pull", self.ref, "--to", ",".join(self.names), "-o", "json")
        finally:
            cluster_script("start-node", "--dir", os.environ["CLUSTERCTL_TEST_CLUSTER"], dead)
        self.assertEqual(r.rc, 3, repr(r))
        status = {n["node"]: n["status"] for n in r.json()}
        self.assertEqual(status, {self.names[0]: "ok", dead: "unreachable"})


if __name__ == "__main__":
    unittest.main()
