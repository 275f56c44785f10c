"""What a waiting caller hears: position, expected wait, the announcement's parts (pure)."""

from __future__ import annotations

import itertools

import pytest

from ccswitch.acd.queues import QueueEntry
from ccswitch.acd.waiting import (
    Announcements,
    announcement,
    can_call_back,
    expected_wait_s,
    position,
    whole_minutes,
)
from ccswitch.effects import Play, PlayFiles, StartMusic, StopMedia
from ccswitch.media.numbers import MAX_NUMBER, spoken


def entry(call: str, at: float, priority: int = 0, seq: int = 0) -> QueueEntry:
    return QueueEntry(call, "support", priority, at, seq)


def test_position_counts_the_calls_that_would_be_answered_first() -> None:
    first, second, vip = entry("a", 100.0, seq=1), entry("b", 110.0, seq=2), entry("v", 120.0, priority=10, seq=3)
    waiting = [first, second, vip]
    assert position(vip, waiting, None, 130.0) == 1  # strict priority: the VIP goes first
    assert position(first, waiting, None, 130.0) == 2
    assert position(second, waiting, None, 130.0) == 3


def test_with_aging_an_old_call_overtakes_a_newer_higher_priority_one() -> None:
    old, vip = entry("old", 0.0, seq=1), entry("vip", 500.0, priority=5, seq=2)
    # aging 60 s per point: at t=600 the old call has 10 points of age, the VIP 5 + 100/60
    assert position(old, [old, vip], 60, 600.0) == 1


@pytest.mark.parametrize(("place", "agents", "aht", "expected"), [
    (1, 4, 240.0, 60.0),  # one agent frees up every 60 s
    (3, 4, 240.0, 180.0),
    (5, 1, 120.0, 600.0),
    (2, 0, 120.0, None),  # nobody staffed: no estimate
])
def test_expected_wait_is_position_times_aht_over_agents(place: int, agents: int, aht: float,
                                                         expected: float | None) -> None:
    assert expected_wait_s(place, agents, aht) == expected


@pytest.mark.parametrize(("seconds", "minutes"), [(1.0, 1), (60.0, 1), (61.0, 2), (0.0, 1), (599.0, 10)])
def test_wait_is_said_in_whole_minutes_rounded_up(seconds: float, minutes: int) -> None:
    assert whole_minutes(seconds) == minutes


@pytest.mark.parametrize(("number", "ok"), [
    ("79161234567", True), ("+79161234567", True), ("1234", False), ("anonymous", False), ("", False),
    ("7916123456789012", False), ("7916 123", False), ("+", False),
])
def test_only_plain_phone_numbers_are_called_back(number: str, ok: bool) -> None:
    assert can_call_back(number) is ok


def test_announcement_breaks_the_music_says_position_and_wait_offers_callback_then_music_again() -> None:
    tags = (f"t{n}" for n in itertools.count())
    plan = Announcements(every_s=45, first_after_s=30, prompt="queue/please_hold", position=True, wait_time=True)
    effects = announcement("c1", plan, 3, 250.0, "queue/callback_offer", "local_stream://moh", "en",
                           lambda name: f"/s/{name}.wav", lambda: next(tags))
    assert effects == [
        StopMedia("c1"),
        Play("c1", "/s/queue/please_hold.wav", "t0"),
        Play("c1", "/s/queue/position.wav", "t1"),
        PlayFiles("c1", ("/s/numbers/en/digits/3.wav",), "t2"),
        Play("c1", "/s/queue/wait_time.wav", "t3"),
        PlayFiles("c1", ("/s/numbers/en/digits/5.wav", "/s/numbers/en/time/minutes.wav"), "t4"),
        Play("c1", "/s/queue/callback_offer.wav", "t5"),
        StartMusic("c1", "local_stream://moh"),
    ]


def test_no_estimate_means_no_wait_time_announced() -> None:
    plan = Announcements(every_s=45, first_after_s=30, wait_time=True)
    effects = announcement("c1", plan, 3, None, None, "moh", "en", str, lambda: "t")
    assert effects == [StopMedia("c1"), StartMusic("c1", "moh")]


def test_a_wait_beyond_what_can_be_spoken_is_said_as_the_largest_number() -> None:
    plan = Announcements(every_s=45, first_after_s=30, wait_time=True)
    effects = announcement("c1", plan, 1, 60.0 * 2_000_000, None, "moh", "en", str, lambda: "t")
    (said,) = [e for e in effects if isinstance(e, PlayFiles)]
    assert said.paths == (*spoken("en", MAX_NUMBER), "numbers/en/time/minutes")
