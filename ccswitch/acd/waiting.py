"""What a caller waiting in a queue hears and may do: pure decisions, no I/O.

Periodic announcements
----------------------
Every ``every_s`` seconds (the first after ``first_after_s``) the waiting music is interrupted for: the queue's
message, the caller's position ("you are caller number 3"), the expected wait ("about 4 minutes"), and the
callback offer ("press 1 …"), then the music starts again. Numbers are our own sound files
(``ccswitch.media.numbers``: "3", "4 minutes" in the configured language), framed by our prompts.

Expected wait
-------------
Computed from the observed service rate of the queue, not from Erlang C: ``position x AHT / agents``, where
``agents`` are the queue's agents logged in and not on break (each frees up once per average handle time, so
together they take a call every ``AHT / agents`` seconds) and AHT is the queue's average talk + wrap-up so far
(``default_aht_s`` until a call has been handled). Erlang C would need the offered load, which a queue that is
already backed up does not show; the service-rate estimate follows what the caller actually waits behind. It is
rounded up to whole minutes; with nobody staffed there is no estimate and none is announced.

Keys
----
A waiting caller may press the queue's ``exit`` key (leave the queue for a configured step) or its callback key
(hang up and keep their place: the callback is dialled when an agent is free). Other keys are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ccswitch.acd.queues import QueueEntry, urgency_key
from ccswitch.effects import Effect, Play, PlayFiles, StartMusic, StopMedia
from ccswitch.media.numbers import MAX_NUMBER, Noun, spoken
from ccswitch.routing.steps import Step

CALLBACK_NUMBER_DIGITS = (5, 15)  # a number we are willing to dial back: E.164 allows up to 15 digits


@dataclass(frozen=True, slots=True)
class Announcements:
    """A queue's periodic announcements (``announcements:`` in queues.yaml)."""

    every_s: int
    first_after_s: int
    prompt: str | None = None  # a message of the queue's own, first
    position: bool = False
    wait_time: bool = False


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    """``callback:`` in queues.yaml: the key, what the caller hears, and how the callback is dialled."""

    key: str
    gateway: str
    caller_id_number: str
    offer: str  # prompt: "to be called back ..., press 1"
    confirm: str  # prompt: "we will call you back"
    attempts: int = 3
    retry_s: int = 120
    ring_timeout_s: int = 40


@dataclass(frozen=True, slots=True)
class ExitKey:
    key: str
    step: Step


@dataclass(frozen=True, slots=True)
class AnnouncementPrompts:
    """The shipped prompts around spoken numbers (names under sounds/)."""

    position: str = "queue/position"  # "You are caller number"
    wait_time: str = "queue/wait_time"  # "Your expected wait is about"


def position(entry: QueueEntry, waiting: Iterable[QueueEntry], aging_s: int | None, now: float) -> int:
    """1 for the next call to be answered in the queue, counting calls that would go first (priority, aging)."""
    mine = urgency_key(entry, aging_s, now)
    return 1 + sum(1 for other in waiting if urgency_key(other, aging_s, now) < mine)


def expected_wait_s(place: int, agents_serving: int, aht_s: float) -> float | None:
    """Seconds until the caller at ``place`` is answered, at the observed service rate (None: nobody staffed)."""
    if agents_serving <= 0:
        return None
    return place * aht_s / agents_serving


def whole_minutes(seconds: float) -> int:
    """Rounded up, at least 1: a caller told "about 0 minutes" feels lied to."""
    return max(1, math.ceil(seconds / 60))


def can_call_back(number: str) -> bool:
    """Only a plain phone number is ever dialled back (caller ID is the caller's text, not ours)."""
    digits = number.removeprefix("+")
    low, high = CALLBACK_NUMBER_DIGITS
    return digits.isdigit() and low <= len(digits) <= high


def announcement(call: str, plan: Announcements, place: int, wait_s: float | None, offer_callback: str | None,
                 music: str, language: str, prompt_path: Callable[[str], str], tag: Callable[[], str]) -> list[Effect]:
    """Interrupt the music, say what the plan asks for, then music again (each part plays after the one before:
    the executor sends them event-locked)."""
    parts: list[Effect] = [StopMedia(call)]
    prompts = AnnouncementPrompts()

    def play(name: str) -> None:
        parts.append(Play(call, prompt_path(name), tag()))

    def say(number: int, noun: Noun | None) -> None:
        said = min(number, MAX_NUMBER)  # no queue gets near it; an announcement must never fail
        parts.append(PlayFiles(call, tuple(prompt_path(name) for name in spoken(language, said, noun)), tag()))

    if plan.prompt:
        play(plan.prompt)
    if plan.position:
        play(prompts.position)
        say(place, None)
    if plan.wait_time and wait_s is not None:
        play(prompts.wait_time)
        say(whole_minutes(wait_s), Noun.MINUTE)
    if offer_callback:
        play(offer_callback)
    parts.append(StartMusic(call, music))
    return parts
