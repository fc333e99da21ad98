"""Every NODESET argument reaches the node-set parser exactly as typed. CLI11 once read an
argument that starts with '[' and ends with ']' as a list and stripped the brackets:
`[1-3]` became the name "1-3" and `[5-8],nova[3-4,6]` a syntax error. Each command is run on
an empty inventory: the error must name node "5", the first node of the set as typed. Needs
no cluster."""
import os
import subprocess
import unittest

from test_cli import FrontDoorTestCase

BRACKETED = "[5-8],nova[3-4,6]"
FIRST_NODE = 'clusterctl: error: node "5" is not in the inventory\n'


class NodesetArguments(FrontDoorTestCase):
    def add_key(self, name):
        key = os.path.join(self.tmp, name)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        r = self.run_bare("key", "add", name, "--public-key", key + ".pub")
        self.assertEqual(r.rc, 0, repr(r))

    def assert_reaches_parser(self, *args):
        r = self.run_bare(*args)
        self.assertEqual((r.rc, r.err), (1, FIRST_NODE), repr(r))

    def test_a_bracketed_node_set_reaches_every_command_as_typed(self):
        self.add_key("k1")
        self.add_key("k2")
        commands = [
            ("exec", BRACKETED, "--", "true"),
            ("cp", "/etc/hostname", BRACKETED + ":/tmp/x"),
            ("cp", BRACKETED + ":/etc/hostname", self.tmp),
            ("node", "ls", BRACKETED),
            ("node", "ls", "n1", BRACKETED),
            ("node", "rm", BRACKETED, "--yes"),
            ("node", "check", BRACKETED),
            ("node", "facts", BRACKETED),
            ("node", "label", BRACKETED, "a=b"),
            ("gpu", "status", BRACKETED),
            ("gpu", "ps", BRACKETED),
            ("gpu", "free", BRACKETED),
            ("key", "push", "k1", "--to", BRACKETED),
            ("key", "push", "k1", f"--to={BRACKETED}"),
            ("key", "revoke", "k1", "--from", BRACKETED, "--yes"),
            ("key", "rotate", "k1", "k2", "--on", BRACKETED),
            ("key", "audit", BRACKETED),
            ("key", "sync", BRACKETED, "--yes"),
        ]
        for args in commands:
            with self.subTest(args=args):
                self.assert_reaches_parser(*args)

    def test_nodeset_expands_counts_and_folds_a_bracketed_argument(self):
        self.assertEqual(self.run_bare("nodeset", "-e", "[1-3]").out, "1 2 3\n")
        self.assertEqual(self.run_bare("nodeset", "-e", BRACKETED).out, "5 6 7 8 nova3 nova4 nova6\n")
        self.assertEqual(self.run_bare("nodeset", "-c", BRACKETED).out, "7\n")
        self.assertEqual(self.run_bare("nodeset", "-f", "[1-3]", "nova[3-4]").out, "[1-3],nova[3-4]\n")

    def test_nodeset_reads_back_its_own_fold(self):
        folded = self.run_bare("nodeset", "-f", "11,12,13").out.strip()
        self.assertEqual(folded, "[11-13]")
        self.assertEqual(self.run_bare("nodeset", "-e", folded).out, "11 12 13\n")

    def test_several_node_sets_and_options_still_mix(self):
        r = self.run_bare("nodeset", "-c", "[1-2]", "x", "[3]")
        self.assertEqual((r.rc, r.out), (0, "4\n"), repr(r))
        r = self.run_bare("nodeset", "[1-2]", "-e", "[3]")
        self.assertEqual((r.rc, r.out), (0, "1 2 3\n"), repr(r))

    def test_a_many_node_set_command_still_requires_one(self):
        r = self.run_bare("node", "rm", "--yes")
        self.assertEqual(r.rc, 2, repr(r))
        self.assertIn("nodeset is required", r.err)


if __name__ == "__main__":
    unittest.main()
