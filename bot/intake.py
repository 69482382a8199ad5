"""Backpressure for polling: fetch more updates from Telegram only when there is room.

PTB turns every update it takes from the update queue into a task at once, so the queue
itself never fills up. Counting the updates in hand (queued or being handled) and letting
the poller wait keeps memory flat under a flood, and leaves the updates not yet fetched
with Telegram instead of in a process that may be stopped.
"""

from __future__ import annotations

import asyncio

# Room for a few of Telegram's batches (up to 100 updates each) besides those in handling.
UPDATES_IN_HAND = 256


class InHandQueue(asyncio.Queue[object]):
    """An update queue whose ``put`` waits while ``limit`` updates are in hand.

    An update is in hand from ``put`` until the ``task_done`` that PTB calls once the
    update has been handled.
    """

    def __init__(self, limit: int = UPDATES_IN_HAND) -> None:
        super().__init__()
        self._limit = limit
        self._in_hand = 0
        self._room = asyncio.Event()
        self._room.set()

    @property
    def in_hand(self) -> int:
        return self._in_hand

    async def put(self, item: object) -> None:
        while self._in_hand >= self._limit:
            self._room.clear()
            await self._room.wait()
        self.put_nowait(item)

    def put_nowait(self, item: object) -> None:
        super().put_nowait(item)
        self._in_hand += 1

    def task_done(self) -> None:
        super().task_done()
        self._in_hand -= 1
        if self._in_hand < self._limit:
            self._room.set()
