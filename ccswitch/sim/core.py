"""The simulated switch's core: its channel table, the events it fires, the channels' states, and waiting.

Everything else the switch does is built on these, one layer at a time: ``session`` (a channel's session: its
applications, messages, answer and hang-up, digits and media), ``calls`` (originate, bridge, transfer), and
``switch`` (``SimSwitch``: the applications plugged in, and the calls the trunk and the phones place).
"""

from __future__ import annotations

import itertools
import random
import time
import uuid as uuid_lib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import gevent

from ccswitch.clock import Clock, WallClock
from ccswitch.feature_codes import dialplan_xml
from ccswitch.sim.channel import CALL_STATE_NUMBERS, CallerProfile, Channel, Eavesdrop, Heard
from ccswitch.sim.core_db import ChannelsTable
from ccswitch.sim.dialstring import AppCall, parse_inline_dialplan
from ccswitch.sim.limits import Resources, SwitchLimits
from ccswitch.sim.say import Said
from ccswitch.sim.scripts import AgentPhone, GatewayCallee
from ccswitch.sim.variables import expand_variables
from ccswitch.sim.wire import SimEvent
from ccswitch.sim.xml_dialplan import Dialplan, XmlExtension, hunt, parse_dialplan

Listener = Callable[[SimEvent], None]

# Event-Calling-File / -Function / -Line-Number as the real switch reports them (fs-traces).
CALLING: dict[str, tuple[str, str, int]] = {
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", 2409),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", 302),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", 626),
    "CHANNEL_ORIGINATE": ("switch_core_state_machine.c", "switch_core_session_run", 632),
    "CHANNEL_OUTGOING": ("switch_core_session.c", "switch_core_session_outgoing_channel", 768),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", 2949),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", 2972),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", 1002),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", 1213),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3507),
    "CHANNEL_PROGRESS_MEDIA": ("switch_channel.c", "switch_channel_perform_mark_pre_answered", 3562),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", 3848),
    "CALL_UPDATE": ("mod_sofia.c", "sofia_receive_message", 2133),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1689),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1879),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", 3447),
    "CHANNEL_HANGUP_COMPLETE": ("switch_core_state_machine.c", "switch_core_session_reporting_state", 943),
    "CHANNEL_DESTROY": ("switch_core_session.c", "switch_core_session_perform_destroy", 1588),
    "CHANNEL_HOLD": ("switch_ivr.c", "switch_ivr_hold", 1558),
    "CHANNEL_UNHOLD": ("switch_ivr.c", "switch_ivr_unhold", 1638),
    "PLAYBACK_START": ("switch_ivr_play_say.c", "switch_ivr_play_file", 1649),
    "PLAYBACK_STOP": ("switch_ivr_play_say.c", "switch_ivr_play_file", 2023),
    "RECORD_START": ("switch_ivr_async.c", "record_callback", 1482),
    "RECORD_STOP": ("switch_ivr_async.c", "send_record_stop_event", 1241),
    "MEDIA_BUG_START": ("switch_core_media_bug.c", "switch_core_media_bug_add", 1014),
    "MEDIA_BUG_STOP": ("switch_core_media_bug.c", "switch_core_media_bug_destroy", 84),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", 678),
    "API": ("switch_loadable_module.c", "switch_api_execute", 3140),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", 1580),
    "CODEC": ("switch_core_codec.c", "switch_core_session_set_real_read_codec", 189),
}
#: The modules a simulated switch has loaded unless told otherwise (``SimSwitch(modules=…)``, api load / unload).
DEFAULT_MODULES = frozenset({
    "mod_commands", "mod_dptools", "mod_sofia", "mod_sndfile", "mod_event_socket", "mod_loopback",
    "mod_local_stream", "mod_tone_stream", "mod_say_en", "mod_say_ru", "mod_amd",
})
# Events that carry no channel variables (switch_channel_event_set_basic_data only).
_NO_VARS = frozenset({"CHANNEL_STATE", "CHANNEL_CALLSTATE", "CODEC", "CHANNEL_OUTGOING"})


