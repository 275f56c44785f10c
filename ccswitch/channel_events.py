"""Channel events: the few facts the engine needs, lifted out of ESL events in one place.

Nothing else in the controller reads raw ESL headers. Each function of the engine takes one of these typed, frozen
events; ``from_esl`` returns None for ESL events the engine has no use for.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccswitch.esl.event import Event
from ccswitch.feature_codes import DESTINATION_HEADER, FEATURE_EVENT, FEATURE_HEADER, FEATURE_KEYS

#: The ESL events the controller subscribes to (never ``ALL``: FreeSWITCH drops a client that falls behind);
#: ``a::b`` is a CUSTOM subclass (``event plain … CUSTOM ccswitch::feature``, esl.connection.subscribe_command).
SUBSCRIBED_EVENTS: tuple[str, ...] = (
    "CHANNEL_CREATE",
    "CHANNEL_PARK",
    "CHANNEL_BRIDGE",
    "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_EXECUTE_COMPLETE",
    "BACKGROUND_JOB",
    "DTMF",
    FEATURE_EVENT,
)

#: The channel variable ``play_and_get_digits`` stores the caller's digits in.
DIGITS_VARIABLE = "cc_digits"


@dataclass(frozen=True, slots=True)
class Parked:
    """A channel is parked and waiting for the controller (a new inbound call, or a failed bridge handed back)."""

    uuid: str
    inbound: bool
    destination: str
    caller_number: str
    caller_name: str
    playing: bool = False  # found (after a restart) in a prompt or music: interrupt it before routing


@dataclass(frozen=True, slots=True)
class AppCompleted:
    """An application finished on a channel. ``tag`` is the ``Event-UUID`` we sent it with (None if not ours)."""

    uuid: str
    application: str
    tag: str | None
    digits: str
    bridge_failure: str | None


@dataclass(frozen=True, slots=True)
class Bridged:
    uuid: str
    other_leg: str


@dataclass(frozen=True, slots=True)
class HungUp:
    uuid: str
    cause: str
    transferred_to: str | None = None  # the phone's own transfer button (a blind SIP REFER) sent its partner here


@dataclass(frozen=True, slots=True)
class HangingUp:
    """``CHANNEL_HANGUP``: the channel is going down now. Its last events (a ``bridge``'s completion, hang-up
    complete) follow: a caller who hangs up while an agent's phone rings sends this, then the agent leg's hang-up,
    then the bridge's completion (ORIGINATOR_CANCEL), and only then ``HungUp`` (trace k). From here on the channel
    takes no command (``-ERR No such channel!``)."""

    uuid: str
    cause: str


@dataclass(frozen=True, slots=True)
class PhoneChannel:
    """A channel of a registered user's phone appeared (the agent dials out, or is being rung): ``user`` is the
    directory user. The controller's own agent legs are among them; the engine tells them apart by uuid."""

    uuid: str
    user: str


@dataclass(frozen=True, slots=True)
class Dtmf:
    """A key the caller pressed, as FreeSWITCH reads it off the channel: while music, a prompt, ``say`` or park
    runs, or while bridged; not while the channel rings an agent (switch_channel_dequeue_dtmf fires the event
    when an application takes the digit, not when it arrives)."""

    uuid: str
    digit: str


@dataclass(frozen=True, slots=True)
class JobFailed:
    """A ``bgapi`` command answered ``-ERR …`` (e.g. an originate whose phone is not registered: no channel, so
    no hang-up event, ever). ``job`` is the Job-UUID we sent it with."""

    job: str
    reason: str


@dataclass(frozen=True, slots=True)
class AmdCompleted:
    """Answering-machine detection finished on a channel (mod_amd's ``amd`` application). ``result`` is what it
    left in ``amd_result``: HUMAN, MACHINE or NOTSURE (NOTSURE also when it set nothing: the channel went away or
    detection was cut short); ``cause`` is ``amd_cause`` (HUMAN, INITIALSILENCE, LONGGREETING, MAXWORDS,
    MAXWORDLENGTH, TOOLONG; empty if unset). ``tag``: the ``Event-UUID`` we sent it with."""

    uuid: str
    tag: str | None
    result: str
    cause: str


@dataclass(frozen=True, slots=True)
class FeatureCode:
    """A desk-phone feature code (``ccswitch.feature_codes``): the CUSTOM ``ccswitch::feature`` event FreeSWITCH's
    ``ccswitch-features`` dialplan fires on the channel whose phone pressed it (``uuid``; an agent leg, if the
    engine knows it as one). ``feature`` is one of ``FEATURE_KEYS``: any other value is not an event."""

    uuid: str
    feature: str
    destination: str = ""  # what the agent keyed after a transfer or consult code (DESTINATION_FEATURES)


ChannelEvent = (
    Parked | AppCompleted | Bridged | HangingUp | HungUp | Dtmf | PhoneChannel | JobFailed | AmdCompleted
    | FeatureCode
)

#: How a plain event carries an empty header value: switch_event.c switch_event_serialize writes ``_undef_``
#: (e.g. ``Destination=${ccswitch_destination}`` when the agent keyed nothing).
EMPTY_VALUE = "_undef_"

