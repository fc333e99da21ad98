"""node add / ls / show / rm / facts / label / check / rekey against real sshd nodes."""
import os
import stat
import unittest

from clusterlib import ClusterTestCase, cluster_script, require_cluster

require_cluster()


class NodeRegistration(ClusterTestCase):
    def test_add_pins_the_host_key_and_stores_facts_in_the_inventory(self):
        n = self.node("node01")
        node = self.add("node01", "--label", "rack=a1", "--group", "cpu")
        self.assertEqual(node["name"], "node01")
        self.assertEqual(node["host_key"]["fingerprint"], n["host_key_fingerprint"])
        self.assertEqual(node["labels"], {"rack": "a1"})
        self.assertEqual(node["groups"], ["cpu"])
        facts = node["facts"]
        self.assertEqual(facts["hostname"], "node01")
        self.assertEqual(facts["runtime"], "podman")
        self.assertRegex(facts["runtime_version"], r"^\d+\.\d+")
        self.assertGreater(facts["cpus"], 0)
        self.assertGreater(facts["memory_bytes"], 0)
        self.assertGreater(facts["disk_free_bytes"], 0)
        self.assertEqual(facts["gpus"], [])
        shown = self.ok("node", "show", "node01", "-o", "json").json()
        self.assertEqual(shown["facts"]["hostname"], "node01")

    def test_inventory_directory_is_0700_and_file_0600(self):
        self.add("node01")
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(self.inventory)).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(self.inventory).st_mode), 0o600)

    def test_gpu_node_facts_list_every_gpu_from_nvidia_smi(self):
        gpu_nodes = [n for n in self.cluster["nodes"] if n["gpu"]]
        if not gpu_nodes:
            self.skipTest("cluster has no GPU node")
        node = self.add(gpu_nodes[0]["name"])
        facts = node["facts"]
        self.assertTrue(facts["nvidia_smi"])
        self.assertGreaterEqual(len(facts["gpus"]), 1)
        self.assertRegex(facts["gpus"][0]["uuid"], r"^GPU-")
        self.assertGreater(facts["gpus"][0]["memory_total_mib"], 0)
        self.assertRegex(facts["gpu_driver"], r"^\d+\.\d+")

    def test_unknown_host_key_is_refused_and_nothing_is_stored(self):
        n = self.node("node01")
        r = self.run_ctl("node", "add", "node01", "--host", n["addr"])
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("unknown host key", r.err)
        self.assertIn(n["host_key_fingerprint"], r.err)
        self.assertTrue(r.err.startswith("clusterctl: error: "), r.err)
        self.assertEqual(self.ok("node", "ls", "-o", "json").json(), [])

    def test_expected_fingerprint_is_accepted_and_a_wrong_one_refused(self):
        n = self.node("node02")
        wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        r = self.run_ctl("node", "add", "node02", "--host", n["addr"], "--host-key-fingerprint", wrong)
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn(wrong, r.err)
        self.assertIn(n["host_key_fingerprint"], r.err)
        self.ok("node", "add", "node02", "--host", n["addr"], "--host-key-fingerprint", n["host_key_fingerprint"])

    def test_key_in_known_hosts_is_trusted_and_a_different_one_refused(self):
        n = self.node("node01")
        with open(self.cluster["known_hosts"]) as f:
            line = next(l for l in f if l.split()[0] == n["addr"])
        with open(self.known_hosts, "w") as f:
            f.write(line)
        self.ok("node", "add", "node01", "--host", n["addr"])
        other = self.node("node02")
        key = line.split()[1:3]
        with open(self.known_hosts, "w") as f:  # node02's address with node01's key
            f.write(f"{other['addr']} {key[0]} {key[1]}\n")
        r = self.run_ctl("node", "add", "node02", "--host", other["addr"], "--accept-new-host-key")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("does not match", r.err)
        self.assertIn(n["host_key_fingerprint"], r.err)

    def test_rsa_key_failure_explains_the_libssh2_limit(self):
        n = self.node("node01")
        r = self.run_ctl("node", "add", "node01", "--host", n["addr"], "--accept-new-host-key",
                         "--identity", self.cluster["client_rsa_key"])
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("RSA", r.err)
        self.assertIn("ed25519", r.err)
        self.assertEqual(self.ok("node", "ls", "-o", "json").json(), [])

    def test_duplicate_name_is_refused_before_connecting(self):
        self.add("node01")
        r = self.run_ctl("node", "add", "node01", "--host", "192.0.2.1", "--accept-new-host-key")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn('node "node01" already exists', r.err)
        self.assertLess(r.seconds, 5)  # connecting would take the 10 s connect timeout

    def test_bad_names_hosts_and_ports_are_refused_with_the_value_named(self):
        for args, needle in [
            (["bad/name", "--host", "10.0.0.1"], '"bad/name"'),
            (["ok", "--host", "10.0.0.1;reboot"], '"10.0.0.1;reboot"'),
            (["ok", "--host", "10.0.0.1", "--port", "70000"], "70000"),
            (["ok", "--host", "10.0.0.1", "--group", "all"], '"all"'),
            (["ok", "--host", "10.0.0.1", "--label", "novalue"], '"novalue"'),
        ]:
            r = self.run_ctl("node", "add", *args)
            self.assertEqual(r.rc, 1, repr(r))
            self.assertIn(needle, r.err)
            self.assertEqual(len(r.err.strip().splitlines()), 1, r.err)

    def test_usage_errors_exit_2(self):
        self.assertEqual(self.run_ctl("node", "add", "x").rc, 2)
        self.assertEqual(self.run_ctl("node", "frobnicate").rc, 2)
        self.assertEqual(self.run_ctl("-o", "yaml", "node", "ls").rc, 2)


