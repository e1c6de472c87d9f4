"""Queue runs end to end: messages queued, then delivered by run_queue_once.

    PYTHONPATH=. python3 bench/deliver.py [--messages 2000] [--concurrency 20] [--local]

examples/quickstart.cf with its esmtp mailer pointed at Postfix's smtp-sink (started here,
`apt-get install postfix` brings it; the MTA itself is never started) on 127.0.0.2, the
messages (1 KB, one recipient `user@[127.0.0.2]`, so no DNS) taken in by the cleanup stage
and queued with fsync on; --local delivers to `root` in an mbox under the work folder
instead.  Each attempt is the whole pipeline: claim, expansion, routing, rendering, SMTP
(cached connections) or the mbox writer, log lines, one queue update (here: the removal).
Prints messages/s and this process's CPU (threads included) per message.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # not bench/ (its queue.py shadows the stdlib)

ROOT = Path(__file__).resolve().parents[1]
TEXT = b"From: bench@example.com\r\nSubject: bench\r\n\r\n" + (b"x" * 78 + b"\r\n") * 12


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        return probe.getsockname()[1]


def config_text(folder: Path, port: int) -> str:
    return ((ROOT / "examples" / "quickstart.cf").read_text()
            .replace("A=maildir -d spool/mail $u", f"A=mbox -d {folder}/mail $u")
            .replace("A=TCP $h\n", f"A=TCP $h {port}\n")
            .replace("O AliasFile=./aliases", f"O AliasFile={folder}/aliases")
            .replace("O LogLevel=9", "O LogLevel=9\nO Monomail.LogFile=" + str(folder / "log")))


def stored_message(config, recipient: str) -> bytes:  # type: ignore[no-untyped-def]
    from monomail.aliases.expand import shared_rewriter
    from monomail.cleanup import Intake, RecipientList, encode, set_time_macros, setsender
    from monomail.rewrite.env import RewriteEnv
    env = RewriteEnv(config, lambda _line: None)
    env.define_macro("r", "ESMTP")
    set_time_macros(env)
    rw = shared_rewriter(config)
    sender = setsender(config, rw, env, "bench@example.com", real_user="root", smtp=True)
    outcome = Intake(config, rw, env, sender, smtp=True).collect(TEXT, RecipientList([recipient]))
    return encode(outcome.message)


async def run(folder: Path, messages: int, concurrency: int, local: bool, port: int) -> None:
    from monomail.config.cfparser import parse_cf
    from monomail.deliver.attempt import Deliverer, run_queue_once
    from monomail.queue.qfcodec import Envelope, Recipient
    from monomail.queue.store import QueueStore
    from monomail.aliases.newaliases import main as newaliases
    (folder / "mail").mkdir()
    (folder / "aliases").write_text("postmaster: root\nMAILER-DAEMON: postmaster\n")
    newaliases([str(folder / "aliases")])
    cf = folder / "bench.cf"
    cf.write_text(config_text(folder, port))
    config = parse_cf(str(cf))
    recipient = "root" if local else "user@[127.0.0.2]"
    data = stored_message(config, recipient)
    store = QueueStore(folder / "queue", min_free_blocks=0)
    store.recover()
    envelope = Envelope("bench@example.com", (Recipient(recipient),),
                        header_size=len(data) - len(TEXT))
    await asyncio.gather(*(store.submit_async(envelope, data) for _ in range(messages)))
    deliverer = Deliverer(config, store)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    tried = await run_queue_once(store, deliverer, max_active=concurrency)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    await deliverer.close()
    store.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    left = len(QueueStore(folder / "queue", min_free_blocks=0).list())
    kind = "local mbox" if local else "smtp-sink"
    print(f"{kind}: {tried} messages in {elapsed:.2f} s = {tried / elapsed:,.0f}/s, "
          f"{cpu * 1000 / tried:.2f} CPU-ms per message, {left} left in the queue")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--local", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-deliver-", dir=ROOT))
    port = free_port()
    sink = None if args.local else subprocess.Popen(
        ["smtp-sink", "-u", "nobody", f"127.0.0.2:{port}", "1000"])
    try:
        if sink is not None:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.2", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
        import uvloop
        uvloop.run(run(folder, args.messages, args.concurrency, args.local, port))
    finally:
        if sink is not None:
            sink.terminate()
            sink.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
