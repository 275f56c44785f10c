"""What the simulated people are scripted to do: callers dialling in, agents' phones, and the callees behind an
outbound gateway. Plain data, read by the channels and the switch; how the people act on it is in ``people``."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

# wrong_codec: answers 200 OK with only a codec the call did not offer (PCMA against a PCMU caller); not_acceptable:
# refuses the INVITE with 488 Not Acceptable Here. FreeSWITCH ends both legs INCOMPATIBLE_DESTINATION (trace n).
PhoneBehaviour = Literal["answer", "no_answer", "busy", "unregistered", "wrong_codec", "not_acceptable"]
CalleeOutcome = Literal["person", "machine", "busy", "no_answer"]


@dataclass(frozen=True)
class CallerScript:
    """One inbound caller. ``dtmf`` holds what they key in for each play_and_get_digits prompt, in order (pressed
    ``dtmf_delay_s`` after the prompt starts); once exhausted they press nothing there. ``keys`` are keypresses at
    fixed times, ``(seconds after the call was placed, digits)``: the channel queues them (no event) once its media
    is up (RFC 2833 digits travel in RTP, so earlier ones are lost), and a DTMF event fires when an application
    dequeues them (playback, say, park, a bridge); play_and_get_digits leaves them queued. They hang up after
    ``patience_s`` unless talking to a person by then, and after ``talk_s`` of talking if set (otherwise the agent
    ends the call). When a ``record`` application runs (voicemail) they speak for ``message_s``, then stay
    silent."""

    destination: str = "88005550556"
    caller_number: str = "79161234567"
    caller_name: str = "Sim Caller"
    dtmf: tuple[str, ...] = ()
    patience_s: float = 120.0
    talk_s: float | None = None
    dtmf_delay_s: float = 1.0
    keys: tuple[tuple[float, str], ...] = ()
    message_s: float = 10.0


@dataclass(frozen=True)
class AgentPhone:
    """An agent's registered phone: how it reacts when rung, and how long after answering the agent hangs up
    (``talk_s`` counts from the answer, so it includes an announcement played to the agent before the bridge).
    ``busy_after_s`` is also when a ``not_acceptable`` phone refuses, ``answer_after_s`` when a ``wrong_codec`` one
    answers. A registered phone answers a SIP MESSAGE 200 after ``message_answer_s`` (trace o: about 100 ms), or,
    when None, never (sofia gives up after SIP timer F)."""

    extension: str
    behaviour: PhoneBehaviour = "answer"
    answer_after_s: float = 1.0
    talk_s: float = 30.0
    busy_after_s: float = 0.2
    message_answer_s: float | None = 0.1


@dataclass(frozen=True)
class GatewayCallee:
    """Who answers numbers dialled through ``sofia/gateway/<gw>/<number>`` (by ``originate`` or ``bridge``): one
    outcome per call, drawn with the given probabilities (the rest is no answer, until the leg's timeout). A person
    answers after ``answer_after_s`` and hangs up ``talk_s`` later; a machine answers alike, plays its message for
    ``machine_s`` (nothing the switch sees) and hangs up; busy refuses after ``busy_after_s`` (USER_BUSY).
    ``numbers`` fixes the outcome for some numbers (as dialled, e.g. ``+447700900001``). Answering-machine detection
    (the ``amd`` application) tells a person from a machine ``amd_s`` after it starts."""

    person_probability: float = 0.6
    machine_probability: float = 0.2
    busy_probability: float = 0.1
    answer_after_s: float = 3.0
    talk_s: float = 30.0
    machine_s: float = 8.0
    busy_after_s: float = 1.0
    numbers: tuple[tuple[str, CalleeOutcome], ...] = ()
    amd_s: float = 1.5

    def outcome(self, rng: random.Random, number: str = "") -> CalleeOutcome:
        fixed = dict(self.numbers).get(number)
        if fixed is not None:
            return fixed
        draw = rng.random()
        for outcome, probability in (
            ("person", self.person_probability),
            ("machine", self.machine_probability),
            ("busy", self.busy_probability),
        ):
            if draw < probability:
                return outcome  # type: ignore[return-value]
            draw -= probability
        return "no_answer"
