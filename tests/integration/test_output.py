"""Output formats against real nodes: -o table|wide|json from one column list,
--no-headers, and null (never "") for a value that is missing."""
import unittest

from clusterlib import ClusterTestCase, require_cluster

require_cluster()


class Output(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.cpu = next(n for n in self.cluster["nodes"] if not n["gpu"])
        self.add(self.cpu["name"])
        gpu_nodes = [n for n in self.cluster["nodes"] if n["gpu"]]
        self.gpu = gpu_nodes[0] if gpu_nodes else None
        if self.gpu:
            self.add(self.gpu["name"])

    def test_no_headers_leaves_only_the_rows_of_node_ls(self):
        table = self.ok("node", "ls").out.splitlines()
        self.assertTrue(table[0].startswith("NAME "), table)
        bare = self.ok("--no-headers", "node", "ls").out.splitlines()
        self.assertEqual([line.split()[0] for line in bare], sorted(n for n in self.names()))
        self.assertFalse(any("NAME" in line for line in bare), bare)
        wide = self.ok("--no-headers", "-o", "wide", "node", "ls").out.splitlines()
        self.assertEqual(len(wide), len(bare))
        for line in table + bare + wide:
            self.assertEqual(line, line.rstrip(), "no trailing spaces")

    def test_no_headers_keeps_the_summary_on_stderr(self):
        r = self.ok("--no-headers", "node", "check", self.cpu["name"])
        self.assertEqual(r.out.split()[0], self.cpu["name"])
        self.assertIn("1 healthy", r.err)

    def test_wide_gpu_status_adds_uuid_mig_and_driver_columns(self):
        if not self.gpu:
            self.skipTest("cluster has no GPU node")
        narrow = self.ok("gpu", "status").out.splitlines()
        wide = self.ok("-o", "wide", "gpu", "status").out.splitlines()
        self.assertEqual(narrow[0].split(), ["NODE", "GPU", "NAME", "UTIL", "MEMORY", "TEMP", "POWER", "HOLDER"])
        self.assertEqual(wide[0].split(), ["NODE", "GPU", "UUID", "NAME", "UTIL", "MEMORY", "TEMP", "POWER", "MIG",
                                           "DRIVER", "HOLDER"])
        self.assertEqual(len(wide), len(narrow))
        uuids = [g["uuid"] for n in self.ok("-o", "json", "gpu", "status").json() for g in n["gpus"]]
        for uuid in uuids:
            self.assertIn(uuid, "\n".join(wide))

    def test_missing_values_are_null_in_json(self):
        node = self.ok("-o", "json", "node", "show", self.cpu["name"]).json()
        self.assertIsNone(node["identity"])
        self.assertIsNone(node["facts"]["gpu_driver"], "a node without a GPU driver")
        statuses = {n["node"]: n for n in self.ok("-o", "json", "gpu", "status").json()}
        cpu = statuses[self.cpu["name"]]
        self.assertIsNone(cpu["error"])
        if self.gpu:
            for gpu in statuses[self.gpu["name"]]["gpus"]:
                self.assertIsNone(gpu["holder"], "an idle GPU has no holder")
        check = self.ok("-o", "json", "node", "check", self.cpu["name"]).json()[0]
        self.assertIsNone(check["reason"], "a healthy node has no reason")

    def test_an_unknown_output_format_is_named_in_one_line(self):
        r = self.run_ctl("-o", "yaml", "node", "ls")
        self.assertEqual(r.rc, 2, repr(r))
        self.assertIn('"yaml"', r.err.splitlines()[0])
        self.assertEqual(r.out, "")

    def names(self):
        return [n["name"] for n in self.ok("-o", "json", "node", "ls").json()]


if __name__ == "__main__":
    unittest.main()
