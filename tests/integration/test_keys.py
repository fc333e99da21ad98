"""key add/push/revoke/sync/audit/rotate/rm against real sshd nodes: real `ssh -i`
logins, byte-for-byte unmanaged lines, concurrent pushes, a node failing mid-push.

Keys go to the nodes' `cctest` account (tests/cluster/cluster creates it without a
~/.ssh), so root's authorized_keys, which every other test logs in with, is not touched."""
import os
import subprocess
import unittest

from clusterlib import BIN, REPO, ClusterTestCase, require_cluster

require_cluster()

USER = "cctest"
HOME = "/run/home/cctest"
AUTH = f"{HOME}/.ssh/authorized_keys"
BEGIN = "# BEGIN clusterctl managed keys"
END = "# END clusterctl managed keys"

# Lines a person wrote by hand: options with quoted commas, comments, odd
# spacing, a blank line, a CR, and no newline at the end.
UNMANAGED = (
    "# keys of the lab admins, do not remove\n"
    "\n"
    'command="/usr/bin/rrsync -ro /data,/scratch",no-pty,from="10.0.0.0/8,192.168.1.1"  '
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFkTxjOBkj0aSsU9F+hfLKsQAMtmuRcXg0p5P2q8mWtB   backup@vault  \n"
    "\tssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcbIKdnQ0YlDzg7ty2JDb8UBt9s8UDUPFuvL4hdJv6O\tdos\r\n"
    "not a key line at all"
)
UNKNOWN_FP_LINE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcbIKdnQ0YlDzg7ty2JDb8UBt9s8UDUPFuvL4hdJv6O"


def keygen(path, kind="ed25519", passphrase=""):
    args = ["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-C", os.path.basename(path), "-f", path]
    if kind == "rsa":
        args[4:4] = ["-b", "2048"]
    subprocess.run(args, check=True)
    return path


def fingerprint(pub):
    out = subprocess.run(["ssh-keygen", "-lf", pub], capture_output=True, text=True, check=True).stdout
    return out.split()[1]


