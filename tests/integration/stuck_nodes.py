"""TCP listeners on the cluster's bridge address that accept and then stall:
one never speaks, one sends an SSH banner and then nothing. They stand in
for a hung node, which is what makes other tools wait for their command timeout."""
import socket
import threading


class StuckListener:
    def __init__(self, host, banner=None):
        self.banner = banner
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)  # keep it open and silent
            if self.banner:
                conn.sendall(self.banner)

    def close(self):
        self.sock.close()
        for c in self.accepted:
            c.close()


def register_fake_node(test, name, host, port):
    """Puts a node straight into the inventory: it has no real host key, and
    the connect deadline must cut it before host key checking matters."""
    test.sql("INSERT INTO nodes (name, host, port, user, host_key_type, host_key, host_key_fingerprint) "
             "VALUES (?, ?, ?, 'root', 'ssh-ed25519', 'AAAAC3NzaC1lZDI1NTE5AAAAIA==', 'SHA256:fake')",
             name, host, port)
