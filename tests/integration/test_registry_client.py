"""The registry client against faults a shared registry cannot be put through: each test
starts its own docker-registry on loopback (TLS from a test CA made here, htpasswd auth),
fills it with the cluster's test image, then damages its storage, kills it mid-transfer, or
puts it behind a token server (the bearer flow)."""
import base64
import glob
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from clusterlib import ClusterTestCase, require_cluster

require_cluster()

USER = "robot$ci"  # a '$' in the name, as Harbor robot accounts have
PASSWORD = "pa:ss word"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class SlowProxy:
    """Forwards 127.0.0.1:port to the registry, the registry's answers at `rate` bytes/s, so a
    test can kill the registry while a blob is on the way."""

    def __init__(self, upstream_port, rate):
        self.upstream_port = upstream_port
        self.rate = rate
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.live = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client):
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        self.live += [client, upstream]

        def pump(src, dst, rate):
            try:
                while True:
                    data = src.recv(16384)
                    if not data:
                        break
                    dst.sendall(data)
                    if rate:
                        time.sleep(len(data) / rate)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(client, upstream, 0), daemon=True).start()
        pump(upstream, client, self.rate)

    def cut(self):
        """What a registry host dying does to connections in flight: they end, data in the
        dead process's socket buffers never arrives."""
        for s in self.live:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")  # RST, not FIN
                s.close()
            except OSError:
                pass

    def close(self):
        self.listener.close()
        self.cut()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """The bearer side of a registry: checks Basic credentials, answers a JWT (RS256, signed
    with `openssl dgst -sha256 -sign`, the signer's certificate in x5c) granting what each
    scope asks. Records what it was asked."""

    def __init__(self, directory, users):
        self.dir = directory
        self.users = users
        self.requests = []
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=token signer",
                "-keyout", f"{directory}/signer.key", "-out", f"{directory}/signer.crt")
        der = subprocess.run(["openssl", "x509", "-in", f"{directory}/signer.crt", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                query = parse_qs(urlparse(self.path).query)
                auth = self.headers.get("Authorization", "")
                user = None
                if auth.startswith("Basic "):
                    name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                    if server.users.get(name) == password:
                        user = name
                server.requests.append({"user": user, "auth": auth, "scope": query.get("scope", []),
                                        "service": query.get("service", [""])[0]})
                if user is None:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps({"token": server.token(user, query)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(f"{directory}/server.crt", f"{directory}/server.key")
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def token(self, user, query):
        access = []
        for scope in query.get("scope", []):
            kind, rest = scope.split(":", 1)
            name, actions = rest.rsplit(":", 1)
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {"iss": "test-issuer", "sub": user, "aud": query.get("service", [""])[0], "exp": now + 600,
                  "nbf": now - 60, "iat": now, "jti": os.urandom(8).hex(), "access": access}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", f"{self.dir}/signer.key"],
                                   input=signing_input.encode(), check=True, capture_output=True).stdout
        return signing_input + "." + b64url(signature)

    def auth_yaml(self):
        return (f"  token:\n    realm: https://127.0.0.1:{self.port}/token\n    service: test-registry\n"
                f"    issuer: test-issuer\n    rootcertbundle: {self.dir}/signer.crt\n")

    def shutdown(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeRegistry:
    """A registry written here, serving the cluster's busybox:v1 layout, to check what the client
    sends: Basic auth after a 401, a 429 with Retry-After answered by waiting, and blobs
    redirected to a "storage" origin that must never see the Authorization header."""

    def __init__(self, directory, layout, manifest_digest):
        self.layout = layout
        self.manifest_digest = manifest_digest
        self.log = []  # (server, method, path, authorization, monotonic time)
        fake = self

        def handler(server_name):
            class Handler(BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"

                def log_message(self, *args):
                    pass

                def reply(self, status, body=b"", headers=()):
                    self.send_response(status)
                    for name, value in headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)

                def do_GET(self):
                    auth = self.headers.get("Authorization")
                    fake.log.append((server_name, self.command, self.path, auth, time.monotonic()))
                    if server_name == "storage":
                        return self.reply(200, fake.blob(self.path.rsplit("/", 1)[1]))
                    if auth is None:
                        return self.reply(401, b"{}", [("WWW-Authenticate", 'Basic realm="fake, with a comma"')])
                    if "/manifests/" in self.path:
                        if sum(1 for e in fake.log if "/manifests/" in e[2] and e[3]) == 1:
                            return self.reply(429, b"{}", [("Retry-After", "2")])
                        return self.reply(200, fake.blob(fake.manifest_digest.split(":")[1]),
                                          [("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                                           ("Docker-Content-Digest", fake.manifest_digest)])
                    if "/blobs/" in self.path:
                        digest = self.path.rsplit("/", 1)[1]
                        return self.reply(307, b"", [("Location", f"https://127.0.0.1:{fake.storage_port}/s/{digest.split(':')[1]}")])
                    return self.reply(200, b"{}")

                do_HEAD = do_GET

            return Handler

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(f"{directory}/server.crt", f"{directory}/server.key")
        self.servers = []
        for name in ("registry", "storage"):
            httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler(name))
            httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
            self.servers.append(httpd)
        self.port = self.servers[0].server_address[1]
        self.storage_port = self.servers[1].server_address[1]

    def blob(self, hexdigest):
        with open(os.path.join(self.layout, "blobs", "sha256", hexdigest), "rb") as f:
            return f.read()

    def shutdown(self):
        for httpd in self.servers:
            httpd.shutdown()
            httpd.server_close()


class RegistryClientFaultsTest(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.reg = self.registry()  # the cluster's registry: its OCI layouts fill ours
        self.dir = os.path.join(self.tmp, "registry")
        os.makedirs(os.path.join(self.dir, "certs"))
        d = self.dir
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=registry client test CA",
                "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.crt")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", f"{d}/server.key",
                "-out", f"{d}/server.csr")
        with open(f"{d}/server.ext", "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.crt", "-CAkey", f"{d}/ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", f"{d}/server.ext", "-out", f"{d}/server.crt")
        shutil.copy(f"{d}/ca.crt", f"{d}/certs/ca.crt")
        line = subprocess.run(
            ["/usr/bin/python3", "-W", "ignore", "-c",
             "import crypt, sys\nprint(sys.argv[1] + ':' + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 5)))",
             USER, PASSWORD], check=True, capture_output=True, text=True).stdout
        with open(f"{d}/htpasswd", "w") as f:
            f.write(line)
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        self.process = None
        self.token_server = None
        self.proxy = None
        self.fake = None

    def tearDown(self):
        self.stop_registry()
        if self.token_server:
            self.token_server.shutdown()
        if self.fake:
            self.fake.shutdown()
        if self.proxy:
            self.proxy.close()
        super().tearDown()

    def start_registry(self, auth_yaml=None):
        d = self.dir
        auth_yaml = auth_yaml or f"  htpasswd:\n    realm: test\n    path: {d}/htpasswd\n"
        with open(f"{d}/config.yml", "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {d}/data\n"
                    f"http:\n  addr: {self.addr}\n  tls:\n    certificate: {d}/server.crt\n    key: {d}/server.key\n"
                    f"auth:\n{auth_yaml}")
        self.process = subprocess.Popen(["docker-registry", "serve", f"{d}/config.yml"], stdout=subprocess.DEVNULL,
                                        stderr=open(f"{d}/registry.log", "w"))
        ctx = ssl.create_default_context(cafile=f"{d}/ca.crt")
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    with ctx.wrap_socket(s, server_hostname="127.0.0.1"):
                        return
            except OSError:
                time.sleep(0.1)
        self.fail("the test registry did not start: " + open(f"{d}/registry.log").read())

    def stop_registry(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def push_test_image(self, ref="test/busybox:v1", creds=f"{USER}:{PASSWORD}"):
        layout = os.path.join(self.reg["images"], "busybox")
        tag = ref.split(":")[1]
        r = subprocess.run(["skopeo", "copy", "--quiet", "--preserve-digests", "--dest-cert-dir",
                            f"{self.dir}/certs", "--dest-creds", creds, f"oci:{layout}:{tag}",
                            f"docker://{self.addr}/{ref}"], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)

    def use_registry(self, addr, credentials=True):
        """Config naming our CA for `addr`; the login in docker's config.json, as `docker login` leaves it."""
        self.write_config(f'[registry."{addr}"]\nca_file = "{self.dir}/ca.crt"\n')
        if credentials:
            os.makedirs(os.path.join(self.tmp, ".docker"), exist_ok=True)
            auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            with open(os.path.join(self.tmp, ".docker", "config.json"), "w") as f:
                json.dump({"auths": {addr: {"auth": auth}}}, f)
        self.xdg = {"XDG_CONFIG_HOME": os.path.join(self.tmp, "xdg-config"),
                    "XDG_CACHE_HOME": os.path.join(self.tmp, "xdg-cache")}

    def blob_files(self):
        """Everything in the blob cache: finished blobs and any temporary left behind."""
        return sorted(os.path.basename(p) for p in glob.glob(os.path.join(self.xdg["XDG_CACHE_HOME"], "clusterctl",
                                                                          "blobs", "sha256", "*"))
                      + glob.glob(os.path.join(self.xdg["XDG_CACHE_HOME"], "clusterctl", "blobs", "sha256", ".*")))

    def fetch(self, addr, ref="test/busybox:v1", timeout=120):
        out = os.path.join(self.tmp, "out")
        os.makedirs(out, exist_ok=True)
        return self.run_ctl("image", "fetch", f"{addr}/{ref}", "-o", os.path.join(out, "image.tar"),
                            extra_env=self.xdg, timeout=timeout), out

    def top_layer(self):
        return self.reg["summary"]["test/busybox:v1"]["layers"][-1]["digest"]

    def test_the_own_registry_serves_a_fetch_that_keeps_every_digest(self):
        self.start_registry()
        self.push_test_image()
        self.use_registry(self.addr)
        r, out = self.fetch(self.addr)
        self.assertEqual(r.rc, 0, repr(r))
        self.assertEqual(os.listdir(out), ["image.tar"])
        self.assertIn(self.top_layer().split(":")[1], self.blob_files())

    def test_a_blob_corrupted_in_the_registry_storage_is_detected_and_leaves_no_cache_file(self):
        self.start_registry()
        self.push_test_image()
        digest = self.top_layer()
        hexd = digest.split(":")[1]
        data = os.path.join(self.dir, "data", "docker", "registry", "v2", "blobs", "sha256", hexd[:2], hexd, "data")
        with open(data, "r+b") as f:
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 0xFF]))
        self.use_registry(self.addr)
        r, out = self.fetch(self.addr)
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn(digest, r.err)
        self.assertIn("arrived with digest", r.err)
        self.assertEqual(os.listdir(out), [])
        files = self.blob_files()
        self.assertNotIn(hexd, files)
        self.assertEqual([f for f in files if f.startswith(".")], [], "a partial file stayed behind")

    def test_the_registry_killed_mid_transfer_is_a_clear_error_and_leaves_no_partial_file(self):
        self.start_registry()
        self.push_test_image()
        # ~3 MB at 256 KiB/s: about 12 s of transfer, killed after 3 s
        self.proxy = SlowProxy(self.port, 256 << 10)
        addr = f"127.0.0.1:{self.proxy.port}"
        self.use_registry(addr)
        def kill():
            self.stop_registry()
            self.proxy.cut()
        threading.Timer(3.0, kill).start()
        start = time.monotonic()
        r, out = self.fetch(addr, timeout=120)
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn(f"registry {addr}", r.err)
        self.assertLess(time.monotonic() - start, 60, "retries must give up in bounded time")
        self.assertEqual(os.listdir(out), [])
        self.assertEqual([f for f in self.blob_files() if f.startswith(".")], [], "a partial file stayed behind")
        for name in self.blob_files():  # what did arrive is whole
            with open(os.path.join(self.xdg["XDG_CACHE_HOME"], "clusterctl", "blobs", "sha256", name), "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), name)

    def test_the_bearer_flow_gets_a_token_for_the_repository_scope_with_a_dollar_in_the_username(self):
        self.token_server = TokenServer(self.dir, {USER: PASSWORD})
        self.start_registry(self.token_server.auth_yaml())
        self.push_test_image()
        self.use_registry(self.addr)
        self.token_server.requests.clear()
        r, out = self.fetch(self.addr)
        self.assertEqual(r.rc, 0, repr(r))
        self.assertEqual(os.listdir(out), ["image.tar"])
        asked = self.token_server.requests
        self.assertTrue(asked, "no token was asked for")
        self.assertTrue(all(a["user"] == USER for a in asked), asked)
        self.assertIn(["repository:test/busybox:pull"], [a["scope"] for a in asked])
        self.assertTrue(all(a["service"] == "test-registry" for a in asked), asked)
        # one token per scope, shared by the parallel blob fetches (a few at most, not one per request)
        self.assertLessEqual(len(asked), 4, asked)

    def test_a_wrong_password_at_the_token_service_is_a_clear_error_with_exit_1(self):
        self.token_server = TokenServer(self.dir, {USER: "another password"})
        self.start_registry(self.token_server.auth_yaml())
        self.use_registry(self.addr)
        r, out = self.fetch(self.addr)
        self.assertEqual(r.rc, 1, repr(r))
        self.assertIn(f"registry {self.addr}: wrong username or password", r.err)
        self.assertNotIn(PASSWORD, r.err + r.out)
        self.assertEqual(os.listdir(out), [])

    def test_a_429_is_waited_out_and_a_redirect_to_storage_never_carries_the_credentials(self):
        layout = os.path.join(self.reg["images"], "busybox")
        self.fake = FakeRegistry(self.dir, layout, self.reg["summary"]["test/busybox:v1"]["digest"])
        addr = f"127.0.0.1:{self.fake.port}"
        self.use_registry(addr)
        r, out = self.fetch(addr)
        self.assertEqual(r.rc, 0, repr(r))
        log = self.fake.log
        storage = [e for e in log if e[0] == "storage"]
        self.assertEqual(len(storage), 5, log)  # config and four layers, each from storage once
        self.assertTrue(all(e[3] is None for e in storage), "Authorization went to the storage origin")
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        self.assertTrue(any(e[3] == expected for e in log if e[0] == "registry"), log)
        manifests = [e for e in log if "/manifests/" in e[2] and e[3]]
        self.assertEqual(len(manifests), 2, log)
        self.assertGreaterEqual(manifests[1][4] - manifests[0][4], 1.9, "Retry-After: 2 was not honoured")
