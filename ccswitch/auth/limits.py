"""Rate limits: token buckets per user and per client address. For log-ins only a failed attempt takes a token
(``Gate`` keeps those buckets); for what anyone may start without logging in (a web chat, a single sign-on) every
start takes one (``Throttle``).

Pure: the caller keeps the buckets (or a ``Throttle``) and gives the time. A bucket holds at most ``capacity``
tokens and gains ``refill_per_s``; an attempt is let through while the bucket has a whole token, and a failure
takes one. So a person who mistypes twice is not slowed down, a guesser gets ``capacity`` tries and then one per
refill interval.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    capacity: float
    refill_per_s: float


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: float
    at: float  # when ``tokens`` was counted


PER_USER = Rule(capacity=5, refill_per_s=1 / 60)  # five tries, then one a minute
PER_ADDRESS = Rule(capacity=20, refill_per_s=1 / 15)  # one address trying many users: twenty, then one per 15 s
SSO_STARTS_PER_ADDRESS = Rule(capacity=30, refill_per_s=1 / 10)  # an office behind one NAT signing on at 9:00


def level(bucket: Bucket | None, now: float, rule: Rule) -> float:
    """The tokens in ``bucket`` at ``now`` (a bucket never seen is full)."""
    if bucket is None:
        return rule.capacity
    return min(rule.capacity, bucket.tokens + max(0.0, now - bucket.at) * rule.refill_per_s)


def retry_after(bucket: Bucket | None, now: float, rule: Rule) -> float:
    """0 when an attempt may go ahead now, else the seconds until it may."""
    missing = 1.0 - level(bucket, now, rule)
    return 0.0 if missing <= 0 else missing / rule.refill_per_s


def penalise(bucket: Bucket | None, now: float, rule: Rule) -> Bucket:
    """The bucket after a failed attempt at ``now``."""
    return Bucket(max(0.0, level(bucket, now, rule) - 1.0), now)


def is_full(bucket: Bucket, now: float, rule: Rule) -> bool:
    """A full bucket is the same as none: it can be forgotten."""
    return level(bucket, now, rule) >= rule.capacity


class Throttle:
    """A bucket per key (a client address) where every attempt takes a token; full buckets are forgotten, so only
    the keys seen lately are kept."""

    def __init__(self, rule: Rule) -> None:
        self._rule = rule
        self._buckets: dict[str, Bucket] = {}

    def take(self, key: str, now: float) -> float:
        """0 when the attempt may go ahead (a token is taken), else the seconds until one may."""
        wait = retry_after(self._buckets.get(key), now, self._rule)
        if wait:
            return wait
        self._buckets = {seen: bucket for seen, bucket in self._buckets.items()
                         if not is_full(bucket, now, self._rule)}
        self._buckets[key] = penalise(self._buckets.get(key), now, self._rule)
        return 0.0
