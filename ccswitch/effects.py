"""Effects: what the pure core asks the outside world to do, as data.

Decisions return lists of these; the executor (``ccswitch.executor``) is the one place that turns them into ESL
commands. Every effect names the call (the caller's channel uuid) it acts on. ``tag`` values are the ``Event-UUID``
the executor sends with an application, so the completion event (``CHANNEL_EXECUTE_COMPLETE``'s
``Application-UUID``) can be matched back to the decision that asked for it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TakeCall:
    """The controller takes a parked call: cancel the switch's fallback transfer (``sched_del <uuid>``)."""

    call: str


@dataclass(frozen=True, slots=True)
class Answer:
    call: str


@dataclass(frozen=True, slots=True)
class Play:
    """Play one prompt file; completion comes back with ``tag``."""

    call: str
    path: str
    tag: str


@dataclass(frozen=True, slots=True)
class CollectDigits:
    """Play ``path`` and collect DTMF (FreeSWITCH ``play_and_get_digits``, one try: retries are the IVR's)."""

    call: str
    path: str
    tag: str
    min_digits: int = 1
    max_digits: int = 1
    timeout_ms: int = 5000
    terminators: str = "#"
    digit_timeout_ms: int = 3000


@dataclass(frozen=True, slots=True)
class StartMusic:
    """Endless music / ringback while the caller waits; stopped by ``StopMedia`` or by connecting the call."""

    call: str
    source: str


@dataclass(frozen=True, slots=True)
class PlayFiles:
    """Play sound files one after another as one prompt (FreeSWITCH's ``file_string://``: one PLAYBACK_START and
    one PLAYBACK_STOP, as mod_say speaks a number), e.g. a spoken number; completion comes back with ``tag``."""

    call: str
    paths: tuple[str, ...]
    tag: str


@dataclass(frozen=True, slots=True)
class RecordMessage:
    """Record what the caller says into ``path`` (as FreeSWITCH sees it), up to ``max_s``, ending after 3 s of
    silence; completion comes back with ``tag``."""

    call: str
    path: str
    max_s: int
    tag: str


@dataclass(frozen=True, slots=True)
class StopMedia:
    """Interrupt whatever the channel is playing (``uuid_break <uuid> all``)."""

    call: str


@dataclass(frozen=True, slots=True)
class AgentLeg:
    """One agent's phone to ring: ``leg`` is the uuid its channel gets, chosen by the controller so that its
    events are recognised before any reply arrives; it starts ringing ``delay_s`` after the first leg."""

    agent_id: str
    dial_string: str
    leg: str
    delay_s: float = 0.0


@dataclass(frozen=True, slots=True)
class ConnectAgent:
    """Ring the agent(s) and bridge the caller to whoever answers first, from the caller's channel in one
    command. One leg for most strategies; several for ring-all and ring-progressively. Every leg gets the
    desk-phone feature codes (``ccswitch.feature_codes``) once it answers."""

    call: str
    legs: tuple[AgentLeg, ...]
    ring_timeout_s: int
    queue: str
    caller_id_number: str
    caller_id_name: str
    ringback: str
    agent_announcement: str | None = None  # played to the agent who answers, before the caller is connected
    auto_answer: bool = False  # the agent's phone answers by itself (a campaign's person must be connected in 2 s)


@dataclass(frozen=True, slots=True)
class Transfer:
    call: str
    destination: str
    context: str = "default"


@dataclass(frozen=True, slots=True)
class Hangup:
    call: str
    cause: str = "NORMAL_CLEARING"


@dataclass(frozen=True, slots=True)
class AnnounceToCaller:
    """Play a prompt to the caller alone, also while bridged (``uuid_broadcast … aleg``)."""

    call: str
    path: str


@dataclass(frozen=True, slots=True)
class StartRecording:
    """Record the call's channel into ``path`` (as FreeSWITCH sees it); stereo: caller left, agent right."""

    call: str
    path: str
    stereo: bool


@dataclass(frozen=True, slots=True)
class MaskRecording:
    """Silence (``masked``) or restore the audio written to a running recording (card details)."""

    call: str
    path: str
    masked: bool


@dataclass(frozen=True, slots=True)
class StopRecording:
    call: str
    path: str


# Live call control and supervisor monitoring: ``leg`` is the channel the command acts on when it is not the
# caller's (an agent, consult or supervisor leg); ``call`` keeps a call's commands in order in the executor.


@dataclass(frozen=True, slots=True)
class SetLegVar:
    call: str
    leg: str
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class HoldLeg:
    call: str
    leg: str
    held: bool


@dataclass(frozen=True, slots=True)
class MuteLeg:
    call: str
    leg: str
    muted: bool


@dataclass(frozen=True, slots=True)
class HangupLeg:
    call: str
    leg: str
    cause: str = "NORMAL_CLEARING"


@dataclass(frozen=True, slots=True)
class BridgeLegs:
    call: str
    a_leg: str
    b_leg: str


@dataclass(frozen=True, slots=True)
class RunInline:
    """Take ``leg`` out of what it does (a bridge, park) and run ``apps`` (app, argument) on it."""

    call: str
    leg: str
    apps: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Originate:
    """A new leg (``origination_uuid`` = ``leg``) that runs ``app(app_arg)`` once answered.

    ``originate`` waits until the phone answers: the executor should send it as ``bgapi``. ``feature_codes``: the
    leg is an agent's, who gets the desk-phone feature codes (``ccswitch.feature_codes``) once it answers;
    ``auto_answer``: the agent asked for this call, so a phone that can answers it by itself.
    """

    call: str
    leg: str
    endpoint: str
    variables: tuple[tuple[str, str], ...]
    app: str
    app_arg: str
    feature_codes: bool = False
    auto_answer: bool = False


@dataclass(frozen=True, slots=True)
class DialOut:
    """From ``leg`` (an agent's parked channel), dial ``number`` through ``gateway`` and bridge to it; the new leg
    gets uuid ``callee_leg``; completion of the dial comes back with ``tag`` (a failure carries its cause)."""

    call: str
    leg: str
    callee_leg: str
    gateway: str
    number: str
    caller_id_number: str
    ring_timeout_s: int
    tag: str


@dataclass(frozen=True, slots=True)
class SendDtmf:
    """DTMF received on ``leg`` as if its phone sent it (drives the eavesdrop application's modes)."""

    call: str
    leg: str
    digits: str


@dataclass(frozen=True, slots=True)
class DetectMachine:
    """Answering-machine detection on an answered outbound channel: mod_amd's ``amd`` application, which blocks
    while it listens and leaves ``amd_result`` (HUMAN, MACHINE or NOTSURE) and ``amd_cause`` on the channel;
    completion comes back with ``tag``."""

    call: str
    tag: str


@dataclass(frozen=True, slots=True)
class Requeue:
    """Not a command: once the call is parked again, the engine puts it back in ``queue`` with its priority,
    skills and history (a blind transfer to a queue)."""

    call: str
    queue: str


Effect = (
    TakeCall | Answer | Play | CollectDigits | PlayFiles | RecordMessage | StartMusic | StopMedia | ConnectAgent
    | Transfer | Hangup
    | AnnounceToCaller | StartRecording | MaskRecording | StopRecording
    | SetLegVar | HoldLeg | MuteLeg | HangupLeg | BridgeLegs | RunInline | Originate | DialOut | SendDtmf
    | DetectMachine
)
