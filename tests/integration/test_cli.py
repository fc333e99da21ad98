"""The front door, with no cluster: mistyped commands, help, version, option
errors and limits. Every test runs the real binary on a temporary inventory;
none needs a node, so none is ever skipped."""
import os
import re
import resource
import shutil
import sqlite3
import ssl
import subprocess
import tempfile
import unittest

from clusterlib import BIN, REPO, Result


class FrontDoorTestCase(unittest.TestCase):
    def setUp(self):
        self.assertTrue(BIN and os.access(BIN, os.X_OK), f"CLUSTERCTL_BIN not set or not executable ({BIN!r})")
        self.tmp = tempfile.mkdtemp(prefix="clusterctl-cli-")
        self.inventory = os.path.join(self.tmp, "inventory.db")
        self.config = os.path.join(self.tmp, "config.toml")
        open(self.config, "w").close()

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_bare(self, *args, open_files=None):
        """clusterctl ARGS exactly as given; open_files=(soft, hard) sets `ulimit -n` first."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERCTL_")}
        env.update(HOME=self.tmp, CLUSTERCTL_INVENTORY=self.inventory, CLUSTERCTL_CONFIG=self.config)
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, open_files)) if open_files else None
        proc = subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=60,
                              preexec_fn=limit)
        return Result(proc, 0)

    def usage_error(self, *args):
        r = self.run_bare(*args)
        self.assertEqual(r.rc, 2, repr(r))
        self.assertEqual(r.out, "", repr(r))
        return r.err


class MistypedCommands(FrontDoorTestCase):
    def test_an_unknown_command_is_named_with_the_closest_one(self):
        self.assertEqual(self.usage_error("nod", "ls"),
                         'clusterctl: error: unknown command "nod"; did you mean "node"?\n')

    def test_an_unknown_subcommand_is_named_with_its_group(self):
        self.assertEqual(self.usage_error("node", "lst"),
                         'clusterctl: error: unknown command "node lst"; did you mean "node ls"?\n')

    def test_a_word_far_from_every_command_gets_the_command_list(self):
        err = self.usage_error("frobnicate")
        self.assertTrue(err.startswith('clusterctl: error: unknown command "frobnicate"; commands: node, exec,'), err)

    def test_a_mistyped_command_runs_nothing(self):
        self.usage_error("nod", "ls")
        self.assertFalse(os.path.exists(self.inventory))

    def test_an_option_after_the_remote_command_without_double_dash_shows_the_fixed_command(self):
        err = self.usage_error("exec", "@all", "uname", "-n")
        self.assertEqual(err, 'clusterctl: error: unexpected option "-n"; put the remote command after --: '
                              'clusterctl exec @all -- uname -n\n')
        self.assertFalse(os.path.exists(self.inventory))

    def test_the_double_dash_goes_before_the_first_word_of_the_remote_command(self):
        err = self.usage_error("exec", "-b", "@all", "ls", "-la", "/tmp")
        self.assertIn("put the remote command after --: clusterctl exec -b @all -- ls -la /tmp\n", err)

    def test_an_unknown_option_of_a_command_names_it_and_that_commands_help(self):
        err = self.usage_error("node", "ls", "--bogus")
        self.assertIn("--bogus", err.splitlines()[0])
        self.assertEqual(err.splitlines()[1], "Run 'clusterctl node ls --help' for usage.")


class Help(FrontDoorTestCase):
    def test_help_prints_the_command_list(self):
        r = self.run_bare("help")
        self.assertEqual(r.rc, 0, repr(r))
        self.assertIn("Usage: clusterctl [OPTIONS] SUBCOMMAND", r.out)
        for command in ("node", "exec", "key", "gpu", "nodeset", "version", "help"):
            self.assertRegex(r.out, rf"\n  {command}\s", command)

    def test_help_with_a_command_prints_that_commands_help(self):
        r = self.run_bare("help", "node", "ls")
        self.assertEqual(r.rc, 0, repr(r))
        self.assertTrue(r.out.startswith("list registered nodes\nUsage: clusterctl node ls"), r.out)

    def test_help_after_a_group_prints_the_groups_help(self):
        r = self.run_bare("node", "help")
        self.assertEqual(r.rc, 0, repr(r))
        self.assertIn("Usage: clusterctl node [OPTIONS] SUBCOMMAND", r.out)
        self.assertRegex(r.out, r"\n  add\s")

    def test_help_of_an_unknown_command_suggests_the_closest(self):
        self.assertEqual(self.usage_error("help", "node", "lst"),
                         'clusterctl: error: unknown command "node lst"; did you mean "node ls"?\n')

    def test_a_bare_clusterctl_prints_the_command_list_and_exits_2(self):
        r = self.run_bare()
        self.assertEqual(r.rc, 2, repr(r))
        self.assertIn("Usage: clusterctl [OPTIONS] SUBCOMMAND", r.out)
        self.assertRegex(r.out, r"\n  node\s")

    def test_a_group_alone_prints_its_subcommands_and_exits_2(self):
        r = self.run_bare("node")
        self.assertEqual(r.rc, 2, repr(r))
        self.assertIn("Usage: clusterctl node [OPTIONS] SUBCOMMAND", r.out)
        self.assertRegex(r.out, r"\n  add\s")
        self.assertFalse(os.path.exists(self.inventory))


class Version(FrontDoorTestCase):
    def version_json(self):
        r = self.run_bare("version", "-o", "json")
        self.assertEqual(r.rc, 0, repr(r))
        return r.json()

    def test_version_json_names_the_build_and_the_libraries_in_use(self):
        v = self.version_json()
        self.assertRegex(v["version"], r"^\d+\.\d+\.\d+$")
        self.assertIn(v["build_type"], ("Debug", "Release", "RelWithDebInfo", "MinSizeRel"))
        # Python links the same Debian sqlite3 and OpenSSL libraries that clusterctl does.
        self.assertEqual(v["libraries"]["sqlite"], sqlite3.sqlite_version)
        self.assertIn(f"OpenSSL {v['libraries']['openssl']} ", ssl.OPENSSL_VERSION)
        self.assertRegex(v["libraries"]["libssh2"], r"^1\.\d+\.\d+")
        sanitized = os.environ.get("CLUSTERCTL_SANITIZED")
        if sanitized is not None:
            self.assertEqual(v["sanitizers"], ["address", "undefined"] if sanitized == "1" else [])

    def test_version_json_names_a_commit_of_this_repository(self):
        commit = self.version_json()["commit"]
        inside = subprocess.run(["git", "-C", REPO, "rev-parse", "--is-inside-work-tree"],
                                capture_output=True, text=True)
        if inside.returncode != 0:
            self.assertEqual(commit, "unknown")
            return
        self.assertRegex(commit, r"^[0-9a-f]{7,40}$")
        known = subprocess.run(["git", "-C", REPO, "cat-file", "-e", f"{commit}^{{commit}}"])
        self.assertEqual(known.returncode, 0, f"commit {commit} is not in {REPO}")

    def test_version_and_double_dash_version_print_the_commit_on_one_line(self):
        v = self.version_json()
        line = f"clusterctl {v['version']} (commit {v['commit']})\n"
        for args in (["version"], ["--version"]):
            r = self.run_bare(*args)
            self.assertEqual((r.rc, r.out), (0, line), repr(r))


class OptionLimits(FrontDoorTestCase):
    def test_a_fanout_that_is_not_a_number_is_named(self):
        err = self.usage_error("--fanout", "abc", "node", "ls")
        self.assertEqual(err.splitlines()[0], 'clusterctl: error: --fanout: "abc" is not a number (1-4096)')

    def test_a_fanout_out_of_range_is_named_with_the_range(self):
        for value in ("0", "4097", "99999999999"):
            err = self.usage_error("--fanout", value, "node", "ls")
            self.assertEqual(err.splitlines()[0], f"clusterctl: error: --fanout: {value} is out of range (1-4096)")

    def test_a_timeout_longer_than_365_days_is_refused(self):
        r = self.run_bare("--timeout", "200000d", "node", "ls")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn('"200000d": longer than the maximum of 365d', r.err)

    def test_the_fanout_is_lowered_once_to_what_the_open_file_limit_allows(self):
        r = self.run_bare("--fanout", "4096", "node", "ls", open_files=(64, 64))
        self.assertEqual(r.rc, 0, repr(r))
        self.assertEqual(r.err, "fanout 4096 lowered to 10: the open-file limit (ulimit -n) is 64\n")

    def test_the_soft_open_file_limit_is_raised_before_the_fanout_is_lowered(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        # As wide as the hard limit allows (32 reserved, 3 per node), far wider than a soft 64 allows.
        fanout = 4096 if hard == resource.RLIM_INFINITY else min(4096, (hard - 32) // 3)
        self.assertGreater(fanout, 10, f"the hard open-file limit {hard} is too low for this test")
        r = self.run_bare("--fanout", str(fanout), "node", "ls", open_files=(64, hard))
        self.assertEqual((r.rc, r.err), (0, ""), repr(r))

if __name__ == "__main__":
    unittest.main()
