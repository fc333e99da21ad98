"""Host keys against real sshd nodes: a changed key is refused by every command that
connects, pins are per address too, rekey asks, known_hosts is read as OpenSSH reads it,
node set re-pins. Some tests give node04 a new host key (tests/cluster/cluster
rotate-host-key); every test reads the cluster's keys afresh."""
import json
import os
import pty
import subprocess
import unittest

from clusterlib import BIN, ClusterTestCase, cluster_info, cluster_script, require_cluster

require_cluster()

CHANGED = "node04"  # a GPU node, so gpu status sees it
HEALTHY = ("node01", "node03")  # node03 is a GPU node too


def rotate(name):
    """Gives the node a new host key; returns (old, new) fingerprints."""
    old = next(n for n in cluster_info()["nodes"] if n["name"] == name)["host_key_fingerprint"]
    cluster_script("rotate-host-key", "--dir", os.environ["CLUSTERCTL_TEST_CLUSTER"], name)
    new = next(n for n in cluster_info()["nodes"] if n["name"] == name)["host_key_fingerprint"]
    assert old != new
    return old, new


class ChangedHostKey(ClusterTestCase):
    """Each command that connects refuses the node whose key changed, and only that node."""

    def setUp(self):
        super().setUp()
        for name in (*HEALTHY, CHANGED):
            self.add(name)
        self.old, self.new = rotate(CHANGED)
        self.nodes = ",".join((*HEALTHY, CHANGED))

    def assert_refused(self, error):
        self.assertIn(self.old, error)
        self.assertIn(self.new, error)
        self.assertIn(f"clusterctl node rekey {CHANGED}", error)

    def by_node(self, r):
        self.assertNotEqual(r.rc, 0, repr(r))
        return {o["node"]: o for o in r.json()}

    def test_exec_refuses_a_changed_host_key_while_other_nodes_run(self):
        out = self.by_node(self.run_ctl("exec", self.nodes, "-o", "json", "--", "echo", "ran"))
        self.assertEqual(out[CHANGED]["status"], "host-key")
        self.assertEqual(out[CHANGED]["stdout"], "")
        self.assert_refused(out[CHANGED]["error"])
        for name in HEALTHY:
            self.assertEqual((out[name]["status"], out[name]["stdout"]), ("ok", "ran\n"))

    def test_cp_refuses_a_changed_host_key_while_other_nodes_get_the_file(self):
        src = os.path.join(self.tmp, "payload")
        with open(src, "w") as f:
            f.write("payload\n")
        out = self.by_node(self.run_ctl("cp", src, f"{self.nodes}:/tmp/hostkey-payload", "-o", "json"))
        self.assertEqual(out[CHANGED]["status"], "host-key")
        self.assert_refused(out[CHANGED]["error"])
        for name in HEALTHY:
            self.assertEqual(out[name]["status"], "ok", out[name])

    def test_gpu_status_refuses_a_changed_host_key_while_other_gpu_nodes_report(self):
        out = self.by_node(self.run_ctl("-o", "json", "gpu", "status", f"node03,{CHANGED}"))
        self.assertEqual(out[CHANGED]["state"], "unreachable")
        self.assertEqual(out[CHANGED]["gpus"], [])
        self.assert_refused(out[CHANGED]["error"])
        self.assertEqual(out["node03"]["state"], "ok", out["node03"])

    def test_key_push_refuses_a_changed_host_key_while_other_nodes_get_the_key(self):
        key = os.path.join(self.tmp, "k")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        self.ok("key", "add", "k", "--public-key", key + ".pub")
        r = self.run_ctl("key", "push", "k", "--to", f"node01,{CHANGED}", "--remote-user", "cctest", "-o", "json")
        out = self.by_node(r)
        self.assertEqual(out[CHANGED]["status"], "host-key")
        self.assert_refused(out[CHANGED]["error"])
        self.assertEqual(out["node01"]["status"], "ok", out["node01"])
        placed = {p["node"] for p in self.ok("key", "show", "k", "-o", "json").json()["placements"]}
        self.assertEqual(placed, {"node01"})

    def test_node_add_under_another_name_is_refused_when_the_key_contradicts_that_address_pin(self):
        addr = self.node(CHANGED)["addr"]
        r = self.run_ctl("node", "add", f"{CHANGED}b", "--host", addr, "--accept-new-host-key")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn(f'node "{CHANGED}"', r.err)
        self.assertIn(self.old, r.err)
        self.assertIn(self.new, r.err)
        self.assertEqual(len(self.ok("node", "ls", "-o", "json").json()), 3)
        # The key pinned at an address is trusted there under a second name, with no flag.
        twin = self.ok("node", "add", "node01b", "--host", self.node("node01")["addr"], "-o", "json").json()
        self.assertEqual(twin["host_key"]["fingerprint"], self.node("node01")["host_key_fingerprint"])

    def test_node_set_to_an_address_whose_pin_the_key_contradicts_is_refused_and_changes_nothing(self):
        before = self.ok("node", "show", "node01", "-o", "json").json()
        r = self.run_ctl("node", "set", "node01", "--host", self.node(CHANGED)["addr"], "--accept-new-host-key",
                         "--group=+moved")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn(f'node "{CHANGED}"', r.err)
        self.assertIn(self.new, r.err)
        self.assertEqual(self.ok("node", "show", "node01", "-o", "json").json(), before)

    def rekey(self, *args, **kw):
        return self.run_ctl("node", "rekey", CHANGED, *args, **kw)

    def pinned(self):
        return self.sql("SELECT host_key_fingerprint FROM nodes WHERE name = ?", CHANGED)[0][0]

    def test_rekey_without_a_terminal_needs_yes_or_a_fingerprint_and_dry_run_changes_nothing(self):
        r = self.rekey()
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("--yes", r.err)
        self.assertIn(self.old, r.err)  # the plan was shown
        self.assertIn(self.new, r.err)
        self.assertEqual(self.pinned(), self.old)
        r = self.rekey("--dry-run", "-o", "json")
        self.assertEqual(r.rc, 0, repr(r))
        self.assertEqual(r.json(), {"node": CHANGED, "old_fingerprint": self.old, "new_fingerprint": self.new,
                                    "changed": True, "pinned": False})
        self.assertEqual(self.pinned(), self.old)
        r = self.rekey("--host-key-fingerprint", self.old)
        self.assertEqual(r.rc, 1, repr(r))
        self.assertEqual(self.pinned(), self.old)
        out = self.ok("node", "rekey", CHANGED, "--host-key-fingerprint", self.new, "-o", "json").json()
        self.assertTrue(out["pinned"])
        self.assertEqual(self.pinned(), self.new)
        out = self.ok("node", "rekey", CHANGED, "-o", "json").json()  # unchanged: nothing to ask
        self.assertEqual((out["changed"], out["pinned"]), (False, False))
        self.ok("exec", CHANGED, "--", "true")

    def rekey_on_a_terminal(self, answer):
        """Runs node rekey with stdin and stderr on a pseudo-terminal; returns (rc, what it showed)."""
        leader, follower = pty.openpty()
        proc = subprocess.Popen([BIN, "--inventory", self.inventory, "--config", self.config, "node", "rekey",
                                 CHANGED], stdin=follower, stderr=follower, stdout=subprocess.PIPE,
                                env=self.env())
        os.close(follower)
        shown = b""
        while b"[y/N]" not in shown:
            chunk = os.read(leader, 4096)
            self.assertTrue(chunk, shown)
            shown += chunk
        os.write(leader, answer.encode() + b"\n")
        proc.communicate(timeout=60)
        os.close(leader)
        return proc.returncode, shown.decode(errors="replace")

    def test_rekey_shows_both_keys_and_asks_on_a_terminal(self):
        rc, shown = self.rekey_on_a_terminal("n")
        self.assertEqual(rc, 1)
        self.assertIn(self.old, shown)
        self.assertIn(self.new, shown)
        self.assertEqual(self.pinned(), self.old)
        rc, shown = self.rekey_on_a_terminal("y")
        self.assertEqual(rc, 0, shown)
        self.assertEqual(self.pinned(), self.new)


