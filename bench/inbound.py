"""Inbound SMTP throughput: Postfix's smtp-source against several servers, in one run.

    PYTHONPATH=. python3 bench/inbound.py [--messages 20000] [--sessions 20] [--size 1024]

Servers, each on its own loopback port, each in its own process (so its CPU time can
be read from /proc):
  monomail-sink   monomail's SMTP server with the cf's policy, accept hook = a new queue id
  monomail-queue  the same with the real queue store (qf+df fsynced, group commit)
  aiosmtpd-sink   aiosmtpd 1.4.6 on uvloop with a handler that only says 250
  smtp-sink       Postfix's C sink (the load generator's own reference)

smtp-source opens a new connection per message (its default), 20 at a time, 1 KB each,
one recipient.  Prints messages/s, server CPU ms per message and peak RSS; --record
appends the table to bench/RESULTS.md.  Needs `smtp-source` and `smtp-sink` (Debian's
postfix package; the MTA itself is never started).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/queue.py would shadow the standard library's queue module that asyncio needs
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

ROOT = Path(__file__).resolve().parents[1]
SENDER = "bench@mx.example.org"
RECIPIENT = "root@mail.example.com"
TICK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- servers

def build_runtime(settings: Path):  # type: ignore[no-untyped-def]
    from monomail.config import mc
    from monomail.config.cfparser import parse_cf
    from monomail.smtpd.settings import Runtime
    text, _ = mc.build(ROOT / "tests" / "smtpd" / "mc" / "live.mc",
                       [f"MAIL_SETTINGS_DIR={settings}/"])
    cf = settings.parent / "bench.cf"
    cf.write_text(text)
    return Runtime.from_config(parse_cf(str(cf), op_mode="d"))


def serve_monomail(port: int, settings: Path, queue: Path | None) -> None:
    import uvloop

    from monomail.queue.ids import queue_id
    from monomail.queue.store import QueueStore
    from monomail.smtpd.hooks import Hooks
    from monomail.smtpd.server import Listener, SmtpServer

    async def sink(info, envelope, data):  # type: ignore[no-untyped-def]
        return queue_id()

    async def main() -> None:
        runtime = build_runtime(settings)
        if queue is None:
            hooks = Hooks(sink)
        else:
            store = QueueStore(queue, min_free_blocks=0)
            store.recover()
            hooks = Hooks.for_store(store)
        server = SmtpServer(runtime, hooks)
        await server.listen([Listener(addr="127.0.0.1", port=port)])
        print("ready", flush=True)
        await asyncio.Event().wait()
    uvloop.run(main())


def serve_aiosmtpd(port: int) -> None:
    import uvloop
    from aiosmtpd.smtp import SMTP

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            return "250 OK"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await loop.create_server(lambda: SMTP(Sink(), hostname="mail.example.com"),
                                 "127.0.0.1", port)
        print("ready", flush=True)
        await asyncio.Event().wait()
    uvloop.run(main())


# --------------------------------------------------------------------------- measuring

def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_server(argv: list[str], ready_line: bool) -> subprocess.Popen:  # type: ignore[type-arg]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            text=True)
    if ready_line:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{argv} did not start")
    else:
        time.sleep(0.5)       # smtp-sink has no readiness signal
    return proc


def load(port: int, messages: int, sessions: int, size: int) -> float:
    argv = ["smtp-source", "-s", str(sessions), "-m", str(messages), "-l", str(size),
            "-f", SENDER, "-t", RECIPIENT, "-M", "client.example.org", f"127.0.0.1:{port}"]
    start = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.monotonic() - start


def measure(name: str, argv: list[str], port: int, args: argparse.Namespace,
            ready_line: bool = True) -> tuple[str, float, float, float]:
    proc = start_server(argv, ready_line)
    try:
        load(port, 20, 2, args.size)                       # warm up
        before = cpu_seconds(proc.pid)
        elapsed = load(port, args.messages, args.sessions, args.size)
        cpu = cpu_seconds(proc.pid) - before
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait()
    return name, args.messages / elapsed, cpu * 1000 / args.messages, rss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--only", action="append", help="run only these servers")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        kind, port = args.serve[0], int(args.serve[1])
        if kind == "aiosmtpd":
            serve_aiosmtpd(port)
        else:
            queue = Path(args.serve[3]) if len(args.serve) > 3 else None
            serve_monomail(port, Path(args.serve[2]), queue)
        return
    for tool in ("smtp-source", "smtp-sink"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install postfix (it is not started)")
    work = Path(tempfile.mkdtemp(prefix="inbound-"))
    settings = work / "etc"
    shutil.copytree(ROOT / "tests" / "compat" / "etc", settings,
                    ignore=shutil.ignore_patterns("maps", "README.md"))
    (work / "queue").mkdir()
    me = [sys.executable, str(Path(__file__).resolve()), "--serve"]
    servers = [
        ("monomail-sink", me + ["monomail", "2601", str(settings)], 2601, True),
        ("monomail-queue", me + ["monomail", "2602", str(settings), str(work / "queue")],
         2602, True),
        ("aiosmtpd-sink", me + ["aiosmtpd", "2603"], 2603, True),
        ("smtp-sink", ["smtp-sink", "-u", "nobody", "127.0.0.1:2604", "256"], 2604, False),
    ]
    rows = []
    for name, argv, port, ready in servers:
        if args.only and name not in args.only:
            continue
        rows.append(measure(name, argv, port, args, ready))
        print(f"{rows[-1][0]:16} {rows[-1][1]:8.0f} msgs/s {rows[-1][2]:6.3f} CPU-ms/msg "
              f"{rows[-1][3]:6.1f} MB peak RSS", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    if args.record:
        record(rows, args)


def record(rows: list[tuple[str, float, float, float]], args: argparse.Namespace) -> None:
    day = time.strftime("%Y-%m-%d")
    lines = [f"| {day} | {name} | {rate:,.0f} | {cpu:.3f} | {rss:.0f} |"
             for name, rate, cpu, rss in rows]
    with open(ROOT / "bench" / "RESULTS.md", "a") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
