"""Inventory file handling and configuration precedence, on real files."""
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import unittest

from clusterlib import BIN, ClusterTestCase, require_cluster

require_cluster()


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class InventoryFile(ClusterTestCase):
    def test_new_inventory_gets_the_current_schema_version(self):
        self.ok("node", "ls")
        db = sqlite3.connect(self.inventory)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        db.close()
        self.assertEqual(version, 4)
        self.assertEqual(mode, "delete")

    def test_newer_schema_is_refused_and_the_file_left_untouched(self):
        self.ok("node", "ls")
        self.sql("PRAGMA user_version = 99")
        before = digest(self.inventory)
        r = self.run_ctl("node", "ls")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("schema version 99", r.err)
        self.assertEqual(digest(self.inventory), before)

    def test_a_file_that_is_not_sqlite_is_a_clear_error(self):
        with open(self.inventory, "wb") as f:
            f.write(b"this is not a database\n" * 100)
        before = digest(self.inventory)
        r = self.run_ctl("node", "ls")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("not a usable SQLite database", r.err)
        self.assertEqual(digest(self.inventory), before)

    def test_another_applications_sqlite_file_is_refused(self):
        db = sqlite3.connect(self.inventory)
        db.execute("CREATE TABLE notes (x TEXT)")
        db.commit()
        db.close()
        r = self.run_ctl("node", "ls")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("not a clusterctl inventory", r.err)

    def test_inventory_location_follows_env_then_xdg(self):
        xdg = os.path.join(self.tmp, "xdg")
        r = self.run_ctl_raw(["node", "ls"], {"XDG_DATA_HOME": xdg})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(os.path.join(xdg, "clusterctl", "inventory.db")))
        env_path = os.path.join(self.tmp, "env.db")
        r = self.run_ctl_raw(["node", "ls"], {"XDG_DATA_HOME": xdg, "CLUSTERCTL_INVENTORY": env_path})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(env_path))

    def test_the_default_location_is_created_private_and_kept_private(self):
        xdg = os.path.join(self.tmp, "xdg")
        directory = os.path.join(xdg, "clusterctl")
        path = os.path.join(directory, "inventory.db")
        r = self.run_ctl_raw(["node", "ls"], {"XDG_DATA_HOME": xdg})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(directory).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        os.chmod(directory, 0o755)
        r = self.run_ctl_raw(["node", "ls"], {"XDG_DATA_HOME": xdg})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(directory).st_mode), 0o700)

    def test_an_explicit_inventory_in_a_missing_directory_is_an_error_and_creates_nothing(self):
        missing = os.path.join(self.tmp, "nonexistent", "dir", "x.db")
        for args, extra in ((["--inventory", missing], {}), ([], {"CLUSTERCTL_INVENTORY": missing})):
            r = self.run_ctl_raw([*args, "node", "ls"], extra)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(f'inventory "{missing}": no such directory', r.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "nonexistent")))

    def test_an_existing_inventory_readable_by_others_is_made_private(self):
        self.ok("node", "ls")
        os.chmod(self.inventory, 0o644)
        self.ok("node", "ls")
        self.assertEqual(stat.S_IMODE(os.stat(self.inventory).st_mode), 0o600)

    def test_read_only_commands_answer_while_another_process_holds_the_write_lock(self):
        self.add("node01")
        writer = sqlite3.connect(self.inventory, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")  # a RESERVED lock, as any clusterctl change holds it
            writer.execute("UPDATE nodes SET user = user")
            for args in (["node", "ls"], ["node", "ls", "node01"], ["node", "show", "node01"]):
                r = self.run_ctl(*args, "-o", "json", timeout=30)
                self.assertEqual(r.rc, 0, repr(r))
                # Waiting behind the writer would take the whole 10 s busy timeout
                # (lib/inventory/sqlite.cpp); a loaded CI machine under ASan takes up
                # to ~2.5 s to start and answer, so the bound sits between the two.
                self.assertLess(r.seconds, 6.0, f"{args} waited behind the writer")
        finally:
            writer.execute("ROLLBACK")
            writer.close()

    def run_ctl_raw(self, args, extra):
        return run_without_config_flag(self, ["--config", self.config, *args], extra)


def run_without_config_flag(case, args, extra):
    """clusterctl with exactly `args` (run_ctl adds --inventory and --config)."""
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=case.env(extra), timeout=60)


class Configuration(ClusterTestCase):
    def show(self, *args, extra_env=None):
        out = self.ok(*args, "config", "show", "-o", "json", extra_env=extra_env).json()
        return {k["key"]: (k["value"], k["source"]) for k in out["keys"]}

    def test_precedence_is_flag_then_env_then_file_then_default(self):
        self.write_config('fanout = 10\n[ssh]\nuser = "admin"\nconnect_timeout = "3s"\ntimeout = "20s"\n')
        keys = self.show("--fanout", "5", extra_env={"CLUSTERCTL_FANOUT": "7", "CLUSTERCTL_CONNECT_TIMEOUT": "4s"})
        self.assertEqual(keys["fanout"], ("5", "flag"))
        self.assertEqual(keys["ssh.connect_timeout"], ("4s", "env"))
        self.assertEqual(keys["ssh.timeout"], ("20s", "file"))
        self.assertEqual(keys["ssh.user"], ("admin", "file"))
        self.assertEqual(keys["ssh.keepalive"][1], "default")

    def test_a_missing_default_config_file_means_defaults(self):
        xdg = os.path.join(self.tmp, "xdg-config")
        r = run_without_config_flag(self, ["config", "show", "-o", "json"], {"XDG_CONFIG_HOME": xdg})
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["path"], os.path.join(xdg, "clusterctl", "config.toml"))
        self.assertFalse(out["file_found"])
        self.assertTrue(all(k["source"] == "default" for k in out["keys"]))

    def test_an_explicit_config_file_that_does_not_exist_is_an_error(self):
        missing = os.path.join(self.tmp, "nonexist.toml")
        for args, extra in ((["--config", missing], {}), ([], {"CLUSTERCTL_CONFIG": missing})):
            r = run_without_config_flag(self, [*args, "config", "show"], extra)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertEqual(r.stderr, f'clusterctl: error: config file "{missing}": No such file or directory\n')

    def test_bad_file_is_reported_as_path_line_column(self):
        self.write_config('[ssh]\nuser = "root"\nconnect_timeout = \n')
        r = self.run_ctl("config", "show")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertRegex(r.err, rf"^clusterctl: error: {self.config}:3:\d+: ")

    def test_unknown_key_and_bad_value_name_the_line(self):
        self.write_config('[ssh]\nusr = "root"\n')
        r = self.run_ctl("config", "show")
        self.assertEqual(r.rc, 1)
        self.assertIn(f"{self.config}:2:", r.err)
        self.assertIn('"ssh.usr"', r.err)
        self.write_config('fanout = 0\n')
        r = self.run_ctl("config", "show")
        self.assertEqual(r.rc, 1)
        self.assertIn(f"{self.config}:1:", r.err)

    def test_bad_env_value_is_named(self):
        r = self.run_ctl("config", "show", extra_env={"CLUSTERCTL_TIMEOUT": "soon"})
        self.assertEqual(r.rc, 1)
        self.assertIn("CLUSTERCTL_TIMEOUT", r.err)
        self.assertIn('"soon"', r.err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
