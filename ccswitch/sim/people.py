"""Simulated people: how callers, agents' phones and the callees behind an outbound gateway act on the switch, as
their scripts (``ccswitch.sim.scripts``) say: a caller gives up, keys digits, keys menu choices and speaks a message;
the phone at the far end of a leg answers or refuses when its time comes; a caller or callee hangs up after talking.
Scripted traffic (``run_load``, ``poisson_arrivals``) places calls as callers would."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from ccswitch.clock import Clock
from ccswitch.sim.channel import Channel
from ccswitch.sim.scripts import AgentPhone, CalleeOutcome, CallerScript, GatewayCallee, PhoneBehaviour
from ccswitch.sim.session import SessionSwitch

__all__ = [
    "AgentPhone",
    "Behaviour",
    "CalleeOutcome",
    "CallerScript",
    "GatewayCallee",
    "PhoneBehaviour",
    "poisson_arrivals",
    "run_load",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Behaviour:
    """How the far end of an outbound leg reacts: ``answer`` after ``answer_after_s`` and hang up after
    ``talk_s``, ``busy`` after ``busy_after_s``, ``no_answer``, or fail for want of a common codec: ``wrong_codec``
    (a 200 after ``answer_after_s``) or ``not_acceptable`` (a 488 after ``busy_after_s``)."""

    kind: str
    answer_after_s: float = 1.0
    busy_after_s: float = 0.2
    talk_s: float = 30.0

    @classmethod
    def of_phone(cls, phone: AgentPhone) -> Behaviour:
        return cls(phone.behaviour, phone.answer_after_s, phone.busy_after_s, phone.talk_s)

    @classmethod
    def of_callee(cls, callee: GatewayCallee, outcome: CalleeOutcome) -> Behaviour:
        """A person or a machine answers (the machine talks for ``machine_s``: its message), busy refuses, anyone
        else lets it ring."""
        talk = callee.machine_s if outcome == "machine" else callee.talk_s
        kind = {"person": "answer", "machine": "answer", "busy": "busy"}.get(outcome, "no_answer")
        return cls(kind, callee.answer_after_s, callee.busy_after_s, talk)

    @property
    def acts_after_s(self) -> float | None:
        """How long after its leg starts ringing the far end answers or refuses (None: it never does)."""
        after = {"answer": self.answer_after_s, "busy": self.busy_after_s,
                 "wrong_codec": self.answer_after_s, "not_acceptable": self.busy_after_s}
        return after.get(self.kind)


def caller_gives_up(switch: SessionSwitch, ch: Channel) -> None:
    """An inbound caller hangs up after their ``patience_s`` unless they reached a person by then."""
    assert ch.caller is not None
    switch.clock.sleep(ch.caller.patience_s)
    if ch.up and not ch.reached_person:
        log.info("caller %s gives up after %.1fs", ch.uuid, ch.caller.patience_s)
        switch.hangup(ch, "NORMAL_CLEARING")


def caller_keys(switch: SessionSwitch, ch: Channel) -> None:
    """An inbound caller's ``keys`` at their times: lost before the call has media (RFC 2833 travels in RTP)."""
    assert ch.caller is not None
    placed = ch.profile.created_us / 1_000_000
    for at, digits in sorted(ch.caller.keys):
        switch.clock.sleep(at - (switch.clock.now() - placed))
        if not ch.up:
            return
        if ch.media_up:
            switch.receive_dtmf(ch, digits, source="RTP")
        else:
            log.info("caller %s keys %s before the call has media: lost", ch.uuid, digits)


def menu_choice(ch: Channel) -> str | None:
    """The digits a caller keys at their next play_and_get_digits prompt (None: their script has no more)."""
    if ch.caller is None or ch.dtmf_used >= len(ch.caller.dtmf):
        return None
    ch.dtmf_used += 1
    return ch.caller.dtmf[ch.dtmf_used - 1]


def menu_choice_delay_s(ch: Channel) -> float:
    """How long after a play_and_get_digits prompt starts the caller keys their choice."""
    return ch.caller.dtmf_delay_s if ch.caller else 1.0


def message_s(ch: Channel) -> float:
    """How long the person on ``ch`` speaks when recorded (a caller leaving a voicemail); nobody else speaks."""
    return ch.caller.message_s if ch.caller is not None else 0.0


def caller_reaches_person(switch: SessionSwitch, ch: Channel) -> None:
    """``ch`` is bridged: an inbound caller on it talks to a person now (no longer giving up), for their
    ``talk_s`` if set (otherwise the other side ends the call)."""
    if ch.caller is not None:
        ch.reached_person = True
        if ch.caller.talk_s is not None:
            hangs_up_after(switch, ch, ch.caller.talk_s)


def hangs_up_after(switch: SessionSwitch, ch: Channel, talk_s: float) -> None:
    """The person on ``ch`` hangs up ``talk_s`` from now, if the call is still up then."""
    switch.after(talk_s, _hangs_up, switch, ch)


def _hangs_up(switch: SessionSwitch, ch: Channel) -> None:
    if ch.up:
        switch.hangup(ch, "NORMAL_CLEARING")


class CallPlacer(Protocol):
    """What scripted traffic needs of a switch: its clock, and a caller's call placed (``SimSwitch.place_call``)."""

    clock: Clock

    def place_call(self, script: CallerScript, uuid: str | None = None, from_phone: str | None = None) -> str: ...


def poisson_arrivals(
    rate_per_s: float, duration_s: float, make_script: Sequence[CallerScript], seed: int = 1
) -> list[tuple[float, CallerScript]]:
    """Arrival offsets (seconds from start) of a Poisson process, cycling through the given scripts."""
    rng = random.Random(seed)
    arrivals = []
    at = rng.expovariate(rate_per_s)
    index = 0
    while at < duration_s:
        arrivals.append((at, make_script[index % len(make_script)]))
        index += 1
        at += rng.expovariate(rate_per_s)
    return arrivals


def run_load(switch: CallPlacer, arrivals: Sequence[tuple[float, CallerScript]]) -> Iterator[str]:
    """Place each scripted call at its offset (in the switch clock's seconds); yields the call uuids as
    placed."""
    start = switch.clock.now()
    for at, script in sorted(arrivals, key=lambda item: item[0]):
        # Measured from the start, so the time spent placing calls does not push later arrivals back.
        switch.clock.sleep(at - (switch.clock.now() - start))
        yield switch.place_call(script)