class KnownHosts(ClusterTestCase):
    """ssh.known_hosts is read as OpenSSH reads it."""

    def key_of(self, name):
        with open(self.cluster["known_hosts"]) as f:
            addr = self.node(name)["addr"]
            return next(l.split()[1:3] for l in f if l.split() and l.split()[0] == addr)

    def write_known_hosts(self, text, hashed=False):
        with open(self.known_hosts, "w") as f:
            f.write(text)
        if hashed:
            subprocess.run(["ssh-keygen", "-H", "-f", self.known_hosts], check=True, capture_output=True)

    def add_node01(self, *flags):
        return self.run_ctl("node", "add", "node01", "--host", self.node("node01")["addr"], *flags)

    def test_a_revoked_key_is_refused_even_with_accept_new_or_its_fingerprint(self):
        kind, blob = self.key_of("node01")
        addr = self.node("node01")["addr"]
        self.write_known_hosts(f"{addr} {kind} {blob}\n# revoked after the leak\n@revoked * {kind} {blob}\n")
        for flags in ([], ["--accept-new-host-key"], ["--host-key-fingerprint", self.node("node01")["host_key_fingerprint"]]):
            r = self.add_node01(*flags)
            self.assertEqual(r.rc, 1, repr(r))
            self.assertIn("@revoked", r.err)
            self.assertIn("line 3", r.err)
        self.assertEqual(self.ok("node", "ls", "-o", "json").json(), [])

    def test_a_key_revoked_after_it_was_pinned_stops_exec_on_that_node(self):
        kind, blob = self.key_of("node01")
        self.assertEqual(self.add_node01("--accept-new-host-key").rc, 0)
        self.assertEqual(self.run_ctl("exec", "node01", "--", "true").rc, 0)
        self.write_known_hosts(f"@revoked * {kind} {blob}\n")
        r = self.run_ctl("exec", "node01", "-o", "json", "--", "true")
        self.assertNotEqual(r.rc, 0, repr(r))
        self.assertEqual(r.json()[0]["status"], "host-key", repr(r))
        self.assertIn("@revoked", r.json()[0]["error"])

    def test_a_hashed_entry_is_trusted_and_a_port_entry_does_not_cover_port_22(self):
        kind, blob = self.key_of("node01")
        addr = self.node("node01")["addr"]
        self.write_known_hosts(f"[{addr}]:2222 {kind} {blob}\n", hashed=True)
        r = self.add_node01()
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("unknown host key", r.err)
        self.write_known_hosts(f"{addr} {kind} {blob}\n", hashed=True)
        with open(self.known_hosts) as f:
            self.assertTrue(f.read().startswith("|1|"))
        self.assertEqual(self.add_node01().rc, 0)

    def test_patterns_with_negation_rule_a_host_out(self):
        kind, blob = self.key_of("node01")
        addr = self.node("node01")["addr"]
        prefix = addr.rsplit(".", 1)[0]
        self.write_known_hosts(f"{prefix}.*,!{addr} {kind} {blob}\n")
        r = self.add_node01()
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("unknown host key", r.err)
        self.write_known_hosts(f"{prefix}.?1,{prefix}.1? {kind} {blob}\n")
        self.assertEqual(self.add_node01().rc, 0)

    def test_a_cert_authority_line_is_reported_as_unsupported_and_not_trusted(self):
        kind, blob = self.key_of("node01")
        self.write_known_hosts(f"@cert-authority * {kind} {blob}\n")
        r = self.add_node01()
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("unknown host key", r.err)
        self.assertIn("@cert-authority", r.err)
        self.assertIn("not supported", r.err)


