"""Queue submission throughput on this disk, fsync on: with and without group commit.

Usage: python3 bench/queue.py [N] [SESSIONS] [DIR]
Submits N messages of 1 KB (two recipients) three ways and prints submissions/s:
  serial       one submit() after another: 2 file fsyncs + 1 directory fsync each
  concurrent   SESSIONS submit() calls at a time in threads, no group commit
  group        SESSIONS concurrent submit_async() calls sharing directory fsyncs
DIR (default: a fresh folder in the current directory, so the disk under test is the
project's) is removed afterwards.  The machine is shared: compare rows of one run.
"""

from __future__ import annotations

import sys

# Run as a script, this file's folder comes first on sys.path and its name would shadow the
# standard library's `queue` (which concurrent.futures imports): drop that entry.
if sys.path and sys.path[0].rstrip("/").endswith("bench"):
    del sys.path[0]

import asyncio  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from monomail.queue.qfcodec import Envelope, Recipient  # noqa: E402
from monomail.queue.store import GroupCommitter, QueueStore  # noqa: E402

ENVELOPE = Envelope("joe@example.com", (Recipient("ann@example.org"), Recipient("bob@example.org")),
                    macros=(("{client_addr}", "127.0.0.2"),))
DATA = b"Subject: bench\r\n\r\n" + b"x" * 1000 + b"\r\n"


def serial(store: QueueStore, count: int) -> None:
    for _ in range(count):
        store.submit(ENVELOPE, DATA)


def concurrent(store: QueueStore, count: int, sessions: int) -> None:
    with ThreadPoolExecutor(sessions) as pool:
        list(pool.map(lambda _: store.submit(ENVELOPE, DATA), range(count)))


def group(store: QueueStore, count: int, sessions: int) -> int:
    """Returns the number of batches (directory fsyncs)."""
    async def run() -> int:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(sessions))
        committer = GroupCommitter(store)
        gate = asyncio.Semaphore(sessions)

        async def one() -> None:
            async with gate:
                await committer.submit(ENVELOPE, DATA)

        await asyncio.gather(*(one() for _ in range(count)))
        return committer.batches
    return asyncio.run(run())


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 2000
    sessions = int(argv[1]) if len(argv) > 1 else 20
    base = tempfile.mkdtemp(prefix="queue-bench-", dir=argv[2] if len(argv) > 2 else ".")
    try:
        runs = [("serial", lambda s: serial(s, count)),
                ("concurrent", lambda s: concurrent(s, count, sessions)),
                ("group", lambda s: group(s, count, sessions))]
        for name, run in runs:
            store = QueueStore(f"{base}/{name}", min_free_blocks=0)
            store.directory.mkdir()
            start = time.perf_counter()
            batches = run(store)
            elapsed = time.perf_counter() - start
            extra = f"  ({count / batches:.1f} messages per directory fsync)" if batches else ""
            print(f"{name:11s} {count / elapsed:8.0f} submissions/s{extra}")
    finally:
        shutil.rmtree(base)


if __name__ == "__main__":
    main(sys.argv[1:])
