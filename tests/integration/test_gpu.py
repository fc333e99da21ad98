"""gpu status / ps / free against GPU nodes whose nvidia-smi replays real
captures, with the process list pointed at real PIDs inside real podman
containers, so pid -> cgroup -> container -> instance is resolved for real."""
import os
import re
import unittest

from clusterlib import ClusterTestCase, require_cluster

require_cluster()

RULE = re.compile(r"^#{20,}\s*$")
NUMBER_WITH_UNIT = re.compile(r"^(-?\d+(?:\.\d+)?)(?: \S+)?$")


def capture_gpu_rows(capture, phase):
    """The rows of the capture's full `--query-gpu=... --format=csv` section of PHASE, as
    {column name without unit: value as written}: read here, independently of clusterctl's
    parser and of the fake, so a value put under the wrong key cannot agree with it."""
    with open(capture, encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines):
        if not (line.startswith(f"# {phase} :: ") and i + 1 < len(lines)):
            continue
        command = lines[i + 1]
        if not (command.startswith("# $ nvidia-smi --query-gpu=") and command.endswith("--format=csv")):
            continue
        body = []
        for row in lines[i + 3:]:
            if RULE.match(row):
                break
            if row.strip():
                body.append([v.strip() for v in row.split(", ")])
        names = [re.sub(r" \[[^\]]*\]$", "", h) for h in body[0]]
        return [dict(zip(names, row)) for row in body[1:]]
    raise AssertionError(f"{capture}: no {phase} query-gpu section")


def capture_number(value, kind):
    """ "143771 MiB" -> 143771, "77.71 W" -> 77.71, "[N/A]" -> None."""
    m = NUMBER_WITH_UNIT.match(value)
    return kind(m.group(1)) if m else None


def read_text(path):
    """The file's text, None when there is none."""
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def tag_uuid(uuid, tag):
    """What the fake does with nvidia-smi.uuid-tag: the tag becomes the UUID's 4th group."""
    return re.sub(r"^(GPU|MIG)-([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-[0-9a-fA-F]{4}-",
                  rf"\1-\2-\3-\4-{tag}-", uuid) if tag else uuid


