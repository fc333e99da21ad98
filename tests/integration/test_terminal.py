"""Bytes a node sends reach the terminal escaped: a key comment carrying ESC
sequences must not clear the screen or retitle the window in `key audit`'s table
or in `key sync --exclusive`'s list of what it would remove. JSON keeps the
bytes, escaped the way JSON escapes them."""
import os
import subprocess
import unittest

from clusterlib import REPO, ClusterTestCase, require_cluster

require_cluster()

USER = "cctest"
HOME = "/run/home/cctest"
AUTH = f"{HOME}/.ssh/authorized_keys"
HOSTILE_COMMENT = "\x1b[2J\x1b]0;pwned\x07evil\x9b31m"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcbIKdnQ0YlDzg7ty2JDb8UBt9s8UDUPFuvL4hdJv6O"


class TerminalSafety(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.n1 = next(n["name"] for n in self.cluster["nodes"] if not n.get("gpu"))
        self.add(self.n1)
        line = f"{KEY} {HOSTILE_COMMENT}\n".encode("utf-8", "surrogateescape")
        self.node_sh(f"mkdir -p -m 700 {HOME}/.ssh && cat > {AUTH} && chmod 600 {AUTH} && "
                     f"chown -R {USER}:{USER} {HOME}/.ssh", stdin=line)

    def tearDown(self):
        self.node_sh(f"rm -rf {HOME}/.ssh")
        super().tearDown()

    def node_sh(self, script, stdin=None):
        r = subprocess.run([os.path.join(REPO, "tests/cluster/cluster"), "exec", "--dir",
                            os.environ["CLUSTERCTL_TEST_CLUSTER"], self.n1, "sh", "-c", script],
                           input=stdin, capture_output=True, check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def assert_escaped(self, text):
        self.assertNotIn("\x1b", text)
        self.assertNotIn("\x07", text)
        self.assertNotIn("\x9b", text)
        self.assertIn("\\e[2J\\e]0;pwned\\x07evil", text)

    def test_key_audit_table_shows_a_hostile_comment_escaped(self):
        r = self.run_ctl("key", "audit", self.n1, "--remote-user", USER, "-o", "wide")
        self.assertEqual(r.rc, 3, repr(r))  # an unknown key is drift
        self.assert_escaped(r.out + r.err)

    def test_exclusive_sync_plan_shows_a_hostile_comment_escaped(self):
        r = self.run_ctl("key", "sync", self.n1, "--remote-user", USER, "--exclusive")
        self.assertNotEqual(r.rc, 0, repr(r))  # no terminal, no --yes: nothing removed
        self.assert_escaped(r.err)
        self.assertIn(HOSTILE_COMMENT.encode("utf-8", "surrogateescape"),
                      self.node_sh(f"cat {AUTH}").stdout)

    def test_json_keeps_the_bytes_as_json_escapes(self):
        r = self.run_ctl("key", "audit", self.n1, "--remote-user", USER, "-o", "json")
        self.assertNotIn("\x1b", r.out)
        self.assertIn("\\u001b[2J", r.out)


if __name__ == "__main__":
    unittest.main()
