"""What a big queue costs the journal store: start-up, queue runs, delivery bookkeeping.

Usage: python3 bench/queue.py [N] [SESSIONS] [DIR]
With N queued 1 KB messages (default 100,000), prints:
  recover      rebuilding the index at start (reads and checks every record once), and the
               memory the index takes
  queue run    list() + claim() + load() + read_data() of one message when nothing changed
               and after another process appended a message: must not grow with N
  deliver      SESSIONS coroutines each marking a recipient sent (update_async) and finishing
               the message (remove_async): changes per second and per fdatasync
  compact      deleting the segments once every message is done
DIR (default: a fresh folder under the current directory, so the disk under test is the
project's) is removed afterwards.  The machine is shared: compare rows of one run.
"""

from __future__ import annotations

import sys

# Run as a script, this file's folder comes first on sys.path and its name would shadow the
# standard library's `queue` (which concurrent.futures imports): drop that entry.
if sys.path and sys.path[0].rstrip("/").endswith("bench"):
    del sys.path[0]

import asyncio  # noqa: E402
import dataclasses  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from monomail.queue.qfcodec import ControlFile, Envelope, Recipient, RecipientState  # noqa: E402
from monomail.queue.segments import segment_names  # noqa: E402
from monomail.queue.store import QueueStore  # noqa: E402

ENVELOPE = Envelope("joe@example.com", (Recipient("ann@example.org"), Recipient("bob@example.org")),
                    macros=(("{client_addr}", "127.0.0.2"),))
DATA = b"Subject: bench\r\n\r\n" + b"x" * 1000 + b"\r\n"


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def fill(directory: Path, count: int) -> None:
    store = QueueStore(directory, min_free_blocks=0)
    store.recover()
    for start in range(0, count, 1000):          # 1,000 messages per flush
        store.writer.commit([store._message(ENVELOPE, DATA)[2]
                             for _ in range(min(1000, count - start))])
    store.close()


def sent_first(control: ControlFile) -> ControlFile:
    rcpts = list(control.envelope.recipients)
    rcpts[0] = dataclasses.replace(rcpts[0], state=RecipientState.SENT, status="2.0.0")
    return dataclasses.replace(control, envelope=dataclasses.replace(control.envelope,
                                                                     recipients=tuple(rcpts)))


def queue_run(store: QueueStore, qid: str) -> float:
    start = time.perf_counter()
    store.list()
    assert store.claim(qid)
    store.load(qid)
    store.read_data(qid)
    store.release(qid)
    return time.perf_counter() - start


async def deliver(store: QueueStore, qids: list[str], sessions: int) -> None:
    gate = asyncio.Semaphore(sessions)

    async def one(qid: str) -> None:
        async with gate:
            await store.update_async(qid, sent_first)
            await store.remove_async(qid)

    await asyncio.gather(*(one(qid) for qid in qids))


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 100_000
    sessions = int(argv[1]) if len(argv) > 1 else 100
    base = Path(tempfile.mkdtemp(prefix="queue-bench-", dir=argv[2] if len(argv) > 2 else "."))
    try:
        directory = base / "mqueue"
        fill(directory, count)
        before = rss_kib()
        store = QueueStore(directory, min_free_blocks=0)
        start = time.perf_counter()
        qids = store.recover().messages
        print(f"recover     {count} messages in {time.perf_counter() - start:.2f} s, "
              f"index {(rss_kib() - before) / 1024:.0f} MiB")
        unchanged = queue_run(store, qids[-1])
        other = QueueStore(directory, min_free_blocks=0)
        newcomer = other.submit(ENVELOPE, DATA)
        appended = queue_run(store, newcomer)
        print(f"queue run   {unchanged * 1e3:.1f} ms unchanged, {appended * 1e3:.1f} ms after "
              f"another process appended (list() of {count + 1})")
        flushes = store.writer.flushes
        start = time.perf_counter()
        asyncio.run(deliver(store, qids + [newcomer], sessions))
        elapsed = time.perf_counter() - start
        changes = 2 * (count + 1)
        print(f"deliver     {changes / elapsed:.0f} changes/s with {sessions} sessions, "
              f"{changes / (store.writer.flushes - flushes):.1f} per fdatasync")
        other.close()
        store.close()
        start = time.perf_counter()
        store.compact()
        print(f"compact     {len(segment_names(directory))} segments left, "
              f"{time.perf_counter() - start:.2f} s")
    finally:
        shutil.rmtree(base)


if __name__ == "__main__":
    main(sys.argv[1:])
