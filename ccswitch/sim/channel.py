"""One simulated channel and the header blocks FreeSWITCH puts in its events.

Header order follows switch_channel_event_set_basic_data / switch_caller_profile_event_set_data as seen in
fs-traces: the channel block, the codec block once media is up, ``Caller-*``, ``Other-Type`` +
``Other-Leg-*``,
then ``variable_*`` in the order the variables were (last) set.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import gevent.event

from ccswitch.sim.dialstring import AppCall
from ccswitch.sim.scripts import CallerScript

STATE_NUMBERS = {
    "CS_NEW": 0,
    "CS_INIT": 1,
    "CS_ROUTING": 2,
    "CS_SOFT_EXECUTE": 3,
    "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5,
    "CS_PARK": 6,
    "CS_CONSUME_MEDIA": 7,
    "CS_HIBERNATE": 8,
    "CS_RESET": 9,
    "CS_HANGUP": 10,
    "CS_REPORTING": 11,
    "CS_DESTROY": 12,
    "CS_NONE": 13,
}
CALL_STATE_NUMBERS = {
    "DOWN": 0,
    "DIALING": 1,
    "RINGING": 2,
    "EARLY": 3,
    "ACTIVE": 4,
    "HELD": 5,
    "RING_WAIT": 6,
    "HANGUP": 7,
    "UNHELD": 8,
}
Q850 = {
    "NORMAL_CLEARING": 16,
    "USER_BUSY": 17,
    "NO_ANSWER": 19,
    "NO_USER_RESPONSE": 18,
    "ORIGINATOR_CANCEL": 487,
    "LOSE_RACE": 502,
    "CALL_REJECTED": 21,
    "USER_NOT_REGISTERED": 606,
    "DESTINATION_OUT_OF_ORDER": 27,
}
CODEC_HEADERS = (
    ("Channel-Read-Codec-Name", "PCMU"),
    ("Channel-Read-Codec-Rate", "8000"),
    ("Channel-Read-Codec-Bit-Rate", "64000"),
    ("Channel-Write-Codec-Name", "PCMU"),
    ("Channel-Write-Codec-Rate", "8000"),
    ("Channel-Write-Codec-Bit-Rate", "64000"),
)


@dataclass
class CallerProfile:
    """switch_caller_profile_t: only non-empty text fields are put in events."""

    direction: str
    logical_direction: str
    username: str
    dialplan: str
    caller_id_name: str
    caller_id_number: str
    orig_caller_id_name: str
    orig_caller_id_number: str
    callee_id_name: str
    callee_id_number: str
    network_addr: str
    ani: str
    destination_number: str
    unique_id: str
    source: str
    context: str
    channel_name: str
    transfer_source: str = ""
    rdnis: str = ""
    profile_index: int = 1
    created_us: int = 0
    answered_us: int = 0
    progress_us: int = 0
    progress_media_us: int = 0
    hangup_us: int = 0
    profile_created_us: int = 0  # a transfer's new profile (0: the channel's own, created_us)
    bridged_us: int = 0
    last_hold_us: int = 0
    hold_accum_us: int = 0

    def headers(self, prefix: str, with_index: bool = True) -> list[tuple[str, str]]:
        texts = [
            ("Direction", self.direction),
            ("Logical-Direction", self.logical_direction),
            ("Username", self.username),
            ("Dialplan", self.dialplan),
            ("Caller-ID-Name", self.caller_id_name),
            ("Caller-ID-Number", self.caller_id_number),
            ("Orig-Caller-ID-Name", self.orig_caller_id_name),
            ("Orig-Caller-ID-Number", self.orig_caller_id_number),
            ("Callee-ID-Name", self.callee_id_name),
            ("Callee-ID-Number", self.callee_id_number),
            ("Network-Addr", self.network_addr),
            ("ANI", self.ani),
            ("Destination-Number", self.destination_number),
            ("Unique-ID", self.unique_id),
            ("Source", self.source),
            ("Transfer-Source", self.transfer_source if with_index else ""),
            ("Context", self.context),
            ("RDNIS", self.rdnis),
            ("Channel-Name", self.channel_name),
        ]
        out = [(prefix + name, value) for name, value in texts if value]
        if with_index:
            out.append((prefix + "Profile-Index", str(self.profile_index)))
        times = [
            ("Profile-Created-Time", self.profile_created_us or self.created_us),
            ("Channel-Created-Time", self.created_us),
            ("Channel-Answered-Time", self.answered_us),
            ("Channel-Progress-Time", self.progress_us),
            ("Channel-Progress-Media-Time", self.progress_media_us),
            ("Channel-Hangup-Time", self.hangup_us),
            ("Channel-Transfer-Time", 0),  # set on the profile a transfer replaces, which no event shows
            ("Channel-Resurrect-Time", 0),
            ("Channel-Bridged-Time", self.bridged_us),
            ("Channel-Last-Hold", self.last_hold_us),
            ("Channel-Hold-Accum", self.hold_accum_us),
        ]
        out += [(prefix + name, str(value)) for name, value in times]
        out += [
            (prefix + "Screen-Bit", "true"),
            (prefix + "Privacy-Hide-Name", "false"),
            (prefix + "Privacy-Hide-Number", "false"),
        ]
        return out

    def transfer(self, destination: str, dialplan: str, context: str, transfer_source: str, now_us: int) -> None:
        """Become the profile switch_ivr_session_transfer makes (switch_caller_profile_clone, then
        switch_channel_set_caller_profile): the next index, created now, RDNIS the old destination; the channel's
        created / answered / progress / hangup times carried over, its bridge and hold times not."""
        self.profile_index += 1
        self.profile_created_us = now_us
        self.rdnis, self.destination_number = self.destination_number, destination
        self.dialplan, self.context, self.transfer_source = dialplan, context, transfer_source
        self.bridged_us = self.last_hold_us = self.hold_accum_us = 0

    def field(self, name: str) -> str | None:
        """switch_caller.c switch_caller_get_field_by_name (the text fields the simulator keeps): what ``${name}``
        gives when no channel variable has that name."""
        fields = {
            "dialplan": self.dialplan,
            "username": self.username,
            "caller_id_name": self.caller_id_name,
            "caller_id_number": self.caller_id_number,
            "orig_caller_id_name": self.orig_caller_id_name,
            "orig_caller_id_number": self.orig_caller_id_number,
            "callee_id_name": self.callee_id_name,
            "callee_id_number": self.callee_id_number,
            "ani": self.ani,
            "network_addr": self.network_addr,
            "rdnis": self.rdnis,
            "destination_number": self.destination_number,
            "uuid": self.unique_id,
            "source": self.source,
            "transfer_source": self.transfer_source,
            "context": self.context,
            "chan_name": self.channel_name,
            "profile_index": str(self.profile_index),
        }
        return fields.get(name.lower())


@dataclass(frozen=True)
class Eavesdrop:
    """An eavesdrop / three_way application running on a channel: its target and whose ears it reaches.

    ``mux_read``: the target's bridged partner hears the eavesdropper; ``mux_write``: the target hears them
    (switch_ivr_async.c eavesdrop_callback, READ_REPLACE / WRITE_REPLACE)."""

    target: str
    mux_read: bool
    mux_write: bool


@dataclass(frozen=True)
class MetaApp:
    """One binding: ``app`` (``app::arg``, a bare path is played) runs on this leg or on its bridged partner;
    ``once``: unbound after its first use (the ``1`` flag)."""

    app: str
    on_partner: bool = False
    once: bool = False


@dataclass
class MetaBindings:
    """bind_meta_app on a channel, for the digits its own phone sends (switch_ivr_async.c dtmf_meta_settings_t, the
    receive side): the meta key, the digit -> binding map, and whether the meta key was just pressed (and when, in
    whole seconds: the next digit must come within 5)."""

    key: str = "*"
    apps: dict[str, MetaApp] = field(default_factory=dict)
    meta_on: bool = False
    last_digit: int = 0


@dataclass(frozen=True)
class Heard:
    """A stretch of one playback that reached the caller's ear without a pause: ``path`` from ``start_s`` to
    ``end_s`` seconds into it (``length_s``: the whole prompt, None for an endless stream). A prompt that another
    application ran inside is heard in pieces around it; a break or a key ends it early."""

    uuid: str
    path: str
    start_s: float
    end_s: float
    length_s: float | None

    @property
    def whole(self) -> bool:
        """Heard from its start to its end in one go."""
        return self.start_s == 0 and self.length_s is not None and self.end_s >= self.length_s


@dataclass
class Message:
    """A private event queued on a channel by sendmsg or uuid_broadcast (switch_ivr_parse_event). ``hold_bleg``:
    the bridged partner hears its hold music while the app runs (a bind_meta_app binding's SMF_HOLD_BLEG).
    ``event_lock`` (sendmsg ``event-lock: true``): no other message starts while this one runs, so messages sent
    back to back run one after another instead of each inside the one before (fs-traces j)."""

    command: str  # "execute" | "hangup"
    app: AppCall | None = None
    event_uuid: str | None = None
    loops: int = 1
    hangup_cause: str = "NORMAL_CLEARING"
    hold_bleg: bool = False
    event_lock: bool = False


@dataclass
class Channel:
    uuid: str
    name: str
    direction: str
    session_id: int
    profile: CallerProfile
    presence_id: str = ""
    running_state: str = "CS_NEW"
    state: str = "CS_NEW"
    call_state: str = "DOWN"
    answer_state: str = "ringing"
    hit_dialplan: bool = True
    media_up: bool = False
    answered: bool = False
    hangup_cause: str | None = None
    other_type: str | None = None
    other: Channel | None = None
    bridged_with: str | None = None
    parked: bool = False
    held: bool = False
    variables: dict[str, str] = field(default_factory=dict)
    apps_executed: list[AppCall] = field(default_factory=list)
    extension: list[AppCall] = field(default_factory=list)
    inbox: deque[Message] = field(default_factory=deque)
    event_locks: int = 0  # CF_EVENT_LOCK, counted (switch_channel_set_flag_recursive): event-locked messages running
    signal: gevent.event.Event = field(default_factory=gevent.event.Event)
    break_requested: bool = False
    # A sendmsg / broadcast application runs (CF_BROADCAST); uuid_break then ends its loops too (CF_STOP_BROADCAST).
    broadcasting: bool = False
    stop_broadcast: bool = False
    # Private events a bridged leg's own bridge thread is running (switch_ivr_bridge.c audio_bridge_thread ->
    # switch_ivr_parse_next_event): meanwhile that thread passes none of the leg's digits on; the app reads them.
    bridge_events: int = 0
    holding_partner: bool = False  # CF_HOLD_BLEG: a hold_bleg app runs, the partner hears hold music
    # Set by transfer / uuid_bridge: the running apps unwind (park exits) and the session runs this next.
    redirect: Callable[[], None] | None = None
    reached_person: bool = False
    reported: gevent.event.Event = field(default_factory=gevent.event.Event)
    released: gevent.event.Event = field(default_factory=gevent.event.Event)
    # Legs its bridge cancelled as it hung up: they finish in step with it (SessionSwitch._finish, trace k).
    cancelled_legs: list[Channel] = field(default_factory=list)
    caller: CallerScript | None = None
    dtmf_used: int = 0
    recording: str | None = None
    recording_stereo: bool = False
    recording_masked: bool = False
    read_muted: bool = False  # uuid_audio <uuid> start read mute
    # Received (digit, DTMF-Source), not yet dequeued by an application (switch_channel_queue_dtmf).
    dtmf_queue: deque[tuple[str, str]] = field(default_factory=deque)
    eavesdrop: Eavesdrop | None = None
    callee: str | None = None  # who answers a gateway leg (person, machine): what the amd application detects
    meta: MetaBindings | None = None  # bind_meta_app ran with ``a``: the phone's meta key sequences are taken

    @property
    def interrupted(self) -> bool:
        """The running app must stop: the channel hung up or is being taken elsewhere."""
        return self.hangup_cause is not None or self.redirect is not None

    @property
    def up(self) -> bool:
        return self.hangup_cause is None

    def set_var(self, name: str, value: str | None) -> None:
        """switch_channel_set_variable: a new value moves the variable to the end; None removes it."""
        self.variables.pop(name, None)
        if value is not None:
            self.variables[name] = value

    def wake(self) -> None:
        self.signal.set()

    def channel_headers(self, with_vars: bool, with_profile: bool = True) -> list[tuple[str, str]]:
        out = [
            ("Channel-State", self.running_state),
            ("Channel-Call-State", self.call_state),
            ("Channel-State-Number", str(STATE_NUMBERS[self.state])),
            ("Channel-Name", self.name),
            ("Unique-ID", self.uuid),
            ("Call-Direction", self.direction),
            ("Presence-Call-Direction", self.direction),
            ("Channel-HIT-Dialplan", _bool(self.hit_dialplan)),
        ]
        if self.presence_id:
            out.append(("Channel-Presence-ID", self.presence_id))
        out += [
            ("Channel-Call-UUID", self.variables.get("call_uuid", self.uuid)),
            ("Answer-State", self.answer_state),
        ]
        if self.hangup_cause:
            out.append(("Hangup-Cause", self.hangup_cause))
        if self.media_up:
            out += CODEC_HEADERS
        if with_profile:
            out += self.profile.headers("Caller-")
            if self.other is not None and self.other_type:
                out.append(("Other-Type", self.other_type))
                out += self.other.profile.headers("Other-Leg-", with_index=False)
        if with_vars:
            out += [("variable_" + name, value) for name, value in self.variables.items()]
        return out


def _bool(value: bool) -> str:
    return "true" if value else "false"
