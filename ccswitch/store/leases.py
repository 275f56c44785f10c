"""Which controller runs which FreeSWITCH node, when several controllers attach to the same nodes (one Redis).

Keys (under the store's ``key_prefix``):

* ``controller:<id>`` — a controller's lease: present while it lives. It renews it every ``ttl_s / 3`` with a
  time to live of ``ttl_s``, so it lapses ``ttl_s`` after the controller died (kill -9, a host gone);
* ``node-owners`` — hash node → the id of the controller that runs it, and so owns its calls (every call is on
  one node: its queue entry, its agents' reservations and its legs are that controller's to act on). A text
  contact (chat) has no node: its queue entry names the controller that routes it (``QueueEntry.owner``), and a
  controller taking over nodes takes the text contacts of every controller whose lease has lapsed (``alive``).

``hold(nodes)`` renews the caller's lease and, in the same script (atomic), takes every node of ``nodes`` that no
controller owns or whose owner's lease has lapsed; it returns the nodes the caller owns now. All the nodes of a
dead controller are taken in one step, so the survivor judges the calls they left together.

A controller that could not renew its lease for ``ttl_s`` may have lost its nodes without knowing: it must stop
acting on them (``ccswitch.controller`` stops), and so must one that finds a node it held owned by another.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis

from ccswitch.errors import StoreError
from ccswitch.store.redis_client import connect

# KEYS: node-owners hash. ARGV: my id, ttl ms, controller-lease key prefix, nodes... Renews my lease, takes the free
# nodes and those of controllers whose lease lapsed; returns the nodes I own.
_HOLD = """
local me, prefix = ARGV[1], ARGV[3]
redis.call('SET', prefix .. me, '1', 'PX', ARGV[2])
local owned = {}
for i = 4, #ARGV do
    local owner = redis.call('HGET', KEYS[1], ARGV[i])
    if owner == me or not owner or redis.call('EXISTS', prefix .. owner) == 0 then
        redis.call('HSET', KEYS[1], ARGV[i], me)
        owned[#owned + 1] = ARGV[i]
    end
end
return owned
"""


class NodeLeases:
    def __init__(self, url: str, key_prefix: str, me: str, ttl_s: float) -> None:
        if ttl_s <= 0:
            raise ValueError(f"a lease's time to live must be positive, not {ttl_s}")
        self.me = me
        self.ttl_s = ttl_s
        self.renew_every_s = ttl_s / 3
        # Answers within a renewal period, or the lease is judged unrenewed (never longer than it lives).
        self._client, self._where = connect(url, timeout_s=self.renew_every_s)
        self._owners_key = f"{key_prefix}node-owners"
        self._lease_prefix = f"{key_prefix}controller:"
        self._hold = self._client.register_script(_HOLD)

    def hold(self, nodes: Iterable[str]) -> set[str]:
        """Renew this controller's lease; take the nodes of ``nodes`` nobody live owns; return those it owns."""
        try:
            owned = self._hold(keys=[self._owners_key],
                               args=[self.me, int(self.ttl_s * 1000), self._lease_prefix, *nodes])
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: renew the lease of controller {self.me} failed: {exc}") from exc
        return {str(node) for node in owned}

    def alive(self, controller: str) -> bool:
        """Whether the controller of that id holds a live lease."""
        try:
            return bool(self._client.exists(self._lease_prefix + controller))
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: is controller {controller} alive: {exc}") from exc

    def owners(self) -> dict[str, str]:
        """Node → the controller recorded as running it (alive or not)."""
        try:
            return {str(node): str(owner) for node, owner in self._client.hgetall(self._owners_key).items()}
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: read the node owners failed: {exc}") from exc

    def release(self) -> None:
        """End this controller's lease at once (a clean stop): another takes its nodes at its next renewal."""
        try:
            self._client.delete(self._lease_prefix + self.me)
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: release the lease of controller {self.me} failed: {exc}") from exc

    def close(self) -> None:
        self._client.close()