class Keys(ClusterTestCase):
    def setUp(self):
        super().setUp()
        plain = [n["name"] for n in self.cluster["nodes"] if not n.get("gpu")]
        self.n1, self.n2 = (plain + [n["name"] for n in self.cluster["nodes"]])[:2]
        self.pair = f"{self.n1},{self.n2}"
        for name in (self.n1, self.n2):
            self.add(name)
            self.node_sh(name, f"umount {HOME}/.ssh 2>/dev/null; rm -rf {HOME}/.ssh")
        self.k1 = keygen(os.path.join(self.tmp, "k1"))
        self.k2 = keygen(os.path.join(self.tmp, "k2"), "ecdsa")
        self.ok("key", "add", "k1", "--public-key", self.k1 + ".pub", "--owner", "alice")
        self.ok("key", "add", "k2", "--public-key", self.k2 + ".pub")

    def tearDown(self):
        for name in (self.n1, self.n2):
            self.node_sh(name, f"umount {HOME}/.ssh 2>/dev/null; rm -rf {HOME}/.ssh")
        super().tearDown()

    # --- helpers -------------------------------------------------------------------
    def node_sh(self, node, script, stdin=None):
        return subprocess.run([os.path.join(REPO, "tests/cluster/cluster"),
                               "exec", "--dir", os.environ["CLUSTERCTL_TEST_CLUSTER"], node, "sh", "-c", script],
                              input=stdin, capture_output=True, check=False)

    def remote_bytes(self, node, path=AUTH):
        r = self.node_sh(node, f"cat {path}")
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def write_remote(self, node, text, mode="600"):
        r = self.node_sh(node, f"mkdir -p -m 700 {HOME}/.ssh && cat > {AUTH} && chmod {mode} {AUTH} && "
                               f"chown -R {USER}:{USER} {HOME}/.ssh", stdin=text.encode())
        self.assertEqual(r.returncode, 0, r.stderr)

    def stat(self, node, path):
        return self.node_sh(node, f"stat -c '%a %U:%G' {path}").stdout.decode().strip()

    def ssh_login(self, node, key, user=USER):
        n = self.node(node)
        return subprocess.run(
            ["ssh", "-F", "/dev/null", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
             "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
             "-o", "IdentityAgent=none", "-p", str(n.get("port", 22)), f"{user}@{n['addr']}", "echo", "in"],
            capture_output=True, text=True, timeout=30, env={"PATH": os.environ["PATH"], "HOME": self.tmp})

    def assert_login(self, node, key, works):
        r = self.ssh_login(node, key)
        if works:
            self.assertEqual((r.returncode, r.stdout), (0, "in\n"), f"{node}: {r.stderr}")
        else:
            self.assertNotEqual(r.returncode, 0, f"{node}: login with {key} still works")

    def push(self, *args, rc=0):
        r = self.run_ctl("key", "push", *args, "-o", "json")
        self.assertEqual(r.rc, rc, repr(r))
        return {(o["node"], o["remote_user"]): o for o in r.json()}

    # --- tests ---------------------------------------------------------------------
    def test_push_lets_the_key_in_and_revoke_shuts_it_out(self):
        self.assert_login(self.n1, self.k1, False)
        out = self.push("k1", "k2", "--to", self.pair, "--remote-user", USER)
        for node in (self.n1, self.n2):
            o = out[(node, USER)]
            self.assertEqual((o["status"], o["changed"], sorted(o["added"])), ("ok", True, ["k1", "k2"]))
            self.assert_login(node, self.k1, True)
            self.assert_login(node, self.k2, True)
            # created for the user: ~/.ssh 0700 and the file 0600, owned by cctest
            self.assertEqual(self.stat(node, f"{HOME}/.ssh"), f"700 {USER}:{USER}")
            self.assertEqual(self.stat(node, AUTH), f"600 {USER}:{USER}")
            self.assertNotIn(b".authorized_keys.clusterctl", self.node_sh(node, f"ls -a {HOME}/.ssh").stdout)

        again = self.push("k1", "--to", self.pair, "--remote-user", USER)
        self.assertEqual({o["changed"] for o in again.values()}, {False}, "push is idempotent")
        shown = self.ok("key", "show", "k1", "-o", "json").json()
        self.assertEqual(sorted((p["node"], p["remote_user"]) for p in shown["placements"]),
                         [(self.n1, USER), (self.n2, USER)])
        self.assertEqual(shown["fingerprint"], fingerprint(self.k1 + ".pub"))
        self.assertEqual(shown["owner"], "alice")

        r = self.ok("key", "revoke", "k1", "--from", self.pair, "--yes", "-o", "json")
        self.assertEqual({(o["node"], tuple(o["removed"])) for o in r.json() if o["remote_user"] == USER},
                         {(self.n1, ("k1",)), (self.n2, ("k1",))})
        for node in (self.n1, self.n2):
            self.assert_login(node, self.k1, False)
            self.assert_login(node, self.k2, True)
        self.assertEqual(self.sql("SELECT node FROM key_placements WHERE key = 'k1'"), [])

    def test_options_are_written_and_applied(self):
        self.push("k1", "--to", self.n1, "--remote-user", USER, "--options", 'command="echo forced",no-pty')
        self.assertIn(b'command="echo forced",no-pty ssh-ed25519 ', self.remote_bytes(self.n1))
        r = self.ssh_login(self.n1, self.k1)
        self.assertEqual(r.stdout, "forced\n", r.stderr)
        # pushing again with other options replaces the line, not adds one
        self.push("k1", "--to", self.n1, "--remote-user", USER)
        self.assertEqual(self.remote_bytes(self.n1).count(b"ssh-ed25519"), 1)
        self.assert_login(self.n1, self.k1, True)

    def test_unmanaged_lines_survive_byte_for_byte(self):
        self.write_remote(self.n1, UNMANAGED, mode="640")
        self.push("k1", "k2", "--to", self.n1, "--remote-user", USER)
        text = self.remote_bytes(self.n1).decode()
        self.assertTrue(text.startswith(UNMANAGED + "\n" + BEGIN), text)
        self.assertTrue(text.endswith(END + "\n"), text)
        self.assertEqual(self.stat(self.n1, AUTH), f"640 {USER}:{USER}", "owner and mode kept")
        self.assert_login(self.n1, self.k1, True)
        # revoking everything removes the block and gives back the file as it was, except
        # that its last line keeps the newline it got when the block was appended after it
        self.ok("key", "revoke", "k1", "--from", self.n1, "--remote-user", USER, "--yes")
        self.ok("key", "revoke", "k2", "--from", self.n1, "--remote-user", USER, "--yes")
        self.assertEqual(self.remote_bytes(self.n1), UNMANAGED.encode() + b"\n")
        self.assertEqual(self.stat(self.n1, AUTH), f"640 {USER}:{USER}")

    def test_concurrent_pushes_to_one_node_keep_every_key(self):
        self.write_remote(self.n1, UNMANAGED)
        keys = []
        for i in range(6):
            k = keygen(os.path.join(self.tmp, f"c{i}"))
            self.ok("key", "add", f"c{i}", "--public-key", k + ".pub")
            keys.append(k)
        env = self.env()
        procs = [subprocess.Popen(
            [BIN, "--inventory", self.inventory, "--config",
             self.config, "key", "push", f"c{i}", "--to", self.n1, "--remote-user", USER, "-o", "json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for i in range(6)]
        results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
        for out, err, rc in results:
            self.assertEqual(rc, 0, err)
        text = self.remote_bytes(self.n1).decode()
        self.assertTrue(text.startswith(UNMANAGED + "\n" + BEGIN), text)
        self.assertEqual(text.count(BEGIN), 1)
        for k in keys:
            with open(k + ".pub") as f:
                self.assertIn(" ".join(f.read().split()[:2]), text)
            self.assert_login(self.n1, k, True)
        self.assertNotIn(b".authorized_keys.clusterctl", self.node_sh(self.n1, f"ls -a {HOME}/.ssh").stdout)
        # every pushed key is in place; only the hand-written ones are unknown (drift: exit 3)
        audit = self.run_ctl("key", "audit", self.n1, "--remote-user", USER, "-o", "json")
        self.assertEqual(audit.rc, 3, repr(audit))
        a = audit.json()[0]
        self.assertEqual((a["missing"], a["unexpected"]), ([], []))
        self.assertEqual(sorted(k["comment"] for k in a["unknown"]), ["backup@vault", "dos"])

    def test_a_node_that_fails_mid_push_keeps_its_old_file(self):
        self.write_remote(self.n1, UNMANAGED)
        before = self.remote_bytes(self.n1)
        # ~/.ssh on a full tmpfs: the temp file cannot be written (ENOSPC)
        r = self.node_sh(self.n1, f"""set -e
            cp -a {HOME}/.ssh /tmp/ssh-saved
            mount -t tmpfs -o size=8k,mode=0700 tmpfs {HOME}/.ssh
            cp -a /tmp/ssh-saved/. {HOME}/.ssh/ && chown {USER}:{USER} {HOME}/.ssh
            dd if=/dev/zero of={HOME}/.ssh/filler bs=1k count=64 2>/dev/null || true""")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.push("k1", "--to", self.pair, "--remote-user", USER, rc=3)
        self.assertEqual(out[(self.n2, USER)]["status"], "ok")
        failed = out[(self.n1, USER)]
        self.assertNotEqual(failed["status"], "ok")
        self.assertIn("old file is unchanged", failed["error"])
        self.assertEqual(self.remote_bytes(self.n1), before)
        self.assertNotIn(b".authorized_keys.clusterctl", self.node_sh(self.n1, f"ls -a {HOME}/.ssh").stdout)
        self.assertEqual(self.sql("SELECT node FROM key_placements WHERE key = 'k1'"), [(self.n2,)])
        self.assert_login(self.n2, self.k1, True)

    def test_bad_input_is_refused_with_the_problem_named(self):
        def refused(args, needle, stdin=None):
            r = self.run_ctl(*args, stdin=stdin)
            self.assertEqual(r.rc, 1, repr(r))
            self.assertIn(needle, r.err)
            self.assertEqual(r.err.count("\n"), 1, "one line")

        bad = os.path.join(self.tmp, "bad.pub")
        for text, needle in [("ssh-ed25519 AAAA!!notbase64 x\n", "not valid base64"),
                             ("ssh-foo AAAAC3NzaC1lZDI1NTE5AAAAIHcb x\n", 'type "ssh-foo" is not supported'),
                             ("", "empty input"),
                             ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcbIKdnQ0YlDzg7ty2JDb8UBt9s8UDUPFuvL4hdJv6O\n"
                              "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFkTxjOBkj0aSsU9F+hfLKsQAMtmuRcXg0p5P2q8mWtB\n",
                              "more than one line")]:
            with open(bad, "w") as f:
                f.write(text)
            refused(["key", "add", "bad", "--public-key", bad], needle)
        refused(["key", "add", "priv", "--public-key", self.k1], "holds a private key")
        refused(["key", "add", "k1", "--public-key", self.k2 + ".pub"], 'key "k1" exists already')
        refused(["key", "add", "again", "--public-key", self.k1 + ".pub"], 'registered already as "k1"')
        refused(["key", "add", "stdin-bad", "--public-key", "-"], "stdin: public key", stdin="ssh-ed25519\n")
        refused(["key", "add", "bad name", "--public-key", self.k1 + ".pub"], 'invalid key name "bad name"')
        refused(["key", "push", "k1", "--to", self.n1, "--options", 'from="10.0.0.0/8'], "not closed")
        refused(["key", "push", "k1", "--to", self.n1, "--options", "no-pty\nssh-ed25519 AAAA"], "one line")
        refused(["key", "push", "k1", "--to", self.n1, "--remote-user", "bob;rm -rf /"], "invalid remote user")
        refused(["key", "push", "nosuch", "--to", self.n1], 'no key named "nosuch"')
        r = self.run_ctl("key", "push", "k1", "--to", self.n1, "--remote-user", "nobodyhere", "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        self.assertIn('no user "nobodyhere"', r.json()[0]["error"])
        # stdin works for a good key; nothing was pushed anywhere by the refusals
        with open(self.k2 + ".pub") as f:
            self.assertEqual(self.run_ctl("key", "rm", "k2", "--yes").rc, 0)
            self.ok("key", "add", "k2", "--public-key", "-", stdin=f.read())
        self.assertEqual(self.sql("SELECT count(*) FROM key_placements"), [(0,)])
        self.assertEqual(self.node_sh(self.n1, f"test -e {AUTH}").returncode, 1)

    def test_audit_finds_drift_and_sync_repairs_it(self):
        self.write_remote(self.n1, UNMANAGED)
        self.push("k1", "k2", "--to", self.n1, "--remote-user", USER)
        # someone edits the block by hand: k2 goes, a stranger's key comes in
        text = self.remote_bytes(self.n1).decode()
        with open(self.k2 + ".pub") as f:
            k2_blob = f.read().split()[1]
        text = "\n".join(l for l in text.split("\n") if k2_blob not in l)
        text = text.replace(END, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFkTxjOBkj0aSsU9F+hfLKsQAMtmuRcXg0p5P2q8mWtB "
                                 "intruder\n" + END)
        self.write_remote(self.n1, text)
        r = self.run_ctl("key", "audit", self.n1, "--remote-user", USER, "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        a = r.json()[0]
        self.assertTrue(a["drift"])
        self.assertEqual(a["missing"], ["k2"])
        unknown = {(k["comment"], k["in_block"]) for k in a["unknown"]}
        self.assertIn(("intruder", True), unknown)
        self.assertIn(("dos", False), unknown)  # outside the block, with a CR after it

        self.ok("key", "sync", self.n1, "--remote-user", USER)
        after = self.remote_bytes(self.n1).decode()
        self.assertNotIn("intruder", after)
        self.assertTrue(after.startswith(UNMANAGED + "\n"), "lines outside the block untouched")
        self.assert_login(self.n1, self.k2, True)
        r = self.run_ctl("key", "audit", self.n1, "--remote-user", USER, "-o", "json")
        self.assertEqual(r.rc, 3, "keys outside the block are still unknown")
        self.assertEqual([k["in_block"] for k in r.json()[0]["unknown"]], [False, False])

        # --exclusive shows first; without a terminal it needs --yes and changes nothing
        r = self.run_ctl("key", "sync", self.n1, "--remote-user", USER, "--exclusive")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("will remove", r.err)
        self.assertIn("without --yes", r.err)
        self.assertEqual(self.remote_bytes(self.n1).decode(), after)
        r = self.ok("key", "sync", self.n1, "--remote-user", USER, "--exclusive", "--yes", "-o", "json")
        final = self.remote_bytes(self.n1).decode()
        self.assertIn("# keys of the lab admins, do not remove\n", final, "comments stay")
        self.assertIn("not a key line at all", final)
        self.assertNotIn("backup@vault", final)
        self.assertNotIn("dos", final)
        self.ok("key", "audit", self.n1, "--remote-user", USER)
        self.assert_login(self.n1, self.k1, True)

    def test_exclusive_sync_and_revoke_never_lock_clusterctl_out(self):
        # clusterctl logs in as cctest with the cluster's client key, written by hand
        with open(self.cluster["client_key"] + ".pub") as f:
            client_pub = f.read()
        self.write_remote(self.n1, client_pub + UNKNOWN_FP_LINE + " stranger\n")
        n = self.node(self.n1)
        self.ok("node", "add", "as-cctest", "--host", n["addr"], "--user", USER, "--accept-new-host-key")
        r = self.ok("key", "sync", "as-cctest", "--exclusive", "--yes", "-o", "json").json()
        kept = r["plan"][0]
        self.assertTrue(kept["login_account"])
        text = self.remote_bytes(self.n1).decode()
        self.assertIn(client_pub.split()[1], text)
        self.assertNotIn("stranger", text)
        self.ok("exec", "as-cctest", "--", "true")

        # the login key registered and pushed into the block, its hand-written copy gone:
        # revoking it is refused there
        self.ok("key", "add", "admin", "--public-key", self.cluster["client_key"] + ".pub")
        self.ok("key", "push", "admin", "--to", "as-cctest")
        text = self.remote_bytes(self.n1).decode()
        self.write_remote(self.n1, text[text.index(BEGIN):])
        before = self.remote_bytes(self.n1)
        self.ok("exec", "as-cctest", "--", "true")
        r = self.run_ctl("key", "revoke", "admin", "--from", "as-cctest", "--yes", "-o", "json")
        self.assertEqual(r.rc, 3, repr(r))
        self.assertIn("lock clusterctl out", r.json()[0]["error"])
        self.assertEqual(self.remote_bytes(self.n1), before)
        self.ok("exec", "as-cctest", "--", "true")

    def test_rotate_pushes_new_verifies_it_and_revokes_old(self):
        # NEW is ed25519: libssh2 1.10 leaks a BIGNUM per login with an ecdsa key file
        # (upstream libssh2 #2079), which the sanitizer build would report
        k3 = keygen(os.path.join(self.tmp, "k3"))
        self.ok("key", "add", "k3", "--public-key", k3 + ".pub")
        self.push("k1", "--to", self.pair, "--remote-user", USER, "--options", "no-agent-forwarding")
        r = self.ok("key", "rotate", "k1", "k3", "--on", self.pair, "--identity", k3, "-o", "json").json()
        for o in r:
            self.assertEqual((o["status"], o["login_verified"], o["added"], o["removed"]),
                             ("ok", True, ["k3"], ["k1"]), o)
        with open(k3 + ".pub") as f:
            k3_line = "no-agent-forwarding " + " ".join(f.read().split()[:2])
        for node in (self.n1, self.n2):
            self.assert_login(node, k3, True)
            self.assert_login(node, self.k1, False)
            self.assertIn(k3_line.encode(), self.remote_bytes(node), "OLD's options kept")
        self.assertEqual(self.sql("SELECT key, node FROM key_placements ORDER BY node"),
                         [("k3", self.n1), ("k3", self.n2)])
        self.ok("key", "audit", self.pair, "--remote-user", USER)  # recorded as written, options included
        # without NEW's private key the login is not verified (and said so), the rotation still happens
        r = self.run_ctl("key", "rotate", "k3", "k2", "--on", self.n1, "-o", "json")
        self.assertEqual(r.rc, 0, repr(r))
        o = r.json()[0]
        self.assertIsNone(o["login_verified"])
        self.assertIn("not verified", " ".join(o["notes"]))
        self.assert_login(self.n1, self.k2, True)
        self.assert_login(self.n1, k3, False)

    def test_rm_revokes_everywhere_unless_kept(self):
        self.push("k1", "k2", "--to", self.pair, "--remote-user", USER)
        r = self.ok("key", "rm", "k1", "--yes", "-o", "json").json()
        self.assertTrue(r["removed"])
        self.assertEqual(len(r["accounts"]), 2)
        for node in (self.n1, self.n2):
            self.assert_login(node, self.k1, False)
        self.ok("key", "rm", "k2", "--keep-on-nodes", "--yes")
        self.assert_login(self.n1, self.k2, True)
        self.assertEqual(self.ok("key", "ls", "-o", "json").json(), [])

    def test_destructive_key_commands_ask_first(self):
        self.push("k1", "k2", "--to", self.n1, "--remote-user", USER)
        self.write_remote(self.n1, self.remote_bytes(self.n1).decode() + UNKNOWN_FP_LINE + " stranger\n")
        before = self.remote_bytes(self.n1)
        placements = self.sql("SELECT key, node, remote_user FROM key_placements ORDER BY key")
        commands = {
            "rm": ["key", "rm", "k1"],
            "revoke": ["key", "revoke", "k2", "--from", self.n1, "--remote-user", USER],
            "sync --exclusive": ["key", "sync", self.n1, "--remote-user", USER, "--exclusive"],
        }
        for what, args in commands.items():
            # no terminal and no --yes: the plan is shown, nothing is done
            r = self.run_ctl(*args)
            self.assertEqual(r.rc, 1, f"{what}: {r!r}")
            self.assertIn(f"{self.n1} {USER}:", r.err, what)
            self.assertIn("refusing without --yes", r.err, what)
            self.assertEqual(r.err.count("clusterctl: error"), 1, what)
            if what != "sync --exclusive":  # its --dry-run is the audit view, tested above
                r = self.run_ctl(*args, "--dry-run")
                self.assertEqual(r.rc, 0, f"{what}: {r!r}")
                self.assertIn(f"{self.n1} {USER}:", r.err, what)
            self.assertEqual(self.remote_bytes(self.n1), before, what)
            self.assertEqual(self.sql("SELECT key, node, remote_user FROM key_placements ORDER BY key"), placements)
        self.assertEqual(len(self.ok("key", "ls", "-o", "json").json()), 2, "rm without --yes forgot the key")
        self.assert_login(self.n1, self.k1, True)
        self.assert_login(self.n1, self.k2, True)

        # --yes: done
        self.ok(*commands["revoke"], "--yes")
        self.assert_login(self.n1, self.k2, False)
        self.ok(*commands["sync --exclusive"], "--yes")
        self.assertNotIn(b"stranger", self.remote_bytes(self.n1))
        self.ok(*commands["rm"], "--yes")
        self.assert_login(self.n1, self.k1, False)
        self.assertEqual([k["name"] for k in self.ok("key", "ls", "-o", "json").json()], ["k2"])

    def test_an_rsa_key_can_be_registered_and_pushed(self):
        rsa = keygen(os.path.join(self.tmp, "rsa"), "rsa")
        self.ok("key", "add", "rsa", "--public-key", rsa + ".pub")
        self.push("rsa", "--to", self.n1, "--remote-user", USER)
        self.assert_login(self.n1, rsa, True)  # OpenSSH's client signs with rsa-sha2-*
        listed = {k["name"]: k for k in self.ok("key", "ls", "-o", "json").json()}
        self.assertEqual(listed["rsa"]["type"], "ssh-rsa")
        self.assertEqual(listed["rsa"]["placements"][0]["node"], self.n1)
        # rotating to an RSA key: clusterctl's libssh2 cannot check that login, and says so
        self.push("k1", "--to", self.n2, "--remote-user", USER)
        o = self.ok("key", "rotate", "k1", "rsa", "--on", self.n2, "--identity", rsa, "-o", "json").json()[0]
        self.assertIsNone(o["login_verified"])
        self.assertIn("cannot log in with RSA", " ".join(o["notes"]))
        self.assert_login(self.n2, rsa, True)
        self.assert_login(self.n2, self.k1, False)



class FreshCluster(ClusterTestCase):
    def test_audit_of_a_fresh_cluster_knows_clusterctls_own_login_key(self):
        names = [n["name"] for n in self.cluster["nodes"]]
        for name in names:
            self.add(name)
        # root's authorized_keys on the test nodes also holds the cluster's RSA client key,
        # which clusterctl does not log in with: an admin registers it, nothing else
        self.ok("key", "add", "cluster-rsa", "--public-key", self.cluster["client_rsa_key"] + ".pub")
        r = self.run_ctl("key", "audit", "@all", "-o", "json")
        self.assertEqual(r.rc, 0, repr(r))
        login_fp = fingerprint(self.cluster["client_key"] + ".pub")
        audits = r.json()
        self.assertEqual(sorted(a["node"] for a in audits), sorted(names))
        for a in audits:
            self.assertEqual((a["remote_user"], a["drift"], a["login_account"], a["login_key"]),
                             ("root", False, True, login_fp), a)
            shown = {k["fingerprint"]: k for k in a["outside"]}
            self.assertTrue(shown[login_fp]["login_key"], a)
        table = self.ok("key", "audit", "@all")
        self.assertNotIn("drift", table.out)
        self.assertIn(f"{len(names)} account(s): {len(names)} in sync, 0 drifted, 0 failed", table.err + table.out)


if __name__ == "__main__":
    unittest.main()
