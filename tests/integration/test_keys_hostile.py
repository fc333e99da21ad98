"""key push/sync/audit against a hostile remote user: the account whose
authorized_keys clusterctl edits plants links, FIFOs, huge files and races
the temp file. clusterctl logs in as root, so everything here is about root
never acting on a path that account controls (the file work runs as it).

The hostile account is the test cluster's `cctest` (uid 2950, home /run/home/cctest)."""
import os
import re
import shlex
import subprocess
import time
import unittest

from clusterlib import BIN, REPO, ClusterTestCase, require_cluster

require_cluster()

USER = "cctest"
UID = 2950
HOME = "/run/home/cctest"
SSH = f"{HOME}/.ssh"
AUTH = f"{SSH}/authorized_keys"
ROOT_AUTH = "/root/.ssh/authorized_keys"
VICTIM = "/etc/clusterctl-victim"  # a root-owned file the hostile user wants to own or change
STOP = "/tmp/clusterctl-race-stop"
AS_USER = f"setpriv --reuid={UID} --regid={UID} --init-groups"


def keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", os.path.basename(path), "-f", path],
                   check=True)
    return path


class HostileRemoteUser(ClusterTestCase):
    def setUp(self):
        super().setUp()
        plain = [n["name"] for n in self.cluster["nodes"] if not n.get("gpu")]
        self.n1 = (plain + [n["name"] for n in self.cluster["nodes"]])[0]
        self.add(self.n1)
        self.reset_home()
        self.root_before = self.sh(f"cat {ROOT_AUTH}").stdout
        self.k = keygen(os.path.join(self.tmp, "k"))
        self.ok("key", "add", "k", "--public-key", self.k + ".pub")

    def tearDown(self):
        self.reset_home()
        self.sh(f"rm -f {VICTIM} {STOP}")
        root_after = self.sh(f"cat {ROOT_AUTH}").stdout
        if root_after != self.root_before:  # put it back for the other tests, then fail
            subprocess.run([os.path.join(REPO, "tests/cluster/cluster"), "exec", "--dir",
                            os.environ["CLUSTERCTL_TEST_CLUSTER"], self.n1, "sh", "-c", f"cat > {ROOT_AUTH}"],
                           input=self.root_before, check=True)
        super().tearDown()
        self.assertEqual(root_after, self.root_before, "root's authorized_keys changed")

    # --- helpers -------------------------------------------------------------------
    def sh(self, script, check=False):
        r = subprocess.run([os.path.join(REPO, "tests/cluster/cluster"), "exec", "--dir",
                            os.environ["CLUSTERCTL_TEST_CLUSTER"], self.n1, "sh", "-c", script],
                           capture_output=True, check=False)
        if check:
            self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def as_user(self, script):
        """Runs `script` on the node as the hostile user, as it could over its own login."""
        return self.sh(f"{AS_USER} sh -c {shlex.quote(script)}", check=True)

    def reset_home(self):
        self.sh(f"rm -rf {SSH}; chown {USER}:{USER} {HOME}")

    def push(self, *extra, timeout=120):
        return self.run_ctl("key", "push", "k", "--to", self.n1, "--remote-user", USER, *extra, "-o", "json",
                            timeout=timeout)

    def refused(self, r, needle):
        self.assertEqual(r.rc, 3, repr(r))
        self.assertEqual(r.json()[0]["status"], "error", repr(r))
        self.assertIn(needle, r.json()[0]["error"])

    def root_login_denied(self):
        n = self.node(self.n1)
        r = subprocess.run(
            ["ssh", "-F", "/dev/null", "-i", self.k, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
             "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
             "-o", "IdentityAgent=none", f"root@{n['addr']}", "id"],
            capture_output=True, text=True, timeout=30, env={"PATH": os.environ["PATH"], "HOME": self.tmp})
        self.assertNotEqual(r.returncode, 0, f"root login with the pushed key works: {r.stdout}")

    def victim(self):
        return self.sh(f"stat -c '%u:%g %a %s' {VICTIM} && sha256sum < {VICTIM}", check=True).stdout

    # --- tests ---------------------------------------------------------------------
    def test_a_symlinked_ssh_dir_to_roots_is_refused_and_root_is_untouched(self):
        self.as_user(f"ln -s /root/.ssh {SSH}")
        for r in (self.push(), self.run_ctl("key", "sync", self.n1, "--remote-user", USER, "-o", "json")):
            self.assertNotEqual(r.rc, 0, repr(r))
            self.assertIn("symbolic link", r.out + r.err)
        self.refused(self.push(), "symbolic link")
        self.assertEqual(self.sh(f"cat {ROOT_AUTH}").stdout, self.root_before)
        self.root_login_denied()
        self.assertEqual(self.sql("SELECT count(*) FROM key_placements"), [(0,)])

    def test_a_symlinked_authorized_keys_is_refused(self):
        self.as_user(f"mkdir -m 700 {SSH} && ln -s {ROOT_AUTH} {AUTH}")
        self.refused(self.push(), "symbolic link")
        self.assertEqual(self.sh(f"cat {ROOT_AUTH}").stdout, self.root_before)
        self.root_login_denied()

    def test_a_fifo_as_authorized_keys_is_refused_at_once(self):
        self.as_user(f"mkdir -m 700 {SSH} && mkfifo {AUTH}")
        r = self.push(timeout=60)
        self.refused(r, "not a regular file")
        self.assertLess(r.seconds, 10, "a FIFO must not block the read")
        r = self.run_ctl("key", "audit", self.n1, "--remote-user", USER, "-o", "json", timeout=60)
        self.assertEqual(r.rc, 3, repr(r))
        self.assertIn("not a regular file", r.json()[0]["error"])

    def test_a_500MB_sparse_authorized_keys_is_refused_without_reading_it(self):
        self.as_user(f"mkdir -m 700 {SSH} && truncate -s 500M {AUTH}")
        cmd = ["/usr/bin/time", "-v", BIN, "--inventory", self.inventory, "--config", self.config,
               "key", "push", "k", "--to", self.n1, "--remote-user", USER, "-o", "json"]
        start = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=self.env(), timeout=120)
        seconds = time.monotonic() - start
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn("over clusterctl's limit of 1048576 bytes", proc.stdout)
        rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
        # Against the same binary doing no remote work: an ASan build's shadow memory
        # doubles the baseline, while reading the file would add 500 MB.
        idle = subprocess.run(["/usr/bin/time", "-v", BIN, "--inventory", self.inventory, "--config", self.config,
                               "key", "ls"], capture_output=True, text=True, env=self.env(), timeout=60)
        idle_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", idle.stderr).group(1))
        print(f"\n500 MB sparse authorized_keys: refused in {seconds:.2f} s, clusterctl max RSS {rss_kb} kB "
              f"(key ls: {idle_kb} kB)")
        self.assertLess(rss_kb, idle_kb + 64 * 1024, "the file was read into memory")
        self.assertEqual(self.sh(f"stat -c %s {AUTH}").stdout.strip(), b"524288000", "left as it was")

    def test_a_race_swapping_the_temp_file_for_links_never_touches_a_root_file(self):
        self.sh(f"rm -f {STOP}; printf 'root secret\\n' > {VICTIM}; chmod 644 {VICTIM}; chown root:root {VICTIM}", check=True)
        before = self.victim()
        # As the user: every temp file clusterctl makes becomes a link to root's
        # file, and a link renamed into place is cleared so the next push writes again.
        racer = subprocess.Popen(
            [os.path.join(REPO, "tests/cluster/cluster"), "exec", "--dir", os.environ["CLUSTERCTL_TEST_CLUSTER"],
             self.n1, "sh", "-c",
             f"exec {AS_USER} sh -c " + shlex.quote(
                 f"mkdir -p -m 700 {SSH}; end=$(($(date +%s) + 300)); cd {SSH} || exit 1\n"
                 f"while [ $(date +%s) -lt $end ] && [ ! -e {STOP} ]; do\n"
                 f"  for t in .authorized_keys.clusterctl-*; do\n"
                 f"    [ -f \"$t\" ] && [ ! -L \"$t\" ] && rm -f \"$t\" && ln -s {VICTIM} \"$t\"\n"
                 f"  done\n"
                 f"  [ -L authorized_keys ] && rm -f authorized_keys\n"
                 f"done")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            outcomes = []
            for i in range(30):
                # other options each time, so every push rewrites the file
                r = self.push("--options", "no-pty" if i % 2 else "no-agent-forwarding")
                outcomes.append(r.rc)
                self.assertIn(r.rc, (0, 3), repr(r))
                self.assertEqual(self.victim(), before, f"push {i}: root's file changed")
        finally:
            self.sh(f"touch {STOP}")
            racer.wait(timeout=30)
        self.assertEqual(self.victim(), before)
        self.assertEqual(self.sh(f"cat {ROOT_AUTH}").stdout, self.root_before)
        # whatever the race left: owned by the user, nothing root's
        listing = self.sh(f"find {SSH} -mindepth 1 ! -user {USER} -printf '%p\\n'").stdout
        self.assertEqual(listing, b"", "root-owned files in the user's ~/.ssh")
        print(f"\nrace: {outcomes.count(0)} of 30 pushes succeeded, {outcomes.count(3)} refused or failed")

    def test_a_uid_as_remote_user_is_refused(self):
        r = self.run_ctl("key", "sync", self.n1, "--remote-user", "0", "--exclusive", "--yes")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn('invalid remote user "0"', r.err)
        self.assertEqual(self.sh(f"cat {ROOT_AUTH}").stdout, self.root_before)
        self.ok("exec", self.n1, "--", "true")

    def test_another_name_for_the_login_uid_keeps_the_login_key(self):
        # clusterctl logs in as cctest; "cctwin" is cctest under another name (same uid and home)
        with open(self.cluster["client_key"] + ".pub") as f:
            client_pub = f.read()
        stranger = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcbIKdnQ0YlDzg7ty2JDb8UBt9s8UDUPFuvL4hdJv6O stranger\n"
        self.as_user(f"mkdir -m 700 {SSH} && umask 077 && cat > {AUTH} <<'EOF'\n{client_pub}{stranger}EOF")
        self.sh("cp /etc/passwd /tmp/passwd.saved && "
                f"echo 'cctwin:x:{UID}:{UID}:twin:{HOME}:/bin/sh' >> /etc/passwd", check=True)
        try:
            n = self.node(self.n1)
            self.ok("node", "add", "as-cctest", "--host", n["addr"], "--user", USER, "--accept-new-host-key")
            r = self.ok("key", "sync", "as-cctest", "--remote-user", "cctwin", "--exclusive", "--yes", "-o", "json")
            self.assertTrue(r.json()["plan"][0]["login_account"], r.out)
            text = self.sh(f"cat {AUTH}").stdout.decode()
            self.assertIn(client_pub.split()[1], text, "the login key was removed")
            self.assertNotIn("stranger", text)
            self.ok("exec", "as-cctest", "--", "true")
        finally:
            self.sh("cat /tmp/passwd.saved > /etc/passwd && rm -f /tmp/passwd.saved", check=True)

    def test_root_editing_its_own_file_still_works(self):
        # login user == remote user == root: no setpriv, the same script
        r = self.run_ctl("key", "push", "k", "--to", self.n1, "-o", "json")
        self.assertEqual((r.rc, r.json()[0]["remote_user"], r.json()[0]["changed"]), (0, "root", True), repr(r))
        n = self.node(self.n1)
        login = subprocess.run(
            ["ssh", "-F", "/dev/null", "-i", self.k, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
             "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
             "-o", "IdentityAgent=none", f"root@{n['addr']}", "id", "-u"],
            capture_output=True, text=True, timeout=30, env={"PATH": os.environ["PATH"], "HOME": self.tmp})
        self.assertEqual(login.stdout, "0\n", login.stderr)
        self.assertEqual(self.sh(f"stat -c '%a %U' {ROOT_AUTH}").stdout, b"600 root\n")
        self.ok("key", "revoke", "k", "--from", self.n1, "--remote-user", "root", "--yes")
        self.root_login_denied()
        self.assertEqual(self.sh(f"cat {ROOT_AUTH}").stdout, self.root_before)

    def test_a_missing_ssh_dir_is_created_by_the_user(self):
        r = self.push()
        self.assertEqual(r.rc, 0, repr(r))
        self.assertEqual(self.sh(f"stat -c '%a %U' {SSH} {AUTH}").stdout.decode().split("\n")[:2],
                         [f"700 {USER}", f"600 {USER}"])


if __name__ == "__main__":
    unittest.main()
