"""user add/ls/show/set/rm/usage and node cordon/uncordon through the real binary:
levels from the config file, own quotas, volumes, refusals, JSON shapes, and use counted
from the inventory's instances and their GPUs."""
import unittest

from clusterlib import ClusterTestCase, require_cluster

require_cluster()

GiB = 1 << 30


class Users(ClusterTestCase):
    def test_a_user_gets_the_level_limits_and_their_own_quota_over_them(self):
        self.ok("user", "add", "alice", "--level", "mid", "--quota", "gpus=3,memory=96G",
                "--volume", "/data/proj:/data:ro")
        u = self.ok("user", "show", "alice", "-o", "json").json()
        self.assertEqual(u["name"], "alice")
        self.assertEqual(u["level"], "mid")
        self.assertEqual(u["quota"], {"gpus": 3, "cpus": None, "memory_bytes": 96 * GiB,
                                      "storage_bytes": None, "instances": None})
        self.assertEqual(u["limits"], {"gpus": 3, "cpus": 24.5, "memory_bytes": 96 * GiB,
                                       "storage_bytes": 500 * GiB, "instances": 4})
        self.assertEqual(u["volumes"], [{"src": "/data/proj", "dst": "/data", "read_only": True}])
        self.assertEqual(u["usage"]["gpus"], 0)

        table = self.ok("user", "ls").out
        self.assertIn("alice", table)
        self.assertIn("3*", table)  # an own limit is marked

    def test_config_levels_override_the_defaults(self):
        with open(self.config, "a") as f:
            f.write('[levels.small]\ngpus = 2\ncpus = 6.5\nstorage = "1T"\n')
        self.ok("user", "add", "bob")
        limits = self.ok("user", "show", "bob", "-o", "json").json()["limits"]
        self.assertEqual(limits, {"gpus": 2, "cpus": 6.5, "memory_bytes": 64 * GiB,
                                  "storage_bytes": 1 << 40, "instances": 2})
        r = self.run_ctl("user", "ls", extra_env={"CLUSTERCTL_LEVELS_SMALL_GPUS": "x"})
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("CLUSTERCTL_LEVELS_SMALL_GPUS", r.err)

    def test_set_changes_only_what_it_names_and_default_drops_an_own_limit(self):
        self.ok("user", "add", "carol", "--quota", "gpus=4,instances=9", "--volume", "/a:/a", "--volume", "/b:/b:ro")
        u = self.ok("user", "set", "carol", "--quota", "gpus=default,cpus=1.5", "-o", "json").json()
        self.assertEqual(u["quota"]["gpus"], None)
        self.assertEqual(u["quota"]["instances"], 9)
        self.assertEqual(u["quota"]["cpus"], 1.5)
        self.assertEqual(len(u["volumes"]), 2)
        u = self.ok("user", "set", "carol", "--level", "big", "--no-volumes", "-o", "json").json()
        self.assertEqual(u["level"], "big")
        self.assertEqual(u["limits"]["gpus"], 4)
        self.assertEqual(u["volumes"], [])

    def test_bad_input_is_refused_naming_it_and_changes_nothing(self):
        cases = [
            (["user", "add", "dave", "--quota", "gpu=2"], 'unknown key "gpu"'),
            (["user", "add", "dave", "--quota", "cpus=0.0001"], "at most 3 decimals"),
            (["user", "add", "dave", "--quota", "memory=lots"], 'size "lots"'),
            (["user", "add", "dave", "--level", "huge"], 'level "huge"'),
            (["user", "add", "dave", "--volume", "relative:/x"], 'volume "relative:/x"'),
            (["user", "add", "-rf", "--level", "mid"], None),  # an option, not a name: usage error
            (["user", "add", "a;b"], 'invalid user name "a;b"'),
            (["user", "show", "nobody"], 'no user named "nobody"'),
            (["user", "set", "nobody", "--level", "mid"], 'no user named "nobody"'),
        ]
        for args, message in cases:
            r = self.run_ctl(*args)
            if message is None:
                self.assertEqual(r.rc, 2, repr(r))
                continue
            self.assertEqual(r.rc, 1, f"{args}: {r!r}")
            self.assertIn(message, r.err, args)
            self.assertEqual(r.err.count("\n"), 1, r.err)  # one line
        self.assertEqual(self.ok("user", "ls", "-o", "json").json(), [])
        self.ok("user", "add", "dave")
        r = self.run_ctl("user", "add", "dave")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn('user "dave" exists already', r.err)

    def test_usage_counts_instances_and_held_gpus_and_rm_is_refused_while_any_remain(self):
        node = self.cluster["nodes"][0]["name"]
        self.add(node)
        self.ok("user", "add", "erin", "--quota", "storage=10G")
        # Two instances as instance create records them: claimed GPUs, asked CPUs, memory, storage.
        self.sql("INSERT INTO instances (name, node, image, owner, gpus, cpus_milli, memory_bytes, storage_bytes, "
                 "storage_enforced) VALUES ('t1', ?, 'busybox', 'erin', 1, 1500, ?, ?, 0), "
                 "('t2', ?, 'busybox', 'erin', 0, 500, 0, 0, 0)", node, 8 * GiB, 5 * GiB, node)
        self.sql("INSERT INTO instance_gpus (instance, node, gpu_uuid) VALUES ('t1', ?, 'GPU-1')", node)
        use = self.ok("user", "usage", "erin", "-o", "json").json()
        self.assertEqual(len(use), 1)
        self.assertEqual(use[0]["usage"], {"gpus": 1, "cpus": 2.0, "memory_bytes": 8 * GiB,
                                           "storage_bytes": 5 * GiB, "instances": 2, "storage_not_enforced": 1})
        table = self.ok("user", "usage").out
        self.assertIn("1/1", table)           # GPUs: small level's one
        self.assertIn("5GiB/10GiB (not enforced)", table)

        r = self.run_ctl("user", "rm", "erin")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn('user "erin" owns 2 instances', r.err)
        self.sql("DELETE FROM instances WHERE owner = 'erin'")
        self.assertEqual(self.ok("user", "rm", "erin", "-o", "json").json(), {"removed": "erin"})
        self.assertEqual(self.ok("user", "ls", "-o", "json").json(), [])
        self.assertEqual(self.sql("SELECT count(*) FROM user_volumes"), [(0,)])


class Cordon(ClusterTestCase):
    def test_cordon_and_uncordon_show_in_node_ls_and_show(self):
        names = [n["name"] for n in self.cluster["nodes"][:2]]
        for name in names:
            self.add(name)
        self.assertEqual(self.ok("node", "cordon", names[0], "-o", "json").json(), {"cordoned": [names[0]]})
        listed = {n["name"]: n["cordoned"] for n in self.ok("node", "ls", "-o", "json").json()}
        self.assertEqual(listed, {names[0]: True, names[1]: False})
        self.assertIn("Cordoned:    yes", self.ok("node", "show", names[0]).out)
        self.assertIn("CORDONED", self.ok("node", "ls").out)

        r = self.run_ctl("node", "uncordon", f"{names[0]},nosuchnode")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertTrue(self.ok("node", "show", names[0], "-o", "json").json()["cordoned"])  # all or nothing
        self.ok("node", "uncordon", names[0])
        self.assertFalse(self.ok("node", "show", names[0], "-o", "json").json()["cordoned"])


if __name__ == "__main__":
    unittest.main()
