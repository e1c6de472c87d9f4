"""Queue submission throughput on this disk, fsync on: the journal against one file per message.

Usage: python3 bench/submit.py [N] [DIR]
Submits 1 KB messages (two recipients) and prints messages per second for:
  sessions S   the SMTP server's way: S coroutines in one process awaiting submit_async,
               whose acknowledgements share one fdatasync per batch (S = 1, 20, 100)
  processes 8  the command line's way, minus the interpreter start: 8 processes, each
               opening a store, submitting one message and closing it, over and over
and, for comparison in the same run, the previous design (one data file and one control
file per message, each fsynced, renamed, then the directory fsynced) with 1, 20 and 100
threads and with 8 processes.  DIR (default: a fresh folder under the current directory, so
the disk under test is the project's) is removed afterwards.  The machine is shared:
compare the rows of one run.
"""

from __future__ import annotations

import sys

# Run as a script, this file's folder comes first on sys.path; drop it (see bench/queue.py).
if sys.path and sys.path[0].rstrip("/").endswith("bench"):
    del sys.path[0]

import asyncio  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

from monomail.queue.ids import queue_id  # noqa: E402
from monomail.queue.qfcodec import ControlFile, Envelope, Recipient, encode  # noqa: E402
from monomail.queue.store import GroupCommitter, QueueStore  # noqa: E402

ENVELOPE = Envelope("joe@example.com", (Recipient("ann@example.org"), Recipient("bob@example.org")),
                    macros=(("{client_addr}", "127.0.0.2"),))
DATA = b"Subject: bench\r\n\r\n" + b"x" * 1000 + b"\r\n"


# ------------------------------------------------------------------ the journal

def sessions(directory: Path, count: int, width: int) -> tuple[float, float, int]:
    """(seconds, CPU seconds, flushes) for `count` messages from `width` coroutines."""
    store = QueueStore(directory, min_free_blocks=100)
    store.recover()

    async def run() -> int:
        committer = GroupCommitter(store)
        gate = asyncio.Semaphore(width)

        async def one() -> None:
            async with gate:
                await committer.submit_async(ENVELOPE, DATA)

        await asyncio.gather(*(one() for _ in range(count)))
        return committer.batches

    cpu, start = time.process_time(), time.perf_counter()
    flushes = asyncio.run(run())
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    store.close()
    return elapsed, cpu, flushes


def one_per_store(directory: str, count: int) -> None:
    """A command-line process's work, `count` times: open, submit one message, close."""
    for _ in range(count):
        store = QueueStore(directory, min_free_blocks=100)
        store.submit(ENVELOPE, DATA)
        store.close()


# ------------------------------------------------------------------ the previous design

def fsync_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def file_per_message(directory: str, count: int) -> None:
    """What the store did before the journal: df and qf written and fsynced, renamed into
    place, then the directory fsynced, for each message."""
    for _ in range(count):
        qid = queue_id()
        control = encode(ControlFile(qid, ENVELOPE, 0, 0, size=len(DATA)))
        base = Path(directory)
        fsync_file(base / f"td{qid}", DATA)
        fsync_file(base / f"tf{qid}", control)
        os.rename(base / f"td{qid}", base / f"df{qid}")
        os.rename(base / f"tf{qid}", base / f"qf{qid}")
        dfd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
        os.fsync(dfd)
        os.close(dfd)


def threads(directory: Path, count: int, width: int) -> float:
    directory.mkdir()
    start = time.perf_counter()
    with ThreadPoolExecutor(width) as pool:
        list(pool.map(lambda _: file_per_message(str(directory), 1), range(count)))
    return time.perf_counter() - start


def processes(target, directory: Path, count: int, width: int = 8) -> float:  # type: ignore[no-untyped-def]
    directory.mkdir(exist_ok=True)
    workers = [multiprocessing.Process(target=target, args=(str(directory), count // width))
               for _ in range(width)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 4000
    base = Path(tempfile.mkdtemp(prefix="submit-bench-", dir=argv[1] if len(argv) > 1 else "."))
    try:
        for width in (1, 20, 100):
            n = count // 4 if width == 1 else count
            elapsed, cpu, flushes = sessions(base / f"journal-{width}", n, width)
            print(f"journal, {width:3d} sessions    {n / elapsed:7.0f} msgs/s  "
                  f"{cpu / n * 1e6:5.0f} CPU-us/msg  {n / flushes:5.1f} msgs/fdatasync")
        n = count // 4
        print(f"journal, 8 processes     {n / processes(one_per_store, base / 'journal-p', n):7.0f} msgs/s")
        for width in (1, 20, 100):
            n = count // 8 if width == 1 else count // 2
            print(f"file per message, {width:3d} threads "
                  f"{n / threads(base / f'files-{width}', n, width):6.0f} msgs/s")
        print(f"file per message, 8 processes "
              f"{n / processes(file_per_message, base / 'files-p', n):5.0f} msgs/s")
    finally:
        shutil.rmtree(base)


if __name__ == "__main__":
    main(sys.argv[1:])
