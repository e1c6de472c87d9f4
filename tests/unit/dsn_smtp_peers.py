"""Run inside the test sandbox: sendmail -bs with a TCP connection as its stdin, so it
sees an SMTP client at 127.0.0.1 (as under inetd), and a next hop on 127.0.0.1:PORT that
refuses some recipients.  Used by test_dsn_oracle.py; argv: PORT REFUSED SENDMAIL-ARGV...,
the client's SMTP commands on stdin, one per line."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from io import BufferedIOBase


def _path(command: str) -> str:
    return command.partition(":")[2].strip().split()[0]


def next_hop(listener: socket.socket, refused: set[str]) -> None:
    """Answer one SMTP session at a time: no DSN offered, 550 for refused recipients
    (the path as the client wrote it, e.g. "<bob@refuse.test>")."""
    while True:
        conn, _ = listener.accept()
        with conn, conn.makefile("rwb") as stream:
            stream.write(b"220 next.example ESMTP\r\n")
            stream.flush()
            for raw in stream:
                line = raw.decode().rstrip("\r\n")
                verb = line[:4].upper()
                if verb == "EHLO":
                    reply = "250-next.example\r\n250 8BITMIME"
                elif verb == "RCPT" and _path(line) in refused:
                    reply = f"550 5.1.1 {_path(line)}... No such user here"
                elif verb == "DATA":
                    stream.write(b"354 go\r\n")
                    stream.flush()
                    for data in stream:
                        if data in (b".\r\n", b".\n"):
                            break
                    reply = "250 2.0.0 queued"
                elif verb == "QUIT":
                    stream.write(b"221 bye\r\n")
                    stream.flush()
                    break
                else:
                    reply = "250 ok"
                stream.write(reply.encode() + b"\r\n")
                stream.flush()


def reply(stream: BufferedIOBase) -> str:
    """One SMTP reply, continuation lines skipped."""
    line = stream.readline().decode()
    while line[3:4] == "-":
        line = stream.readline().decode()
    return line


def main() -> int:
    port, refused, argv = int(sys.argv[1]), set(sys.argv[2].split(",")), sys.argv[3:]
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    hop = socket.create_server(("127.0.0.1", port))
    threading.Thread(target=next_hop, args=(hop, refused), daemon=True).start()
    front = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(front.getsockname())
    server, _ = front.accept()
    proc = subprocess.Popen(argv, stdin=server, stdout=server)
    server.close()
    with client.makefile("rwb") as stream:
        assert reply(stream).startswith("220")
        in_data = False
        for command in sys.stdin.read().split("\n"):
            stream.write(command.encode() + b"\r\n")
            stream.flush()
            if in_data and command != ".":
                continue
            answer = reply(stream)
            print(command, "->", answer.rstrip(), file=sys.stderr)
            in_data = command == "DATA"
    client.close()
    return proc.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