class Gpu(ClusterTestCase):
    def setUp(self):
        super().setUp()
        gpu_nodes = [n for n in self.cluster["nodes"] if n["gpu"]]
        if not gpu_nodes:
            self.skipTest("cluster has no GPU node")
        self.gpu = gpu_nodes[0]
        self.cpu = next(n for n in self.cluster["nodes"] if not n["gpu"])
        self.add(self.gpu["name"])
        self.add(self.cpu["name"])
        self.bin = os.path.join(self.gpu["dir"], "bin")
        self.cleanup = []
        self.written = set()

    def tearDown(self):
        for undo in reversed(self.cleanup):
            undo()
        super().tearDown()

    def status(self, rc=0):
        r = self.run_ctl("-o", "json", "gpu", "status")
        self.assertEqual(r.rc, rc, repr(r))
        return {n["node"]: n for n in r.json()}

    def on_gpu_node(self, line):
        r = self.ok("-o", "json", "exec", self.gpu["name"], "--shell", line).json()[0]
        return r["stdout"].strip()

    def write_bin_file(self, name, text):
        self.write_file(self.bin, name, text)

    def write_file(self, directory, name, text):
        """A file the fake nvidia-smi reads, put back as it was when the test ends."""
        path = os.path.join(directory, name)
        if path not in self.written:
            self.written.add(path)
            saved = read_text(path)
            self.cleanup.append(lambda: self.put_back(path, saved))
        with open(path, "w") as f:
            f.write(text)

    @staticmethod
    def put_back(path, text):
        if text is not None:
            with open(path, "w") as f:
                f.write(text)
        elif os.path.exists(path):
            os.unlink(path)

    def test_status_reports_every_gpu_and_nodes_without_a_driver(self):
        nodes = self.status()
        cpu = nodes[self.cpu["name"]]
        self.assertEqual(cpu["state"], "no-driver")
        self.assertEqual(cpu["gpus"], [])
        gpu = nodes[self.gpu["name"]]
        self.assertEqual(gpu["state"], "ok")
        self.assertEqual(gpu["vendor"], "nvidia")
        first = gpu["gpus"][0]
        for key in ("index", "uuid", "name", "utilization_gpu", "memory_used_mib", "memory_total_mib",
                    "temperature_c", "power_draw_w", "power_limit_w", "processes"):
            self.assertIn(key, first)
        self.assertRegex(first["uuid"], r"^GPU-")
        self.assertGreater(first["memory_total_mib"], 0)
        facts = self.ok("node", "show", self.gpu["name"], "-o", "json").json()["facts"]
        self.assertEqual([g["uuid"] for g in gpu["gpus"]], [g["uuid"] for g in facts["gpus"]])

    def test_status_json_values_are_the_captured_values_of_each_gpu_node_in_both_phases(self):
        gpu_nodes = [n for n in self.cluster["nodes"] if n["gpu"]]
        for n in gpu_nodes:
            if n["name"] != self.gpu["name"]:
                self.add(n["name"])
        bins = {n["name"]: os.path.join(n["dir"], "bin") for n in gpu_nodes}
        for phase in ("idle", "load"):
            for bin_dir in bins.values():
                self.write_file(bin_dir, "nvidia-smi.phase", phase + "\n")
            nodes = self.status()
            for name, bin_dir in bins.items():
                capture = read_text(os.path.join(bin_dir, "nvidia-smi.capture")).strip()
                tag = (read_text(os.path.join(bin_dir, "nvidia-smi.uuid-tag")) or "").strip()
                rows = capture_gpu_rows(capture, phase)
                reported = nodes[name]["gpus"]
                with self.subTest(node=name, phase=phase, capture=os.path.basename(capture)):
                    self.assertEqual(len(reported), len(rows))
                    for row, gpu in zip(rows, reported):
                        mig = row["mig.mode.current"]
                        self.assertEqual(
                            {k: gpu[k] for k in ("index", "uuid", "name", "pci_bus_id", "utilization_gpu",
                                                 "memory_used_mib", "memory_total_mib", "temperature_c",
                                                 "mig_mode", "driver_version")},
                            {"index": int(row["index"]),
                             "uuid": tag_uuid(row["uuid"], tag),
                             "name": row["name"],
                             "pci_bus_id": row["pci.bus_id"],
                             "utilization_gpu": capture_number(row["utilization.gpu"], int),
                             "memory_used_mib": capture_number(row["memory.used"], int),
                             "memory_total_mib": capture_number(row["memory.total"], int),
                             "temperature_c": capture_number(row["temperature.gpu"], int),
                             "mig_mode": mig if mig in ("Enabled", "Disabled") else None,
                             "driver_version": row["driver_version"]})
                        self.assertAlmostEqual(gpu["power_draw_w"], capture_number(row["power.draw"], float))
                        self.assertAlmostEqual(gpu["power_limit_w"], capture_number(row["power.limit"], float))
        # The load phase is what tells the columns apart: idle cards show 0 % and 0 MiB.
        loaded = [g for n in gpu_nodes for g in nodes[n["name"]]["gpus"]]
        self.assertTrue(any(g["utilization_gpu"] not in (None, g["temperature_c"], g["memory_used_mib"])
                            for g in loaded), loaded)

    def test_ps_resolves_real_pids_to_container_instance_and_owner(self):
        name = "train-gpu-test"
        self.on_gpu_node(f"podman rm -f -t 0 {name} >/dev/null 2>&1; "
                         f"podman run -d --name {name} localhost/busybox:latest sleep 600 >/dev/null")
        self.cleanup.append(lambda: self.on_gpu_node(f"podman rm -f -t 0 {name} >/dev/null 2>&1; true"))
        pid = int(self.on_gpu_node(f"podman inspect -f '{{{{.State.Pid}}}}' {name}"))
        container_id = self.on_gpu_node(f"podman inspect -f '{{{{.Id}}}}' {name}")
        bare_pid = int(self.on_gpu_node("sleep 600 >/dev/null 2>&1 & echo $!"))
        self.cleanup.append(lambda: self.on_gpu_node(f"kill {bare_pid}; true"))
        uuid = self.status()[self.gpu["name"]]["gpus"][0]["uuid"]
        self.write_bin_file("nvidia-smi.processes",
                            "gpu_uuid,pid,process_name,used_gpu_memory [MiB]\n"
                            f"{uuid},{pid},python3,20480\n{uuid},{bare_pid},sleep,512\n")
        self.sql("INSERT INTO instances (name, node, image, owner) VALUES (?, ?, 'busybox', 'alice')",
                 name, self.gpu["name"])

        procs = {p["pid"]: p for p in self.ok("-o", "json", "gpu", "ps").json()}
        self.assertEqual(set(procs), {pid, bare_pid})
        p = procs[pid]
        self.assertEqual((p["node"], p["gpu_uuid"], p["used_memory_mib"]), (self.gpu["name"], uuid, 20480))
        self.assertEqual(p["container_id"], container_id)
        self.assertEqual(p["container_name"], name)
        self.assertEqual((p["instance"], p["owner"]), (name, "alice"))
        self.assertEqual(p["user"], "root")
        bare = procs[bare_pid]
        self.assertEqual((bare["container_id"], bare["instance"], bare["user"]), (None, None, "root"))

        holder = self.status()[self.gpu["name"]]["gpus"][0]["holder"]
        self.assertIn(f"{name} (alice)", holder)
        table = self.ok("gpu", "ps").out
        self.assertIn("alice", table)
        free = self.ok("-o", "json", "gpu", "free").json()
        self.assertNotIn(uuid, [g["uuid"] for g in free])

    def test_every_gpu_node_reports_its_own_hardware(self):
        gpu_nodes = [n for n in self.cluster["nodes"] if n["gpu"]]
        for n in gpu_nodes:
            if n["name"] != self.gpu["name"]:
                self.add(n["name"])
        nodes = self.status()
        names = {nodes[n["name"]]["gpus"][0]["name"] for n in gpu_nodes}
        self.assertEqual(len(names), len(gpu_nodes), names)  # different captures, different cards
        uuids = [g["uuid"] for n in gpu_nodes for g in nodes[n["name"]]["gpus"]]
        self.assertEqual(len(uuids), len(set(uuids)))

    def test_free_lists_idle_gpus_and_honours_min_memory(self):
        self.write_bin_file("nvidia-smi.processes", "gpu_uuid,pid,process_name,used_gpu_memory [MiB]\n")
        free = self.ok("-o", "json", "gpu", "free").json()
        self.assertGreaterEqual(len(free), 1)
        self.assertIn(self.gpu["name"], {g["node"] for g in free})
        self.assertNotIn(self.cpu["name"], {g["node"] for g in free})
        self.assertEqual(self.ok("-o", "json", "gpu", "free", "--min-memory", "100T").json(), [])
        r = self.run_ctl("gpu", "free", "--min-memory", "lots")
        self.assertEqual(r.rc, 1)
        self.assertIn('"lots"', r.err)

    def test_a_failing_nvidia_smi_is_reported_with_its_reason_and_exit_3(self):
        capture = os.path.join(self.bin, "nvidia-smi.capture")
        with open(capture) as f:
            saved = f.read()
        def restore():
            with open(capture, "w") as f:
                f.write(saved)
        self.cleanup.append(restore)
        with open(capture, "w") as f:
            f.write("/nonexistent/capture.txt\n")
        nodes = self.status(rc=3)
        gpu = nodes[self.gpu["name"]]
        self.assertEqual(gpu["state"], "driver-error")
        self.assertTrue(gpu["error"])
        self.assertEqual(nodes[self.cpu["name"]]["state"], "no-driver")

    def test_status_table_and_watch_without_a_terminal_repeat_plain_blocks(self):
        table = self.ok("gpu", "status").out.splitlines()
        self.assertTrue(table[0].startswith("NODE"))
        self.assertIn("(no-driver)", "\n".join(table))
        import signal
        import subprocess
        import time
        from clusterlib import BIN
        proc = subprocess.Popen([BIN, "--inventory", self.inventory, "--config", self.config, "gpu", "status",
                                 "--watch", "0.5s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.env())
        # Wait for the second block rather than a fixed time: under ASan on a
        # loaded 2-core machine one round can take longer than the interval.
        import os
        import select
        fd = proc.stdout.fileno()
        raw = b""
        deadline = time.monotonic() + 60
        while raw.count(b"\nNODE") + raw.startswith(b"NODE") < 2 and time.monotonic() < deadline:
            if select.select([fd], [], [], 1.0)[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                raw += chunk
        proc.send_signal(signal.SIGINT)
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            raw += chunk
        proc.wait(timeout=30)
        out = raw.decode()
        self.assertEqual(proc.returncode, 130)
        self.assertGreaterEqual(out.count("\nNODE") + out.startswith("NODE"), 2)
        self.assertNotIn("\x1b[", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
