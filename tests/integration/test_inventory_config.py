"""Inventory file handling and configuration precedence, on real files."""
import hashlib
import os
import sqlite3
import unittest

from clusterlib import ClusterTestCase, require_cluster

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
        self.assertEqual(version, 2)
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
        os.makedirs(os.path.dirname(self.inventory))
        with open(self.inventory, "wb") as f:
            f.write(b"this is not a database\n" * 100)
        before = digest(self.inventory)
        r = self.run_ctl("node", "ls")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("not a usable SQLite database", r.err)
        self.assertEqual(digest(self.inventory), before)

    def test_another_applications_sqlite_file_is_refused(self):
        os.makedirs(os.path.dirname(self.inventory))
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

    def run_ctl_raw(self, args, extra):
        import subprocess
        from clusterlib import BIN
        return subprocess.run([BIN, "--config", self.config, *args], capture_output=True, text=True,
                              env=self.env(extra))


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

    def test_missing_config_file_means_defaults(self):
        os.unlink(self.config)
        out = self.ok("config", "show", "-o", "json").json()
        self.assertFalse(out["file_found"])
        self.assertTrue(all(k["source"] == "default" for k in out["keys"]))

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
