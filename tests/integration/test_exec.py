"""exec and nodeset against real sshd nodes: quoting, exit codes, deadlines,
stuck nodes, binary and large output."""
import hashlib
import json
import os
import re
import subprocess
import time
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
        self.assertLess(r.seconds, 4.5)  # 1 s deadline + process start under load, far below 30 s
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
        self.assertLess(r.seconds, 4.5, "run must end at the 2 s connect timeout")  # + process start under load
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
        # A line longer than 64 KiB comes in pieces of 64 KiB, each prefixed, nothing lost.
        pieces = lines[1:-1]
        self.assertEqual([len(p) - len(prefix) for p in pieces], [65536] * 4 + [300000 - 4 * 65536])
        self.assertTrue(all(p.startswith(prefix) for p in pieces))
        self.assertEqual(b"".join(p[len(prefix):] for p in pieces), b"y" * 300000)

    def test_output_past_the_cap_is_dropped_flagged_and_the_node_still_finishes(self):
        # 20 MB on stdout against a 64 KiB cap: the node is drained to its end (exit 0), not blocked.
        line = ('case $(uname -n) in *01) head -c 20000000 /dev/zero | tr "\\0" x; echo tail; echo err >&2;; '
                '*) echo small;; esac')
        cap = {"CLUSTERCTL_EXEC_MAX_OUTPUT": "64K"}
        out, r = self.outcomes("@all", "--shell", line, extra_env=cap)
        first = out[self.names[0]]
        self.assertEqual(first["status"], "ok")
        self.assertEqual(first["exit_status"], 0)
        self.assertEqual(first["stdout"], "x" * 65536)
        self.assertEqual(first["stderr"], "err\n")
        self.assertIs(first["truncated"], True)
        for node in self.names[1:]:
            self.assertEqual(out[node]["stdout"], "small\n")
            self.assertIs(out[node]["truncated"], False)
        r = self.ok("exec", "@all", "-b", "--shell", line, extra_env=cap)
        self.assertIn(f"{self.names[0]} (1) [output truncated]", r.out)
        self.assertEqual(r.out.count("x"), 65536)
        self.assertNotIn("tail", r.out)
        self.assertIn(f"output past 64 KiB per stream was dropped (exec.max_output) on {self.names[0]}", r.err)

    def test_a_node_that_prints_without_end_stops_when_stdout_closes(self):
        cmd = [BIN, "--inventory", self.inventory, "--config", self.config, "exec", "@all", "--", "yes"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env())
        self.addCleanup(proc.kill)
        import time
        first = proc.stdout.readline()
        start = time.monotonic()
        proc.stdout.close()  # `| head -1`
        _, err = proc.communicate(timeout=30)
        self.assertLess(time.monotonic() - start, 3.0, "a closed stdout must stop every node at once")
        self.assertEqual(proc.returncode, 141, err)
        self.assertRegex(first, rb"^node0\d: y\n$")
        time.sleep(1)
        left, _ = self.outcomes("@all", "--shell", "ps -eo args | grep -c '^yes$' || true")
        self.assertEqual({o["stdout"] for o in left.values()}, {"0\n"}, "no `yes` left running on the nodes")

    def test_a_failed_node_shows_its_exit_status_when_streamed(self):
        line = 'case $(uname -n) in *01) echo fine;; *02) exit 2;; *) kill -KILL $$;; esac'
        r = self.run_ctl("exec", "@all", "--shell", line)
        self.assertEqual(r.rc, 3, repr(r))
        self.assertIn(f"{self.names[0]}: fine", r.out)
        self.assertIn(f"{self.names[1]}: [exit 2]\n", r.err)
        for node in self.names[2:]:
            self.assertRegex(r.err, rf"{node}: \[(exit \d+|signal KILL)\]\n")
        self.assertNotIn(f"{self.names[0]}: [", r.err)

    def test_a_command_line_of_200_kb_runs_and_its_output_is_right(self):
        # Two arguments of 100 KB (one argument may not pass 128 KiB on Linux, here or there).
        first, second = "it's " + "w" * 100_000, "z" * 100_000 + " $(id)"
        out, _ = self.outcomes("@all", "--", "printf", "[%s]\n", first, second)
        for node in self.names:
            self.assertEqual(out[node]["stdout"], f"[{first}]\n[{second}]\n")
            self.assertEqual(out[node]["status"], "ok")
        literal = "y" * 120_000
        out, _ = self.outcomes("@all", "--shell", f"echo start; echo {literal}; true # comment\necho $((6*7))")
        for node in self.names:
            self.assertEqual(out[node]["stdout"], f"start\n{literal}\n42\n")

    def test_verbose_prints_each_connection_step_in_order_with_times(self):
        node = self.names[0]
        r = self.ok("-v", "exec", node, "--", "true")
        steps = [l for l in r.err.splitlines() if l.startswith(f"{node}: ") and " ms: " in l]
        expected = ["TCP connected to", "SSH handshake done", "host key verified (ssh-ed25519 SHA256:",
                    f"authenticated as root with key file {self.cluster['client_key']}", "command started",
                    "exit status 0"]
        self.assertEqual(len(steps), len(expected), r.err)
        times = []
        for line, step in zip(steps, expected):
            m = re.match(rf"^{node}: (\d+) ms: (.*)$", line)
            self.assertTrue(m, line)
            self.assertTrue(m.group(2).startswith(step), (line, step))
            times.append(int(m.group(1)))
        self.assertEqual(times, sorted(times))
        quiet = self.ok("exec", node, "--", "true")
        self.assertNotIn(" ms: ", quiet.err)
        self.assertEqual(quiet.err, "1 ok, 0 failed, 0 timeout, 0 unreachable; ok: " + node + "\n")

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
        self.assertLess(time.monotonic() - start, 3.0)  # prompt, against 30 s of work; slack for ASan on 2 loaded cores
        import json
        self.assertEqual({o["status"] for o in json.loads(out)}, {"interrupted"})

    def test_ctrl_c_reports_nodes_as_interrupted_not_failed(self):
        import signal
        import time
        for extra in ([], ["-b"]):
            cmd = [BIN, "--inventory", self.inventory, "--config", self.config, "exec", "@all", *extra, "--",
                   "sleep", "30"]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env(), text=True)
            time.sleep(1.5)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=10)
            self.assertEqual(proc.returncode, 130, err)
            n = len(self.names)
            self.assertIn(f"0 ok, 0 failed, 0 timeout, 0 unreachable, {n} interrupted; interrupted: {self.all}", err)
            for node in self.names:
                self.assertIn(f"{node}: [interrupted]\n", err)

    def test_unknown_node_and_missing_command_are_usage_level_errors(self):
        r = self.run_ctl("exec", "nosuch", "--", "true")
        self.assertEqual(r.rc, 1)
        self.assertIn('"nosuch"', r.err)
        r = self.run_ctl("exec", "@all")
        self.assertEqual(r.rc, 1)
        self.assertIn("no command", r.err)


