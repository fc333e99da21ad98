"""A fan-out wider than the open-file limit allows, on the real test cluster."""
import json
import resource
import subprocess
import unittest

from clusterlib import BIN, ClusterTestCase, require_cluster

require_cluster()


class OpenFileLimit(ClusterTestCase):
    def test_exec_under_ulimit_n_64_at_fanout_4096_reaches_every_node_and_says_it_narrowed(self):
        names = [n["name"] for n in self.cluster["nodes"]]
        for name in names:
            self.add(name)
        tight = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))  # `ulimit -n 64`
        proc = subprocess.run([BIN, "--inventory", self.inventory, "--config", self.config, "--fanout", "4096",
                               "-o", "json", "exec", "@all", "--", "uname", "-n"],
                              capture_output=True, text=True, env=self.env(), timeout=120, preexec_fn=tight)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr.count("fanout 4096 lowered to 10: the open-file limit (ulimit -n) is 64\n"), 1,
                         proc.stderr)
        outcomes = json.loads(proc.stdout)
        self.assertEqual(sorted(o["node"] for o in outcomes), sorted(names))
        for o in outcomes:
            self.assertEqual((o["status"], o["exit_status"]), ("ok", 0), o)


if __name__ == "__main__":
    unittest.main()