class NodeQueries(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.add("node01", "--group", "cpu", "--label", "rack=a1")
        self.add("node02", "--group", "cpu")

    def test_ls_selects_by_nodeset_group_and_exclusion(self):
        names = lambda *a: [n["name"] for n in self.ok("node", "ls", *a, "-o", "json").json()]
        self.assertEqual(names(), ["node01", "node02"])
        self.assertEqual(names("node[01-02]"), ["node01", "node02"])
        self.assertEqual(names("@cpu,!node01"), ["node02"])
        self.assertEqual(names("@all"), ["node01", "node02"])

    def test_ls_table_and_wide_show_aligned_columns(self):
        table = self.ok("node", "ls").out.splitlines()
        self.assertTrue(table[0].startswith("NAME"))
        self.assertIn("node01", table[1])
        self.assertNotIn("\x1b[", self.ok("node", "ls").out)  # not a TTY: no colour
        wide = self.ok("node", "ls", "-o", "wide").out.splitlines()
        self.assertIn("HOST_KEY", wide[0])
        self.assertEqual(wide[0].index("HOST"), wide[1].index(self.node("node01")["addr"]))

    def test_unknown_node_or_group_or_bad_range_is_a_clear_error(self):
        r = self.run_ctl("node", "ls", "node09")
        self.assertEqual(r.rc, 1)
        self.assertIn('"node09"', r.err)
        r = self.run_ctl("node", "ls", "@nosuch")
        self.assertEqual(r.rc, 1)
        self.assertIn("nosuch", r.err)
        r = self.run_ctl("node", "ls", "node[02-01]")
        self.assertEqual(r.rc, 1)
        self.assertIn("02-01", r.err)

    def test_label_sets_and_removes_labels(self):
        self.ok("node", "label", "node[01-02]", "gpu=a100", "rack-")
        nodes = self.ok("node", "ls", "-o", "json").json()
        self.assertEqual([n["labels"] for n in nodes], [{"gpu": "a100"}, {"gpu": "a100"}])
        r = self.run_ctl("node", "label", "node01", "=x")
        self.assertEqual(r.rc, 1)

    def test_rm_refuses_a_node_with_instances_unless_forced(self):
        self.sql("INSERT INTO instances (name, node, image) VALUES ('train-1', 'node01', 'busybox')")
        r = self.run_ctl("node", "rm", "node01", "--yes")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("instance", r.err)
        self.assertEqual(len(self.ok("node", "ls", "-o", "json").json()), 2)
        self.ok("node", "rm", "node01", "--force", "--yes")
        self.ok("node", "rm", "node02", "--yes")
        self.assertEqual(self.ok("node", "ls", "-o", "json").json(), [])

    def test_facts_refresh_updates_every_node(self):
        import time
        before = self.ok("node", "show", "node01", "-o", "json").json()["facts"]["gathered_at"]
        time.sleep(1.05 - time.time() % 1)  # gathered_at has whole seconds: refresh in a later one
        out = self.ok("node", "facts", "@all", "-o", "json").json()
        self.assertEqual([o["node"] for o in out], ["node01", "node02"])
        self.assertTrue(all(o["ok"] for o in out))
        self.assertGreater(self.ok("node", "show", "node01", "-o", "json").json()["facts"]["gathered_at"], before)

    def test_check_reports_every_check_healthy(self):
        r = self.ok("node", "check", "@all", "-o", "json")
        for report in r.json():
            self.assertTrue(report["healthy"], report)
            self.assertEqual(set(report["checks"]), {"ssh", "host_key", "runtime", "gpu", "disk"})
            self.assertEqual(report["checks"]["runtime"]["state"], "ok")
            self.assertEqual(report["checks"]["gpu"]["state"], "skipped")

    def test_check_reports_an_unreachable_node_with_exit_3_within_the_connect_timeout(self):
        self.sql("UPDATE nodes SET host = ? WHERE name = 'node02'", self.cluster["unreachable_addr"])
        r = self.run_ctl("node", "check", "@all", "--connect-timeout", "2", "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        self.assertLess(r.seconds, 4.5)  # 2 s deadline + process start under load
        by_node = {x["node"]: x for x in r.json()}
        self.assertTrue(by_node["node01"]["healthy"])
        self.assertFalse(by_node["node02"]["healthy"])
        self.assertIn(by_node["node02"]["error_kind"], ("timeout", "unreachable"))
        self.assertIn("node02", by_node["node02"]["reason"])

    def test_check_reports_a_node_where_nothing_listens_as_unreachable(self):
        self.sql("UPDATE nodes SET port = 2222 WHERE name = 'node02'")  # nothing listens there
        r = self.run_ctl("node", "check", "node[01-02]", "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        by_node = {x["node"]: x for x in r.json()}
        self.assertEqual(by_node["node02"]["error_kind"], "unreachable")
        self.assertEqual(by_node["node02"]["checks"]["ssh"]["state"], "failed")


class GpuNodeCheck(ClusterTestCase):
    def test_check_runs_nvidia_smi_on_a_gpu_node(self):
        gpu_nodes = [n for n in self.cluster["nodes"] if n["gpu"]]
        if not gpu_nodes:
            self.skipTest("cluster has no GPU node")
        self.add(gpu_nodes[0]["name"])
        report = self.ok("node", "check", gpu_nodes[0]["name"], "-o", "json").json()[0]
        self.assertEqual(report["checks"]["gpu"]["state"], "ok", report)
        self.assertIn("driver", report["checks"]["gpu"]["detail"])


class HostKeyChange(ClusterTestCase):
    """Runs last in this file: it gives node03 a new host key."""

    def test_zz_changed_host_key_is_refused_with_both_fingerprints_until_rekey(self):
        old = self.node("node03")["host_key_fingerprint"]
        self.add("node03")
        cluster_script("rotate-host-key", "--dir", os.environ["CLUSTERCTL_TEST_CLUSTER"], "node03")
        from clusterlib import cluster_info
        new = next(n for n in cluster_info()["nodes"] if n["name"] == "node03")["host_key_fingerprint"]
        self.assertNotEqual(old, new)

        r = self.run_ctl("node", "check", "node03", "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        report = r.json()[0]
        self.assertEqual(report["error_kind"], "host-key")
        self.assertIn(old, report["reason"])
        self.assertIn(new, report["reason"])
        r = self.run_ctl("node", "facts", "node03")
        self.assertEqual(r.rc, 3, repr(r))

        r = self.run_ctl("node", "rekey", "node03", "--host-key-fingerprint", old)
        self.assertEqual(r.rc, 1, repr(r))
        rekeyed = self.ok("node", "rekey", "node03", "--yes", "-o", "json").json()
        self.assertEqual((rekeyed["old_fingerprint"], rekeyed["new_fingerprint"]), (old, new))
        self.ok("node", "check", "node03")


if __name__ == "__main__":
    unittest.main(verbosity=2)