class Stdin(ClusterTestCase):
    """exec's own stdin goes to every node (read once, at the pace of the slowest node) unless it is
    a terminal or -n is given."""

    def setUp(self):
        super().setUp()
        self.names = [n["name"] for n in self.cluster["nodes"]][:4]
        for name in self.names:
            self.add(name)
        self.four = ",".join(self.names)

    def exec_with_stdin(self, stdin, *args, timeout=180):
        """clusterctl exec ARGS with `stdin` (bytes, or a file object) as its stdin."""
        cmd = [BIN, "--inventory", self.inventory, "--config", self.config, "exec", *args]
        feed = {"input": stdin} if isinstance(stdin, bytes) else {"stdin": stdin}
        start = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, env=self.env(), timeout=timeout, **feed)
        return proc, time.monotonic() - start

    def test_piped_stdin_is_printed_by_every_node(self):
        proc, _ = self.exec_with_stdin(b"hi\n", self.four, "--", "cat")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sorted(proc.stdout.decode().splitlines()), sorted(f"{n}: hi" for n in self.names))

    def test_fifty_megabytes_reach_every_node_byte_identical(self):
        data = os.urandom(50 * 1024 * 1024)
        proc, _ = self.exec_with_stdin(data, "-o", "json", self.four, "--", "sha256sum")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        digest = hashlib.sha256(data).hexdigest()
        outcomes = json.loads(proc.stdout)
        self.assertEqual(len(outcomes), 4)
        for o in outcomes:
            self.assertEqual(o["stdout"], f"{digest}  -\n", o["node"])

    def test_a_node_that_exits_without_reading_stdin_does_not_stall_the_others(self):
        data = os.urandom(30 * 1024 * 1024)  # far more than the ring and the SSH windows hold
        first = self.names[0]
        line = f'if [ "$(uname -n)" = {first} ]; then exit 0; else sha256sum; fi'
        proc, seconds = self.exec_with_stdin(data, "-o", "json", "--timeout", "60", self.four, "--shell", line)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        digest = hashlib.sha256(data).hexdigest()
        for o in json.loads(proc.stdout):
            self.assertEqual(o["status"], "ok", o)
            self.assertEqual(o["stdout"], "" if o["node"] == first else f"{digest}  -\n", o["node"])
        self.assertLess(seconds, 60)

    def test_no_stdin_gives_every_node_an_empty_stdin_even_when_stdin_never_ends(self):
        with open("/dev/zero", "rb") as endless:
            proc, seconds = self.exec_with_stdin(endless, "--no-stdin", "-o", "json", self.four, "--", "wc", "-c")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual({o["stdout"].strip() for o in json.loads(proc.stdout)}, {"0"})
        self.assertLess(seconds, 30)

    def test_a_terminal_stdin_is_not_read(self):
        master, slave = os.openpty()
        try:
            os.write(master, b"typed at the terminal\n")
            proc, seconds = self.exec_with_stdin(os.fdopen(slave, "rb", closefd=False), "-o", "json", self.four,
                                                 "--", "cat", timeout=60)
        finally:
            os.close(master)
            os.close(slave)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual({o["stdout"] for o in json.loads(proc.stdout)}, {""})  # EOF at once, nothing typed
        self.assertLess(seconds, 30)

    def test_ctrl_c_stops_an_endless_transfer_promptly(self):
        import signal
        with open("/dev/zero", "rb") as endless:
            cmd = [BIN, "--inventory", self.inventory, "--config", self.config, "exec", "-o", "json", self.four,
                   "--", "sh", "-c", "cat >/dev/null"]
            proc = subprocess.Popen(cmd, stdin=endless, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env())
            time.sleep(2)
            start = time.monotonic()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 130, err)
        self.assertLess(time.monotonic() - start, 3.0)  # prompt, against 30 s of work; slack for ASan on 2 loaded cores
        self.assertEqual({o["status"] for o in json.loads(out)}, {"interrupted"})

    def test_the_deadline_stops_an_endless_transfer(self):
        with open("/dev/zero", "rb") as endless:
            proc, seconds = self.exec_with_stdin(endless, "-o", "json", "--timeout", "2", self.four, "--",
                                                 "sh", "-c", "cat >/dev/null")
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertEqual({o["status"] for o in json.loads(proc.stdout)}, {"timeout"})
        self.assertLess(seconds, 6)

    def test_with_more_nodes_than_the_fanout_a_small_stdin_reaches_all_and_a_large_one_fails_the_late_nodes(self):
        proc, _ = self.exec_with_stdin(b"small\n", "--fanout", "1", "-o", "json", self.four, "--", "cat")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual({o["stdout"] for o in json.loads(proc.stdout)}, {"small\n"})
        data = os.urandom(8 * 1024 * 1024)
        proc, _ = self.exec_with_stdin(data, "--fanout", "1", "-o", "json", self.four, "--", "sha256sum")
        self.assertEqual(proc.returncode, 3, proc.stderr)
        outcomes = json.loads(proc.stdout)
        self.assertEqual(outcomes[0]["stdout"], f"{hashlib.sha256(data).hexdigest()}  -\n")
        for o in outcomes[1:]:
            self.assertNotEqual(o["status"], "ok", o)
            self.assertIn("more readers than run at once", o["error"] or "", o)


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
