"""In-process store, the embedded default.

Under gevent one thread runs everything and no method here yields, so each method (``update_agent``'s
compare-and-set included) is atomic without locks.
"""

from __future__ import annotations

from dataclasses import replace

from ccswitch.acd import Agent, QueueEntry, in_order
from ccswitch.store.base import check_same_agent


class MemoryStore:
    def __init__(self) -> None:
        self._agents: dict[str, Agent] = {}
        self._entries: dict[str, dict[str, QueueEntry]] = {}  # queue → call → entry
        self._seq = 0

    def get_agent(self, agent_id: str) -> Agent | None:
        return self._agents.get(agent_id)

    def agents(self) -> list[Agent]:
        return list(self._agents.values())

    def put_agent(self, agent: Agent) -> Agent:
        return self._write(agent, self._version_of(agent.id) + 1)

    def update_agent(self, old: Agent, new: Agent) -> Agent | None:
        check_same_agent(old, new)
        if self._version_of(old.id) != old.version:
            return None
        return self._write(new, old.version + 1)

    def add_entry(self, entry: QueueEntry) -> None:
        self._entries.setdefault(entry.queue, {})[entry.call] = entry

    def remove_entry(self, queue: str, call: str) -> bool:
        return self._entries.get(queue, {}).pop(call, None) is not None

    def entries(self, queue: str) -> list[QueueEntry]:
        return in_order(self._entries.get(queue, {}).values())

    def all_entries(self) -> dict[str, list[QueueEntry]]:
        return {queue: in_order(calls.values()) for queue, calls in self._entries.items() if calls}

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def ping(self) -> None:
        pass

    def close(self) -> None:
        pass

    def _version_of(self, agent_id: str) -> int:
        stored = self._agents.get(agent_id)
        return 0 if stored is None else stored.version

    def _write(self, agent: Agent, version: int) -> Agent:
        stored = replace(agent, version=version)
        self._agents[agent.id] = stored
        return stored
