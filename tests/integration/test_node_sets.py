"""Which nodes a command acts on: node sets that match nothing, group typos, several NODESET
arguments, and `node rm` asking before it removes."""
import os
import pty
import subprocess
import unittest

from clusterlib import BIN, ClusterTestCase, require_cluster

require_cluster()


class NodeSets(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.add("node01", "--group", "gpu")
        self.add("node02", "--group", "cpu")

    def names(self, *args):
        return [n["name"] for n in self.ok(*args, "-o", "json").json()]

    def test_a_node_set_that_matches_nothing_is_an_error_not_zero_ok(self):
        r = self.run_ctl("exec", "node[01-02],!node01,!node02", "-o", "json", "--", "true")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn('node set "node[01-02],!node01,!node02" matches no nodes', r.err)
        self.assertEqual(r.out, "", "no result list for nothing")

    def test_at_all_on_an_empty_inventory_says_there_are_no_nodes(self):
        self.ok("node", "rm", "@all", "--yes")
        r = self.run_ctl("exec", "@all", "--", "true")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("matches no nodes (the inventory has none)", r.err)

    def test_a_group_typo_lists_the_groups_that_exist(self):
        r = self.run_ctl("exec", "@gpus", "--", "true")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn('no group "gpus"; groups: cpu, gpu', r.err)

    def test_a_group_typo_without_any_groups_says_so(self):
        self.ok("node", "rm", "@all", "--yes")
        self.add("node03")
        r = self.run_ctl("node", "ls", "@gpu")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn('no group "gpu"; no groups are defined', r.err)

    def test_node_ls_joins_several_node_sets(self):
        self.assertEqual(self.names("node", "ls", "node01", "node02"), ["node01", "node02"])
        self.assertEqual(self.names("node", "ls", "@gpu", "@cpu", "!node01"), ["node02"])

    def test_node_rm_without_a_terminal_refuses_unless_yes(self):
        r = self.run_ctl("node", "rm", "node01", "node02")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("refusing without --yes", r.err)
        self.assertIn("remove node node01 (root@", r.err)
        self.assertIn("remove node node02 (root@", r.err)
        self.assertEqual(self.names("node", "ls"), ["node01", "node02"])
        out = self.ok("node", "rm", "node01", "node02", "--yes", "-o", "json").json()
        self.assertEqual(out["removed"], ["node01", "node02"])
        self.assertEqual(self.names("node", "ls"), [])

    def test_node_rm_dry_run_shows_the_plan_and_removes_nothing(self):
        r = self.ok("node", "rm", "@all", "--dry-run", "-o", "json")
        self.assertEqual(r.json(), {"removed": [], "would_remove": ["node01", "node02"]})
        self.assertIn("remove node node01", r.err)
        self.assertEqual(self.names("node", "ls"), ["node01", "node02"])

    def answer_on_a_terminal(self, answer, *args):
        """Runs clusterctl with stdin and stderr on a pseudo-terminal and types `answer`."""
        controller, terminal = pty.openpty()
        cmd = [BIN, "--inventory", self.inventory, "--config", self.config, *args]
        proc = subprocess.Popen(cmd, stdin=terminal, stdout=subprocess.PIPE, stderr=terminal, env=self.env())
        os.close(terminal)
        seen = b""
        try:
            while b"[y/N]" not in seen:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:
                    break  # the process ended without asking
                if not chunk:
                    break
                seen += chunk
            if proc.poll() is None:
                os.write(controller, answer.encode() + b"\n")
            proc.wait(timeout=30)
            try:
                while True:
                    chunk = os.read(controller, 4096)
                    if not chunk:
                        break
                    seen += chunk
            except OSError:
                pass  # the terminal closed with the process
        finally:
            os.close(controller)
            if proc.poll() is None:
                proc.kill()
        proc.stdout.close()
        return proc.returncode, seen.decode(errors="replace")

    def test_node_rm_on_a_terminal_asks_and_a_no_removes_nothing(self):
        rc, seen = self.answer_on_a_terminal("n", "node", "rm", "@all")
        self.assertEqual(rc, 1, seen)
        self.assertIn("Remove 2 node(s) from the inventory? [y/N]", seen)
        self.assertIn("not confirmed", seen)
        self.assertEqual(self.names("node", "ls"), ["node01", "node02"])
        rc, seen = self.answer_on_a_terminal("y", "node", "rm", "@all")
        self.assertEqual(rc, 0, seen)
        self.assertEqual(self.names("node", "ls"), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