#: What mod_amd leaves in ``amd_result`` (github.com/seanbright/mod_amd, mod_amd.c amd_handle_silence_frame,
#: amd_handle_voiced_frame and the analysis timeout in amd_start_function).
AMD_RESULTS = frozenset({"HUMAN", "MACHINE", "NOTSURE"})


def _bridge_failure(event: Event) -> str | None:
    """Why a ``bridge`` application failed, or None if it bridged.

    FreeSWITCH leaves ``originate_disposition`` (e.g. NO_ANSWER, USER_BUSY) on the caller's channel after a failed
    bridge, and ``call accepted`` (``DIALSTATUS`` ANSWER) after a successful one (switch_ivr_originate.c
    switch_ivr_originate); older builds and the simulator say ``SUCCESS``.
    """
    disposition = event.variable("originate_disposition") or event.variable("DIALSTATUS") or ""
    if disposition.upper() in ("SUCCESS", "ANSWER", "CALL ACCEPTED"):
        return None
    return disposition or event.variable("bridge_hangup_cause") or "UNKNOWN"


def _referred_to(event: Event) -> str | None:
    """Where this channel's phone blind-transferred its partner with a SIP REFER: mod_sofia (sofia.c
    sofia_handle_sip_i_refer) leaves ``transfer_destination=blind:<extension>`` on the referring leg, then transfers
    the partner to that extension in the partner's own context; the referring leg ends NORMAL_CLEARING."""
    destination = event.variable("transfer_destination") or ""
    if not destination.startswith("blind:"):
        return None
    return destination.removeprefix("blind:") or None


def _phone_user(event: Event) -> str | None:
    """The directory user whose phone this channel is, from what FreeSWITCH itself set, never caller ID: a leg
    ringing a user carries ``dialed_user`` (mod_dptools.c user_outgoing_channel; the calling leg gets it too, hence
    outbound only); a call the phone makes was authenticated by sofia, which sets ``user_name``
    (sofia_reg.c sofia_reg_parse_auth)."""
    if event.get("Call-Direction") == "outbound":
        return event.variable("dialed_user")
    if event.variable("sip_authorized") == "true":
        return event.variable("user_name")
    return None


def from_esl(event: Event) -> ChannelEvent | None:
    name = event.name
    if name == "BACKGROUND_JOB":
        body = (event.body or "").strip()
        return JobFailed(event.job_uuid or "", body.removeprefix("-ERR").strip()) if body.startswith("-ERR") else None
    uuid = event.unique_id
    if uuid is None:
        return None
    if name == "CHANNEL_CREATE":
        user = _phone_user(event)
        return PhoneChannel(uuid=uuid, user=user) if user else None
    if name == "CHANNEL_PARK":
        return Parked(
            uuid=uuid,
            inbound=event.get("Call-Direction") == "inbound",
            destination=event.get("Caller-Destination-Number") or "",
            caller_number=event.get("Caller-Caller-ID-Number") or "",
            caller_name=event.get("Caller-Caller-ID-Name") or "",
        )
    if name == "CHANNEL_EXECUTE_COMPLETE":
        application = event.application or ""
        if application == "amd":
            result = (event.variable("amd_result") or "").upper()
            return AmdCompleted(uuid=uuid, tag=event.application_uuid,
                                result=result if result in AMD_RESULTS else "NOTSURE",
                                cause=event.variable("amd_cause") or "")
        return AppCompleted(
            uuid=uuid,
            application=application,
            tag=event.application_uuid,
            digits=event.variable(DIGITS_VARIABLE) or "",
            bridge_failure=_bridge_failure(event) if application == "bridge" else None,
        )
    if name == "CHANNEL_BRIDGE":
        other = event.other_leg_unique_id
        return Bridged(uuid=uuid, other_leg=other) if other else None
    if name == "DTMF":
        digit = event.get("DTMF-Digit") or ""
        return Dtmf(uuid=uuid, digit=digit) if len(digit) == 1 else None
    if name == "CHANNEL_HANGUP":
        return HangingUp(uuid=uuid, cause=event.hangup_cause or "NORMAL_CLEARING")
    if name == "CHANNEL_HANGUP_COMPLETE":
        return HungUp(uuid=uuid, cause=event.hangup_cause or "NORMAL_CLEARING", transferred_to=_referred_to(event))
    if name == "CUSTOM" and event.subclass == FEATURE_EVENT:
        feature = event.get(FEATURE_HEADER) or ""
        if feature not in FEATURE_KEYS:
            return None
        destination = event.get(DESTINATION_HEADER) or ""
        return FeatureCode(uuid=uuid, feature=feature, destination="" if destination == EMPTY_VALUE else destination)
    return None


def parked_outbound_from_channel_row(row: dict[str, str]) -> str | None:
    """The uuid of an outbound channel that sits parked (``show channels as json``), e.g. a campaign's answered
    call whose detection a previous run never started."""
    if row.get("direction") == "outbound" and row.get("application") == "park" and row.get("uuid"):
        return row["uuid"]
    return None
