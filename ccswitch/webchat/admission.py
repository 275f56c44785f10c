"""How many conversations one client address may start (a token bucket per address, ``ccswitch.auth.limits``):
ten at once, then one a minute, so a script cannot open thousands, while a shop's visitors behind one office NAT
are not turned away. Offline messages count the same."""

from __future__ import annotations

from ccswitch.auth import limits
from ccswitch.webchat.errors import TooManyConversations

PER_ADDRESS = limits.Rule(capacity=10, refill_per_s=1 / 60)


class Admission:
    def __init__(self, rule: limits.Rule = PER_ADDRESS) -> None:
        self._rule = rule
        self._buckets: dict[str, limits.Bucket] = {}

    def admit(self, address: str, now: float) -> None:
        """Take one of the address's tokens; ``TooManyConversations`` when none is left. Full buckets are
        forgotten, so the addresses kept are only those that started a conversation lately."""
        wait = limits.retry_after(self._buckets.get(address), now, self._rule)
        if wait:
            raise TooManyConversations(wait)
        self._buckets = {key: bucket for key, bucket in self._buckets.items()
                         if not limits.is_full(bucket, now, self._rule)}
        self._buckets[address] = limits.penalise(self._buckets.get(address), now, self._rule)
