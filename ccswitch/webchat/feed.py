"""``Feed``: what one conversation or one agent's stream is told, in order, waking every waiting stream at once.

Theory of operation
-------------------
A feed numbers what is published (its cursor: 1, 2, 3 …) and keeps the last ``keep`` items. A stream remembers the
cursor it has read up to and asks for what came after it; when there is nothing yet it waits on the feed's current
``gevent.event.Event``, which ``publish`` sets (then replaces with a fresh one), so every waiting stream wakes as
soon as an item lands: no polling on the hot path. Items are not durable: a stream that falls more than ``keep``
items behind, or a controller restart, loses the oldest ones; messages themselves are read from the conversation
log, so a customer's stream never misses one (``ChatService.stream``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import gevent.event


@dataclass(frozen=True, slots=True)
class Item:
    cursor: int
    event: str  # the Server-Sent Event's name: "message", "typing", "status", "offer" …
    data: dict[str, Any]


class Feed:
    def __init__(self, keep: int = 500) -> None:
        self._items: deque[Item] = deque(maxlen=keep)
        self._next = 1
        self._landed = gevent.event.Event()

    @property
    def cursor(self) -> int:
        """The cursor of the last item published (0: none yet)."""
        return self._next - 1

    def publish(self, event: str, data: dict[str, Any]) -> None:
        self._items.append(Item(self._next, event, data))
        self._next += 1
        landed, self._landed = self._landed, gevent.event.Event()
        landed.set()

    def after(self, cursor: int) -> list[Item]:
        """The items kept after ``cursor``; a cursor from before a restart (beyond the last) reads from the start."""
        if cursor > self.cursor:
            cursor = 0
        return [item for item in self._items if item.cursor > cursor]

    def wait(self, cursor: int, timeout: float) -> list[Item]:
        """The items after ``cursor``, waiting at most ``timeout`` seconds for one to land (then maybe none)."""
        found = self.after(cursor)
        if not found:
            self._landed.wait(timeout)
            found = self.after(cursor)
        return found