@dataclass(frozen=True)
class ChannelView:
    """Read-only snapshot of a channel for tests and the demo."""

    uuid: str
    name: str
    state: str
    call_state: str
    answered: bool
    bridged_with: str | None
    parked: bool
    variables: Mapping[str, str]
    apps: tuple[AppCall, ...]


@dataclass(frozen=True)
class SentMessage:
    """A SIP MESSAGE that reached a phone or the carrier (``api chat``, ``ccswitch.sim.messages``)."""

    sender: str
    to: str
    text: str
    content_type: str


@dataclass(frozen=True)
class Hangup:
    uuid: str
    cause: str


@dataclass(frozen=True)
class Executed:
    """An application that ran on a channel (kept after the channel is gone)."""

    uuid: str
    app: str
    arg: str


class SwitchCore:
    """The state every layer of the simulated switch shares, and the primitives they are made of."""

    def __init__(
        self,
        clock: Clock | None = None,
        hostname: str = "sim",
        ipv4: str = "192.0.2.2",
        domain: str = "127.0.0.1",
        gateway_callee: GatewayCallee | None = None,
        transfer_talk_s: float = 30.0,
        default_prompt_s: float = 1.0,
        seed: int = 1,
        modules: Iterable[str] = DEFAULT_MODULES,
        limits: SwitchLimits | None = None,
    ) -> None:
        self.clock: Clock = clock or WallClock()
        self.hostname = hostname
        self.ipv4 = ipv4
        self.domain = domain
        self.core_uuid = str(uuid_lib.uuid4())
        self.gateway_callee = gateway_callee or GatewayCallee()
        self.transfer_talk_s = transfer_talk_s
        self.default_prompt_s = default_prompt_s
        self.rng = random.Random(seed)
        self.started_at = self.clock.now()
        self.hangups: list[Hangup] = []
        self.executed: list[Executed] = []
        self.said: list[Said] = []
        self.heard: list[Heard] = []  # what was played to each channel, in the order it was heard
        self.sessions_since_startup = 0
        self.modules = set(modules)  # loaded (module_exists, load, unload); an app of a missing one is invalid
        self.resources = Resources(limits or SwitchLimits(), self.started_at)
        self.messages: list[SentMessage] = []  # what ``api chat`` delivered, in order
        self.refused_calls: list[Hangup] = []  # INVITEs sofia answered 503 (no channel, no event): uuid, why
        # Global variables (global_getvar, the last resort of ${name}); vanilla vars.xml would add e.g. hold_music.
        self.global_variables: dict[str, str] = {"domain": domain, "hostname": hostname, "local_ip_v4": ipv4}
        # The XML dialplan execute_extension hunts in: the shipped ccswitch-features context (load_dialplan adds more).
        self.dialplan: Dialplan = parse_dialplan(dialplan_xml())
        self._channels: dict[str, Channel] = {}
        self._phones: dict[str, AgentPhone] = {}
        self._listeners: list[Listener] = []
        self.channels_table = ChannelsTable()  # what ``show channels`` lists, kept from the events as fired
        self.subscribe(self.channels_table.on_event)
        self._sequence = itertools.count(1)
        self._session_ids = itertools.count(1)
        self._greenlets: set[gevent.Greenlet] = set()

    # ---- inspection and setup
    # --------------------------------------------------------------------------------
    @property
    def channels(self) -> Mapping[str, ChannelView]:
        return MappingProxyType({uuid: self._view(ch) for uuid, ch in self._channels.items()})

    def _view(self, ch: Channel) -> ChannelView:
        return ChannelView(
            ch.uuid,
            ch.name,
            ch.running_state,
            ch.call_state,
            ch.answered,
            ch.bridged_with,
            ch.parked,
            MappingProxyType(dict(ch.variables)),
            tuple(ch.apps_executed),
        )

    def channel(self, uuid: str) -> Channel | None:
        return self._channels.get(uuid)

    def apps_on(self, uuid: str) -> list[AppCall]:
        """Every application that ran on the channel ``uuid``, in order, also after it is gone."""
        return [AppCall(run.app, run.arg) for run in self.executed if run.uuid == uuid]

    def live_channels(self) -> list[Channel]:
        return list(self._channels.values())

    @property
    def eavesdrops(self) -> Mapping[str, Eavesdrop]:
        """Eavesdropping channel uuid -> its target and current mode (changed by DTMF 0/1/2/3)."""
        return MappingProxyType({uuid: ch.eavesdrop for uuid, ch in self._channels.items() if ch.eavesdrop})

    def add_phone(self, phone: AgentPhone) -> None:
        self._phones[phone.extension] = phone

    set_phone = add_phone

    def phone(self, extension: str) -> AgentPhone | None:
        return self._phones.get(extension)

    def load_dialplan(self, xml_text: str) -> None:
        """Add (or replace) the contexts of an XML dialplan file (``ccswitch.sim.xml_dialplan``)."""
        self.dialplan = {**self.dialplan, **parse_dialplan(xml_text)}

    def hunt(self, context: str, destination: str) -> XmlExtension | None:
        return hunt(self.dialplan, context, destination)

    def extension_for(self, destination: str, dialplan: str, context: str) -> list[AppCall]:
        """What a channel sent to ``destination`` runs: an ``inline`` dialplan's apps; the extension it reaches in
        an XML context the simulator holds (``load_dialplan``); any other destination is someone who answers, talks
        ``transfer_talk_s`` and hangs up."""
        if dialplan == "inline":
            return parse_inline_dialplan(destination)
        found = self.hunt(context, destination) if dialplan == "XML" else None
        if found is not None:
            return list(found.actions)
        talk_ms = str(int(self.transfer_talk_s * 1000))
        return [AppCall("answer", ""), AppCall("sleep", talk_ms), AppCall("hangup", "")]

    def variable(self, ch: Channel, name: str) -> str | None:
        """switch_channel.c switch_channel_get_variable_dup: the channel's variable, else its caller-profile field,
        else the global variable."""
        value = ch.variables.get(name)
        if value is None:
            value = ch.profile.field(name)
        return self.global_variables.get(name) if value is None else value

    def expand(self, ch: Channel, text: str) -> str:
        """switch_channel_expand_variables on ``ch`` (``ccswitch.sim.variables``)."""
        return expand_variables(text, lambda name: self.variable(ch, name))

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def spawn(self, func: Callable[..., object], *args: object) -> gevent.Greenlet:
        greenlet = gevent.spawn(func, *args)
        self._greenlets.add(greenlet)
        greenlet.link(self._greenlets.discard)
        return greenlet

    def shutdown(self) -> None:
        gevent.killall(list(self._greenlets), timeout=1)

    # ---- events
    # ----------------------------------------------------------------------------------------------
    def fire(
        self,
        name: str,
        headers: Iterable[tuple[str, str]] = (),
        body: str | None = None,
        calling: tuple[str, str, int] | None = None,
        subclass: str | None = None,
    ) -> SimEvent:
        standard = [("Event-Subclass", subclass)] if subclass else []
        standard += self._standard_headers(name, calling)
        return self._deliver(SimEvent(name, tuple(standard) + tuple(headers), body))

    def _standard_headers(self, name: str, calling: tuple[str, str, int] | None) -> list[tuple[str, str]]:
        """switch_event.c switch_event_prep_for_delivery_detailed: what every event starts with."""
        now = self.clock.now()
        file, function, line = calling or CALLING.get(name, ("switch_event.c", "switch_event_fire_detailed", 0))
        return [
            ("Event-Name", name),
            ("Core-UUID", self.core_uuid),
            ("FreeSWITCH-Hostname", self.hostname),
            ("FreeSWITCH-Switchname", self.hostname),
            ("FreeSWITCH-IPv4", self.ipv4),
            ("FreeSWITCH-IPv6", "::1"),
            ("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))),
            ("Event-Date-GMT", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now))),
            ("Event-Date-Timestamp", str(int(now * 1_000_000))),
            ("Event-Calling-File", file),
            ("Event-Calling-Function", function),
            ("Event-Calling-Line-Number", str(line)),
            ("Event-Sequence", str(next(self._sequence))),
        ]

    def _deliver(self, event: SimEvent) -> SimEvent:
        for listener in list(self._listeners):
            listener(event)
        return event

    def fire_application_event(self, ch: Channel, fields: Sequence[tuple[str, str]]) -> SimEvent:
        """mod_dptools.c event_function: a CHANNEL_APPLICATION event whose ``fields`` are added in order at the
        bottom; ``Event-Name`` replaces the event's name (its header is removed and added again at the bottom),
        ``Event-Subclass`` sets the subclass; then the channel's data, with the variables if the event became a
        CUSTOM one (switch_channel_event_set_extended_data gives them to CUSTOM, not to CHANNEL_APPLICATION)."""
        name = "CHANNEL_APPLICATION"
        headers = self._standard_headers(name, ("mod_dptools.c", "event_function", 1902))
        for field_name, value in fields:
            if field_name.lower() == "event-name":
                name = value
                headers = [(n, v) for n, v in headers if n.lower() != "event-name"]
            headers.append((field_name, value))
        headers += ch.channel_headers(with_vars=name == "CUSTOM")
        return self._deliver(SimEvent(name, tuple(headers)))

    def fire_channel(
        self,
        ch: Channel,
        name: str,
        pre: Sequence[tuple[str, str]] = (),
        post: Sequence[tuple[str, str]] = (),
        calling: tuple[str, str, int] | None = None,
    ) -> None:
        block = ch.channel_headers(with_vars=name not in _NO_VARS, with_profile=ch.running_state != "CS_NEW")
        self.fire(name, [*pre, *block, *post], calling=calling)

    def now_us(self) -> int:
        return int(self.clock.now() * 1_000_000)

    # ---- states
    # ----------------------------------------------------------------------------------------------
    def enter_state(self, ch: Channel, state: str) -> None:
        """switch_channel_perform_set_running_state: the state machine runs ``state``."""
        ch.state = ch.running_state = state
        self.fire_channel(ch, "CHANNEL_STATE")

    def set_call_state(self, ch: Channel, call_state: str) -> None:
        original = ch.call_state
        ch.call_state = call_state
        number = CALL_STATE_NUMBERS[call_state]
        self.fire_channel(
            ch,
            "CHANNEL_CALLSTATE",
            pre=[("Original-Channel-Call-State", original), ("Channel-Call-State-Number", str(number))],
        )

    # ---- channel creation
    # ------------------------------------------------------------------------------------
    def _new_channel(self, uuid: str, name: str, direction: str, profile: CallerProfile) -> Channel:
        self.sessions_since_startup += 1
        ch = Channel(uuid=uuid, name=name, direction=direction, session_id=next(self._session_ids), profile=profile)
        ch.set_var("direction", direction)
        if direction == "outbound":
            ch.set_var("is_outbound", "true")
        ch.set_var("uuid", uuid)
        ch.set_var("call_uuid", uuid)
        ch.set_var("session_id", str(ch.session_id))
        ch.set_var("channel_name", name)
        if direction == "inbound":  # a leg this switch dials has it set later (after its originate variables)
            self.name_sofia_profile(ch)
        self._channels[uuid] = ch
        return ch

    @staticmethod
    def name_sofia_profile(ch: Channel) -> None:
        """mod_sofia's channels carry their profile's name (a gateway's leg: the trunk side's, external); fs-traces
        a and d show where among the variables."""
        kind, _, rest = ch.name.partition("/")
        if kind == "sofia":
            profile = rest.partition("/")[0]
            ch.set_var("sofia_profile_name", "external" if profile == "gateway" else profile)

    def session_refused(self) -> str | None:
        """switch_core_session_request_uuid's limits for a new channel: None, or why it is refused."""
        return self.resources.request_session(len(self._channels), self.clock.now())

    # ---- waiting
    # ---------------------------------------------------------------------------------------------
    def wait(self, channels: Sequence[Channel], seconds: float | None, until: Callable[[], bool]) -> bool:
        """Wait up to ``seconds`` of clock time (None: forever) for ``until()``; wakes on any channel's
        signal.
        Returns whether ``until()`` became true."""
        deadline = None if seconds is None else time.monotonic() + self.clock.real_seconds(seconds)
        while not until():
            for ch in channels:
                ch.signal.clear()
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            gevent.wait([ch.signal for ch in channels], timeout=remaining, count=1)
        return True

    def after(self, seconds: float, func: Callable[..., object], *args: object) -> None:
        def later() -> None:
            self.clock.sleep(seconds)
            func(*args)

        self.spawn(later)
