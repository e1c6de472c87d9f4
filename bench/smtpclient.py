"""How fast the SMTP client sends: messages per second and client CPU per message.

    python3 bench/smtpclient.py [--messages 5000] [--concurrency 20] [--recipients 1]

A minimal sink (an asyncio.Protocol answering at once, in its own process, so its CPU is
not counted) listens on 127.0.0.1; the client delivers through cached connections as
the daemon would: one batch per message, `concurrency` deliveries at a time, uvloop.
Prints one line: messages/s, client CPU ms per message, transactions seen by the sink.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # not bench/, whose queue.py would shadow the stdlib

SINK_PORT = 0


class SinkProtocol(asyncio.Protocol):
    """Just enough SMTP to take mail as fast as it comes."""

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        self.transport = transport
        self.buffer = b""
        self.in_data = False
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out = []
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    break
                self.buffer = self.buffer[end + 5:]
                self.in_data = False
                self.counter.value += 1
                out.append(b"250 2.0.0 Ok\r\n")
                continue
            cut = self.buffer.find(b"\r\n")
            if cut < 0:
                break
            line, self.buffer = self.buffer[:cut], self.buffer[cut + 2:]
            verb = line[:4].upper()
            if verb == b"EHLO":
                out.append(b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000000\r\n")
            elif verb == b"DATA":
                self.in_data = True
                self.buffer = b"\r\n" + self.buffer
                out.append(b"354 go\r\n")
            elif verb == b"QUIT":
                out.append(b"221 bye\r\n")
            else:
                out.append(b"250 Ok\r\n")
        if out:
            self.transport.write(b"".join(out))


def run_sink(port_value, counter, ready) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        SinkProtocol.counter = counter
        server = await asyncio.get_running_loop().create_server(SinkProtocol, "127.0.0.1", 0)
        port_value.value = server.sockets[0].getsockname()[1]
        ready.set()
        await asyncio.Event().wait()
    asyncio.run(main())


async def deliver_all(port: int, messages: int, concurrency: int, recipients: int) -> float:
    from monomail.config.cfparser import parse_cf
    from monomail.deliver.router import Batch, Envelope, Recipient
    from monomail.deliver.smtpclient import SmtpClient

    folder = Path(tempfile.mkdtemp())
    (folder / "b.cf").write_text(
        "V10/Berkeley\nDjmail.example.com\nO ConnectionCacheSize=%d\nS0\nS1\nS2\nS4\n"
        "Mlocal, P=/bin/cat, F=lsm, A=cat\n"
        "Mesmtp, P=[IPC], F=mDFMuXa, E=\\r\\n, L=990, A=TCP $h %d\n" % (concurrency, port))
    config = parse_cf(str(folder / "b.cf"))
    client = SmtpClient.from_config(config)
    mailer = config.mailer("esmtp")
    assert mailer is not None
    body = b"Subject: bench\n\n" + b"x" * 70 + b"\n"
    body = body * (1000 // len(body))
    envelope = Envelope("sender@example.com", size=len(body))
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(messages):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            batch = Batch(mailer, "[127.0.0.1]", "[127.0.0.1]", "sender@example.com")
            for i in range(recipients):
                user = f"u{n}.{i}@example.org"
                batch.add(Recipient(user, "esmtp", "[127.0.0.1]", user), user)
            report = await client.deliver(batch, envelope, body)
            assert report.outcomes[-1].result.state == "sent", report.outcomes

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    await client.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--recipients", type=int, default=1)
    args = parser.parse_args()
    port_value = multiprocessing.Value("i", 0)
    counter = multiprocessing.Value("i", 0)
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(target=run_sink, args=(port_value, counter, ready), daemon=True)
    sink.start()
    ready.wait(10)
    import uvloop
    before = resource.getrusage(resource.RUSAGE_SELF)
    elapsed = uvloop.run(deliver_all(port_value.value, args.messages, args.concurrency,
                                     args.recipients))
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sink.terminate()
    print(f"{args.messages} messages x {args.recipients} rcpt, {args.concurrency} connections: "
          f"{args.messages / elapsed:.0f} msgs/s, client CPU {1000 * cpu / args.messages:.3f} "
          f"ms/msg, {counter.value} transactions at the sink, pid {os.getpid()}")


if __name__ == "__main__":
    main()
