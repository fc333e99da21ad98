"""port-map add|rm|ls against real podman and the node's real iptables: a port added to a
running instance answers without restarting its container, ls shows the runtime's and the
forwarded ports, rm makes the port stop answering and leaves no rule, ports listening on
the node are skipped, a stopped instance and hostile names are refused with nothing claimed."""
import os
import subprocess
import time
import unittest
import urllib.request

from clusterlib import ClusterTestCase, require_cluster

require_cluster()

IMAGE = "localhost/busybox:latest"
# hello-$NAME on 8080 (foreground) and on 9090 (busybox httpd without -f detaches).
WEB = ["sh", "-c", "mkdir -p /www && echo hello-$NAME > /www/index.html && httpd -p 9090 -h /www && "
                   "exec httpd -f -p 8080 -h /www"]


def http_get(addr, port, deadline=15.0):
    """The body at http://addr:port/, retried until the server answers or the deadline passes."""
    end = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen(f"http://{addr}:{port}/", timeout=3) as r:
                return r.read().decode()
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


def refused(addr, port):
    try:
        urllib.request.urlopen(f"http://{addr}:{port}/", timeout=3).read()
        return False
    except OSError:
        return True


class PortMap(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.node_name = self.cluster["nodes"][0]["name"]
        self.addr = self.cluster["nodes"][0]["addr"]
        self.add(self.node_name)
        self.prefix = f"pm{os.getpid()}"

    def tearDown(self):
        # Containers by label, then every clusterctl port-map rule (instance rm does not clear
        # them on this branch, and a stale DNAT would shadow the next test's ports).
        self.run_ctl("exec", self.node_name, "--shell",
                     "podman ps -aq --filter label=clusterctl.instance | xargs -r podman rm -f -t 0 >/dev/null; "
                     "iptables -t nat -F CLUSTERCTL-PORTMAP 2>/dev/null; "
                     "for c in $(iptables -t nat -S | sed -n 's/^-N \\(CCPM-[0-9a-f]*\\)$/\\1/p'); do "
                     "iptables -t nat -F $c; iptables -t nat -X $c; done; true")
        super().tearDown()

    def name(self, tag):
        return f"{self.prefix}-{tag}"

    def create(self, tag, *args, command=("sleep", "1000")):
        return self.ok("instance", "create", self.name(tag), "--image", IMAGE, "--node", self.node_name, *args,
                       "-o", "json", "--", *command, timeout=180).json()

    def started_at(self, tag):
        r = self.ok("exec", self.node_name, "-o", "json", "--", "podman", "inspect", "--format",
                    "{{.State.StartedAt}}", self.name(tag)).json()
        return r[0]["stdout"].strip()

    def nat_rules(self):
        r = self.ok("exec", self.node_name, "-o", "json", "--", "iptables", "-t", "nat", "-S").json()
        return r[0]["stdout"].splitlines()

    def test_a_port_added_live_answers_without_restarting_and_rm_stops_it(self):
        web = self.create("web", "-p", "8080", "-e", "NAME=one", command=WEB)
        runtime_port = web["ports"][0]["host_port"]
        self.assertEqual(http_get(self.addr, runtime_port).strip(), "hello-one")
        before = self.started_at("web")

        added = self.ok("port-map", "add", self.name("web"), "9090", "-o", "json").json()
        self.assertEqual(added["instance"], self.name("web"))
        self.assertEqual(added["node"], self.node_name)
        self.assertEqual((added["container_port"], added["proto"], added["via"]), (9090, "tcp", "forward"))
        live_port = added["host_port"]
        self.assertNotEqual(live_port, runtime_port)
        self.assertEqual(http_get(self.addr, live_port).strip(), "hello-one")
        self.assertEqual(self.started_at("web"), before)  # the container was not restarted

        # A second add (a second sync) keeps one jump per hook and one per instance.
        second = self.ok("port-map", "add", self.name("web"), "8080", "--host-port", "31500", "-o", "json").json()
        self.assertEqual(http_get(self.addr, 31500).strip(), "hello-one")
        rules = self.nat_rules()
        self.assertEqual(sum("-j CLUSTERCTL-PORTMAP" in r for r in rules), 2, rules)  # PREROUTING, OUTPUT
        self.assertEqual(sum(r.startswith("-A CLUSTERCTL-PORTMAP -j CCPM-") for r in rules), 1, rules)

        listed = self.ok("port-map", "ls", "-o", "json").json()
        self.assertEqual(sorted((p["host_port"], p["container_port"], p["via"]) for p in listed),
                         sorted([(runtime_port, 8080, "runtime"), (live_port, 9090, "forward"),
                                 (31500, 8080, "forward")]))
        self.assertTrue(all(p["instance"] == self.name("web") and p["node"] == self.node_name for p in listed))
        table = self.ok("port-map", "ls", self.node_name).out
        self.assertIn("forward", table)

        self.ok("port-map", "rm", self.name("web"), str(live_port))
        self.assertTrue(refused(self.addr, live_port))
        self.assertEqual(http_get(self.addr, 31500).strip(), "hello-one")  # the other one stays
        self.ok("port-map", "rm", self.name("web"), "31500")
        self.assertTrue(refused(self.addr, 31500))
        self.assertFalse([r for r in self.nat_rules() if "CCPM-" in r])  # chain and jump gone
        self.assertEqual([p["via"] for p in self.ok("port-map", "ls", "-o", "json").json()], ["runtime"])

        # The runtime's own port cannot be removed live; it still answers.
        r = self.run_ctl("port-map", "rm", self.name("web"), str(runtime_port))
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("re-create", r.err)
        self.assertEqual(http_get(self.addr, runtime_port).strip(), "hello-one")

    def test_forwarded_ports_follow_a_restart_and_go_with_instance_rm(self):
        # instance restart/rm call sync_port_forwards: the DNAT follows the container's new address.
        made = self.create("r", "-p", "8080", "-e", "NAME=r", command=WEB)
        at_create = made["ports"][0]["host_port"]
        live = self.ok("port-map", "add", self.name("r"), "9090", "-o", "json").json()["host_port"]
        self.assertEqual(http_get(self.addr, live).strip(), "hello-r")
        self.ok("instance", "restart", self.name("r"))
        self.assertEqual(http_get(self.addr, live).strip(), "hello-r")
        self.assertEqual(http_get(self.addr, at_create).strip(), "hello-r")
        self.ok("instance", "rm", "-y", self.name("r"))
        self.assertFalse([x for x in self.nat_rules() if "CCPM-" in x])
        self.assertEqual(self.sql("SELECT * FROM instance_ports"), [])

    def test_a_port_listening_on_the_node_is_skipped_and_asking_for_it_is_refused(self):
        with open(self.config) as f:
            self.write_config(f.read() + '[instances]\nport_range = "31000-31002"\n')
        self.create("a", command=WEB)
        listener = subprocess.Popen(["ip", "netns", "exec", f"{self.cluster['name']}-{self.node_name}", "busybox",
                                     "nc", "-l", "-p", "31000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(listener.wait)
        self.addCleanup(listener.kill)
        time.sleep(0.3)
        added = self.ok("port-map", "add", self.name("a"), "9090", "-o", "json").json()
        self.assertEqual(added["host_port"], 31001)
        r = self.run_ctl("port-map", "add", self.name("a"), "8080", "--host-port", "31000")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("31000", r.err)
        self.assertEqual(self.sql("SELECT host_port, via FROM instance_ports"), [(31001, "forward")])

    def test_adding_to_a_stopped_instance_is_refused_and_claims_nothing(self):
        self.create("s")
        self.ok("instance", "stop", self.name("s"))
        r = self.run_ctl("port-map", "add", self.name("s"), "80")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("not running", r.err)
        self.assertEqual(self.sql("SELECT * FROM instance_ports"), [])
        self.assertFalse([x for x in self.nat_rules() if "CCPM-" in x])
        r = self.run_ctl("port-map", "add", self.name("nosuch"), "80")
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn("no instance", r.err)

    def test_hostile_instance_names_are_refused_before_any_node_is_touched(self):
        for hostile in ["x;touch /tmp/pm-pwned", "x$(touch /tmp/pm-pwned)", "web -j ACCEPT", "a\"\n-A PREROUTING"]:
            for args in (["add", hostile, "80"], ["rm", hostile, "30000"]):
                r = self.run_ctl("port-map", *args)
                self.assertEqual(r.rc, 1, repr(r))
                self.assertIn("container name", r.err)
        r = self.ok("exec", self.node_name, "-o", "json", "--shell", "ls /tmp/pm-pwned 2>&1; true").json()
        self.assertIn("No such file", r[0]["stdout"])
        self.assertFalse([x for x in self.nat_rules() if "CCPM-" in x])


if __name__ == "__main__":
    unittest.main()
