"""The shared-state contract: agents (with optimistic versions), queue entries, and the arrival counter.

Two implementations keep it: ``MemoryStore`` (one process) and ``RedisStore`` (several controllers sharing
one Redis). Agent ``version`` is the store's: a record never written has version 0, every write adds one, and
``update_agent`` is a compare-and-set on it: that is how two controllers never reserve one agent twice.
Failures of the backing service raise ``StoreError``.
"""

from __future__ import annotations

from typing import Protocol

from ccswitch.acd import Agent, QueueEntry


class Store(Protocol):
    def get_agent(self, agent_id: str) -> Agent | None: ...

    def agents(self) -> list[Agent]: ...

    def put_agent(self, agent: Agent) -> Agent:
        """Write unconditionally (first login, config load); returns the record with its new version."""
        ...

    def update_agent(self, old: Agent, new: Agent) -> Agent | None:
        """Store ``new`` only if the stored version still equals ``old.version`` (missing agent: 0).

        Returns ``new`` with version ``old.version + 1``, or ``None`` when someone else wrote first: re-read,
        re-decide, retry.
        """
        ...

    def add_entry(self, entry: QueueEntry) -> None:
        """Add the entry, or replace the one with the same queue and call (e.g. a call handed back)."""
        ...

    def remove_entry(self, queue: str, call: str) -> bool:
        """Remove a call from a queue; ``False`` if it was not there."""
        ...

    def entries(self, queue: str) -> list[QueueEntry]:
        """One queue's entries in queue order (``ccswitch.acd.order_key``)."""
        ...

    def all_entries(self) -> dict[str, list[QueueEntry]]:
        """Every non-empty queue's entries, each in queue order."""
        ...

    def next_seq(self) -> int:
        """The next arrival number: increasing across every controller sharing the store."""
        ...

    def ping(self) -> None:
        """Raise ``StoreError`` unless the store answers."""
        ...

    def close(self) -> None: ...


def check_same_agent(old: Agent, new: Agent) -> None:
    """``update_agent`` replaces one agent's record; mixing up two agents is the caller's bug."""
    if old.id != new.id:
        raise ValueError(f"update_agent: old is agent {old.id} but new is agent {new.id}")
