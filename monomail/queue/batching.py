"""Group commit for asyncio callers: the records of every coroutine waiting at the same
moment go to the writer as one batch, written and fdatasynced in a worker thread.

While one batch is being flushed, later callers accumulate; the next batch takes them all.
Each caller's `apply` runs (in the event loop) only after the flush that covers its records
has returned, and its result is what the caller gets, so an SMTP server that answers 250 on
it never acknowledges a message that is not on disk.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from monomail.queue.segments import Placed, SegmentWriter

Apply = Callable[[list[Placed]], Any]


class AsyncBatcher:
    def __init__(self, writer: SegmentWriter) -> None:
        self.writer = writer
        self._waiting: list[tuple[list[bytes], Apply, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def commit(self, records: list[bytes], apply: Apply) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.append((records, apply, future))
        if self._flusher is None or self._flusher.done() or self._flusher.get_loop() is not loop:
            self._flusher = loop.create_task(self._flush_all())
        return await future

    async def _flush_all(self) -> None:
        """Flush batches until nobody is waiting."""
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch, self._waiting = self._waiting, []
            flat = [record for records, _, _ in batch for record in records]
            try:
                placed = await loop.run_in_executor(None, self.writer.commit, flat)
            except Exception as exc:   # every caller of the batch gets the error
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            start = 0
            for records, apply, future in batch:
                mine = placed[start:start + len(records)]
                start += len(records)
                try:
                    result = apply(mine)
                except Exception as exc:
                    if not future.done():
                        future.set_exception(exc)
                    continue
                if not future.done():
                    future.set_result(result)