class NodeSet(ClusterTestCase):
    def test_set_changes_user_identity_and_groups_without_connecting(self):
        self.add("node01", "--group", "cpu")
        out = self.ok("node", "set", "node01", "--user", "cctest", "--identity", self.cluster["client_key"],
                      "--group=+rack1", "--group=-cpu", "-o", "json").json()
        self.assertEqual((out["user"], out["identity"], out["groups"]), ("cctest", self.cluster["client_key"], ["rack1"]))
        out = self.ok("node", "set", "node01", "--user", "root", "--identity", "", "-o", "json").json()
        self.assertEqual((out["user"], out["identity"]), ("root", None))
        self.ok("exec", "node01", "--", "true")

    def test_set_host_re_pins_the_key_as_node_add_does(self):
        self.add("node01")
        target = self.node("node02")
        r = self.run_ctl("node", "set", "node01", "--host", target["addr"])
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("unknown host key", r.err)
        self.assertIn(target["host_key_fingerprint"], r.err)
        self.assertEqual(self.ok("node", "show", "node01", "-o", "json").json()["host"], self.node("node01")["addr"])
        out = self.ok("node", "set", "node01", "--host", target["addr"], "--host-key-fingerprint",
                      target["host_key_fingerprint"], "-o", "json").json()
        self.assertEqual((out["host"], out["host_key"]["fingerprint"]), (target["addr"], target["host_key_fingerprint"]))
        self.assertEqual(self.ok("exec", "node01", "-o", "json", "--", "hostname").json()[0]["stdout"], "node02\n")

    def test_set_refuses_a_port_where_nothing_listens_and_changes_nothing(self):
        self.add("node01")
        before = self.ok("node", "show", "node01", "-o", "json").json()
        r = self.run_ctl("node", "set", "node01", "--port", "2222", "--accept-new-host-key", "--user", "x")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertEqual(self.ok("node", "show", "node01", "-o", "json").json(), before)

    def test_set_refuses_bad_values_and_unknown_nodes_with_the_value_named(self):
        self.add("node01")
        for args, needle in [(["node01", "--group", "+all"], '"all"'), (["node01", "--group=gpu"], '"gpu"'),
                             (["node01", "--host", "a;b"], '"a;b"'), (["node01"], "nothing to change"),
                             (["node09", "--user", "u"], '"node09"')]:
            r = self.run_ctl("node", "set", *args)
            self.assertEqual(r.rc, 1, repr(r))
            self.assertIn(needle, r.err)


class NodeNames(ClusterTestCase):
    def test_dot_and_dot_dot_are_refused_as_node_names(self):
        for name in (".", ".."):
            r = self.run_ctl("node", "add", name, "--host", self.node("node01")["addr"], "--accept-new-host-key")
            self.assertEqual(r.rc, 1, repr(r))
            self.assertIn(f'"{name}"', r.err)
        self.assertEqual(self.ok("node", "ls", "-o", "json").json(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
