#!/usr/bin/python3
"""A TCP listener that plays a stuck SSH server, for exec_bench's stuck-node scenarios.

    stuck_listener.py silent ADDR PORT   accept connections and never send a byte
    stuck_listener.py banner ADDR PORT   accept, send "SSH-2.0-OpenSSH_9.2\\r\\n", then nothing

Connections are held open (and whatever the client sends is read and dropped) until the
client goes away or the listener is killed.  Prints "ready" on stdout once listening.
"""
import selectors
import socket
import sys

BANNER = b"SSH-2.0-OpenSSH_9.2\r\n"


def main() -> int:
    if len(sys.argv) != 4 or sys.argv[1] not in ("silent", "banner"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(1024)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            if sock is srv:
                conn, _ = srv.accept()
                if mode == "banner":
                    try:
                        conn.sendall(BANNER)
                    except OSError:
                        conn.close()
                        continue
                sel.register(conn, selectors.EVENT_READ)
            else:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:  # client gone
                    sel.unregister(sock)
                    sock.close()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
