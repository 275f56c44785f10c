"""The log-in rate limit's token bucket: failures take tokens, time gives them back, successes cost nothing."""

from __future__ import annotations

import pytest

from ccswitch.auth.limits import Bucket, Rule, Throttle, is_full, level, penalise, retry_after

RULE = Rule(capacity=3, refill_per_s=0.5)


def test_a_fresh_key_may_try_and_is_full() -> None:
    assert retry_after(None, 100.0, RULE) == 0.0
    assert level(None, 100.0, RULE) == 3


def test_capacity_failures_then_refused_until_a_token_refills() -> None:
    bucket = None
    for _ in range(3):
        assert retry_after(bucket, 100.0, RULE) == 0.0
        bucket = penalise(bucket, 100.0, RULE)
    assert retry_after(bucket, 100.0, RULE) == pytest.approx(2.0)  # one token at 0.5/s
    assert retry_after(bucket, 101.0, RULE) == pytest.approx(1.0)
    assert retry_after(bucket, 102.0, RULE) == 0.0


def test_refusals_keep_the_bucket_empty_and_refill_stops_at_capacity() -> None:
    empty = Bucket(0.0, 100.0)
    assert penalise(empty, 100.0, RULE) == Bucket(0.0, 100.0)
    assert level(empty, 1000.0, RULE) == 3
    assert is_full(empty, 106.0, RULE) and not is_full(empty, 105.0, RULE)


def test_the_shipped_rules_let_a_person_mistype_but_slow_a_guesser() -> None:
    from ccswitch.auth.limits import PER_ADDRESS, PER_USER

    bucket = None
    for _ in range(2):
        bucket = penalise(bucket, 0.0, PER_USER)
    assert retry_after(bucket, 0.0, PER_USER) == 0.0
    for _ in range(3):
        bucket = penalise(bucket, 0.0, PER_USER)
    assert retry_after(bucket, 0.0, PER_USER) == pytest.approx(60.0)
    assert PER_ADDRESS.capacity > PER_USER.capacity


def test_a_throttle_takes_a_token_per_attempt_per_key_and_forgets_full_buckets() -> None:
    throttle = Throttle(RULE)
    assert [throttle.take("10.0.0.1", 100.0) for _ in range(4)] == [0.0, 0.0, 0.0, pytest.approx(2.0)]
    assert throttle.take("10.0.0.2", 100.0) == 0.0  # another address has its own bucket
    assert throttle.take("10.0.0.1", 102.0) == 0.0  # a token refilled
    throttle.take("10.0.0.3", 200.0)
    assert set(throttle._buckets) == {"10.0.0.3"}  # the others refilled to full: forgotten
