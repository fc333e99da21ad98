"""exec and nodeset against real sshd nodes: quoting, exit codes, deadlines,
stuck nodes, binary and large output."""
import subprocess
import unittest

from clusterlib import BIN, ClusterTestCase, require_cluster
from stuck_nodes import StuckListener, register_fake_node

require_cluster()


class Exec(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.names = [n["name"] for n in self.cluster["nodes"]]
        for name in self.names:
            self.add(name)
        self.all = f"{self.names[0][:-2]}[01-{len(self.names):02d}]"

    def outcomes(self, *args, rc=0, **kw):
        r = self.run_ctl("-o", "json", "exec", *args, **kw)
        self.assertEqual(r.rc, rc, repr(r))
        return {o["node"]: o for o in r.json()}, r

    def test_argv_arrives_verbatim_on_the_remote_side(self):
        tricky = ["it's", 'say "hi"', "$(touch /tmp/pwned)", "`id`", "a;b", "x\ny", "*", "~", "-n", "", " lead", "ü€"]
        out, _ = self.outcomes("@all", "--", "printf", "[%s]\\n", *tricky)
        expected = "".join(f"[{t}]\n" for t in tricky)
        for node in self.names:
            self.assertEqual(out[node]["stdout"], expected)
            self.assertEqual(out[node]["status"], "ok")
        checked, _ = self.outcomes("@all", "--", "test", "!", "-e", "/tmp/pwned")
        self.assertTrue(all(o["exit_status"] == 0 for o in checked.values()))

    def test_shell_form_runs_a_shell_line(self):
        out, _ = self.outcomes("@all", "--shell", "echo $((6*7)) | tr 4 X")
        self.assertEqual({o["stdout"] for o in out.values()}, {"X2\n"})

    def test_mixed_exit_codes_give_exit_3_and_max_rc_the_largest(self):
        line = 'case $(uname -n) in *01) exit 0;; *02) exit 2;; *) exit 5;; esac'
        out, r = self.outcomes("@all", "--shell", line, rc=3)
        self.assertEqual(out[self.names[0]]["status"], "ok")
        self.assertEqual(out[self.names[1]]["exit_status"], 2)
        self.assertEqual(out[self.names[1]]["status"], "failed")
        self.assertIn(f"1 ok, {len(self.names) - 1} failed, 0 timeout, 0 unreachable", r.err)
        r = self.run_ctl("exec", "@all", "--max-rc", "--shell", line)
        self.assertEqual(r.rc, 5, repr(r))

    def test_streamed_output_is_prefixed_per_line_and_summarised_on_stderr(self):
        r = self.ok("exec", "@all", "--", "sh", "-c", "echo one; echo two; echo err >&2")
        lines = r.out.splitlines()
        for node in self.names:
            self.assertIn(f"{node}: one", lines)
            self.assertLess(lines.index(f"{node}: one"), lines.index(f"{node}: two"))
            self.assertIn(f"{node}: err", r.err)
        self.assertIn(f"{len(self.names)} ok, 0 failed", r.err)

    def test_gathered_output_folds_nodes_with_identical_output(self):
        r = self.ok("exec", "@all", "-b", "--", "echo", "same")
        self.assertIn(f"{self.all} ({len(self.names)})", r.out)
        self.assertEqual(r.out.count("same\n"), 1)
        r = self.ok("exec", "@all", "-b", "--", "uname", "-n")
        for node in self.names:
            self.assertIn(f"{node} (1)", r.out)

    def test_command_outliving_its_deadline_is_reported_as_timeout(self):
        out, r = self.outcomes(self.names[0], "--timeout", "1", "--", "sleep", "30", rc=3)
        self.assertEqual(out[self.names[0]]["status"], "timeout")
        self.assertLess(r.seconds, 3)
        # The node stops it too (libssh2 cannot send a signal): no `sleep 30` left a few seconds later.
        import time
        time.sleep(3)
        left, _ = self.outcomes(self.names[0], "--shell", "ps -eo args | grep -c '^sleep 30$' || true")
        self.assertEqual(left[self.names[0]]["stdout"].strip(), "0")

    def test_silent_and_stalled_banner_nodes_are_cut_at_the_connect_timeout(self):
        bridge = self.cluster["bridge_addr"]
        silent = StuckListener(bridge)
        stalled = StuckListener(bridge, banner=b"SSH-2.0-OpenSSH_9.2\r\n")
        try:
            register_fake_node(self, "silent", bridge, silent.port)
            register_fake_node(self, "stalled", bridge, stalled.port)
            out, r = self.outcomes("@all,silent,stalled", "--connect-timeout", "2", "--", "uname", "-n", rc=3)
        finally:
            silent.close()
            stalled.close()
        self.assertLess(r.seconds, 3.0, "run must end at the 2 s connect timeout")
        self.assertEqual(out["silent"]["status"], "timeout")
        self.assertEqual(out["stalled"]["status"], "timeout")
        self.assertIn("handshake", out["stalled"]["error"])
        for node in self.names:
            self.assertEqual(out[node]["stdout"], node + "\n")
        self.assertIn("timeout: s", r.err)

    def test_binary_bytes_and_very_long_lines_pass_through(self):
        cmd = [BIN, "--inventory", self.inventory, "--config", self.config, "exec", self.names[0], "--",
               "sh", "-c", r"printf 'a\000b\377c\n'; head -c 300000 /dev/zero | tr '\0' 'y'; echo"]
        proc = subprocess.run(cmd, capture_output=True, env=self.env(), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        prefix = self.names[0].encode() + b": "
        lines = proc.stdout.split(b"\n")
        self.assertEqual(lines[0], prefix + b"a\x00b\xffc")
        self.assertEqual(lines[1], prefix + b"y" * 300000)

    def test_ten_megabytes_from_one_node_arrive_complete(self):
        cmd = [BIN, "--inventory", self.inventory, "--config", self.config, "exec", self.names[0], "--",
               "sh", "-c", "head -c 10485760 /dev/zero | tr '\\0' x | fold -w 99"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env())
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 0, err)
        lines = out.split(b"\n")[:-1]
        self.assertEqual(sum(len(l) - len(self.names[0]) - 2 for l in lines), 10485760)
        self.assertTrue(all(l.startswith(self.names[0].encode() + b": ") for l in lines))

    def test_ctrl_c_stops_every_node_and_exits_130(self):
        import signal
        import time
        cmd = [BIN, "--inventory", self.inventory, "--config", self.config, "exec", "@all", "-o", "json", "--",
               "sleep", "30"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env())
        time.sleep(1.5)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 130, err)
        self.assertLess(time.monotonic() - start, 1.5)
        import json
        self.assertEqual({o["status"] for o in json.loads(out)}, {"interrupted"})

    def test_unknown_node_and_missing_command_are_usage_level_errors(self):
        r = self.run_ctl("exec", "nosuch", "--", "true")
        self.assertEqual(r.rc, 1)
        self.assertIn('"nosuch"', r.err)
        r = self.run_ctl("exec", "@all")
        self.assertEqual(r.rc, 1)
        self.assertIn("no command", r.err)


class NodesetCommand(ClusterTestCase):
    def test_expand_count_and_fold(self):
        self.assertEqual(self.ok("nodeset", "-e", "gpu[01-03,07]").out, "gpu01 gpu02 gpu03 gpu07\n")
        self.assertEqual(self.ok("nodeset", "-c", "gpu[01-08],!gpu03").out, "7\n")
        self.assertEqual(self.ok("nodeset", "-f", "gpu01", "gpu02", "gpu03", "cpu1").out, "cpu1,gpu[01-03]\n")
        r = self.run_ctl("nodeset", "-e", "gpu[3-1]")
        self.assertEqual(r.rc, 1)
        self.assertIn("3-1", r.err)

    def test_groups_come_from_the_inventory(self):
        self.add("node01", "--group", "rack1")
        self.assertEqual(self.ok("nodeset", "-e", "@rack1").out, "node01\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
