"""Shared plumbing for integration tests: the real clusterctl binary against
the real test cluster (tests/cluster/cluster), one temporary inventory and
config per test case."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

BIN = os.environ.get("CLUSTERCTL_BIN", "")
CLUSTER_DIR = os.environ.get("CLUSTERCTL_TEST_CLUSTER", "")
REPO = os.environ.get("CLUSTERCTL_REPO", os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
SKIP = 77
# scripts/test (what CI runs) sets CLUSTERCTL_NO_SKIP=1: there the cluster has GPU nodes and
# everything else a test may look for, so a test that would skip fails instead, saying why.
# Elsewhere (a cluster started without GPU nodes) a skip stays a skip.
NO_SKIP = os.environ.get("CLUSTERCTL_NO_SKIP") == "1"


def require_cluster():
    """Exit 77 (ctest: skipped) with the reason when no cluster is running."""
    if not BIN or not os.access(BIN, os.X_OK):
        print(f"skipped: CLUSTERCTL_BIN not set or not executable ({BIN!r})")
        sys.exit(SKIP)
    nodes = os.path.join(CLUSTER_DIR, "nodes.json")
    if not os.path.exists(nodes):
        print(f"skipped: no test cluster at {CLUSTER_DIR!r} (needs root and network namespaces)")
        sys.exit(SKIP)
    with open(nodes) as f:
        return json.load(f)


def cluster_info():
    with open(os.path.join(CLUSTER_DIR, "nodes.json")) as f:
        return json.load(f)


def cluster_script(*args, check=True):
    return subprocess.run([os.path.join(REPO, "tests/cluster/cluster"), *args],
                          capture_output=True, text=True, check=check)


class Result:
    def __init__(self, proc, seconds):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.seconds = seconds

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"rc={self.rc}\nstdout:\n{self.out}\nstderr:\n{self.err}"


class ClusterTestCase(unittest.TestCase):
    """Each test gets an empty inventory and a config that uses the cluster's client key."""

    def skipTest(self, reason):
        if NO_SKIP:
            self.fail(f"would be skipped ({reason}), but CLUSTERCTL_NO_SKIP=1: every test must run")
        super().skipTest(reason)

    def setUp(self):
        self.cluster = cluster_info()
        self.tmp = tempfile.mkdtemp(prefix="clusterctl-test-")
        self.inventory = os.path.join(self.tmp, "data", "inventory.db")
        os.mkdir(os.path.dirname(self.inventory), 0o700)  # an explicit --inventory's directory must exist
        self.config = os.path.join(self.tmp, "config.toml")
        self.known_hosts = os.path.join(self.tmp, "known_hosts")
        open(self.known_hosts, "w").close()
        self.write_config(f'[ssh]\nidentity_files = ["{self.cluster["client_key"]}"]\n'
                          f'known_hosts = "{self.known_hosts}"\nconnect_timeout = "5s"\n')

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write_config(self, text):
        with open(self.config, "w") as f:
            f.write(text)

    def env(self, extra=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CLUSTERCTL_") and k not in ("SSH_AUTH_SOCK", "NO_COLOR")}
        env["HOME"] = self.tmp  # no stray ~/.ssh keys or known_hosts
        env.update(extra or {})
        return env

    def run_ctl(self, *args, extra_env=None, timeout=120, stdin=None):
        cmd = [BIN, "--inventory", self.inventory, "--config", self.config, *args]
        start = time.monotonic()
        # Without stdin given, an empty one: exec forwards a piped stdin to the nodes,
        # and ctest's own stdin may be a pipe that never ends.
        feed = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=self.env(extra_env),
                              timeout=timeout, **feed)
        return Result(proc, time.monotonic() - start)

    def ok(self, *args, **kw):
        r = self.run_ctl(*args, **kw)
        self.assertEqual(r.rc, 0, repr(r))
        return r

    def node(self, name):
        for n in self.cluster["nodes"]:
            if n["name"] == name:
                return n
        raise KeyError(name)

    def add(self, name, *extra, alias=None):
        n = self.node(name)
        return self.ok("node", "add", alias or name, "--host", n["addr"], "--accept-new-host-key", *extra,
                       "-o", "json").json()

    def sql(self, statement, *params):
        db = sqlite3.connect(self.inventory)
        try:
            with db:
                return db.execute(statement, params).fetchall()
        finally:
            db.close()

    def registry(self):
        """The cluster's test registry (cluster up --with-registry): addr, ca, cert_dir, username,
        password, robot_username, robot_password, authfile (for skopeo and podman), images
        (make-test-image's summary: manifest and layer digests by name)."""
        reg = self.cluster.get("registry")
        if reg is None:
            self.skipTest("cluster was started without --with-registry")
        reg = dict(reg)
        with open(reg["password_file"]) as f:
            reg["password"] = f.read().strip()
        with open(reg["robot_password_file"]) as f:
            reg["robot_password"] = f.read().strip()
        with open(os.path.join(reg["images"], "images.json")) as f:
            reg["summary"] = json.load(f)
        return reg
