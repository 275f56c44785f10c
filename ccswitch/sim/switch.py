"""The simulated switch: channels, their session greenlets, and the events they fire.

Theory of operation. Like FreeSWITCH, every channel has one session greenlet that runs its dialplan apps one
after
another; api commands run in the caller's greenlet and only change state, fire the events FreeSWITCH fires
from the
api thread (``CHANNEL_HANGUP``, ``CHANNEL_ANSWER`` ...) and wake the session, which then fires the rest
(``CHANNEL_UNPARK``, ``CHANNEL_EXECUTE_COMPLETE``, the hang-up states). Waiting apps (park, playback, bridge)
wait on
the channel's signal with a deadline in the switch clock's time, so a ScaledClock speeds everything up alike.
Messages queued by sendmsg / uuid_broadcast run inside whatever application is waiting when they arrive
(``drain_inbox``): sent back to back, each runs inside the one before unless it was sent with ``event-lock``
(fs-traces j). Event sequences are taken from fs-traces (a, b, c, d, e, j); see the module ``apps`` for the
applications and ``api`` for the api commands.
"""

from __future__ import annotations

import itertools
import logging
import random
import time
import uuid as uuid_lib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

import gevent

from ccswitch.clock import Clock, WallClock
from ccswitch.feature_codes import dialplan_xml
from ccswitch.sim.channel import Q850, CallerProfile, Channel, Eavesdrop, Heard, Message, MetaApp
from ccswitch.sim.core_db import ChannelsTable
from ccswitch.sim.dialstring import (
    AppCall,
    DialTarget,
    atoi,
    parse_broadcast_path,
    parse_dial_string,
    parse_inline_dialplan,
    switch_true,
)
from ccswitch.sim.limits import Resources, SwitchLimits
from ccswitch.sim.people import AgentPhone, CallerScript, GatewayCallee
from ccswitch.sim.say import Said
from ccswitch.sim.variables import expand_variables
from ccswitch.sim.wire import SimEvent
from ccswitch.sim.xml_dialplan import Dialplan, XmlExtension, hunt, parse_dialplan

log = logging.getLogger(__name__)

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
#: The module an application comes from, where it is not mod_dptools (the simulator's other apps are its).
APP_MODULES = {"amd": "mod_amd"}
# Events that carry no channel variables (switch_channel_event_set_basic_data only).
_NO_VARS = frozenset({"CHANNEL_STATE", "CHANNEL_CALLSTATE", "CODEC", "CHANNEL_OUTGOING"})
_DEFAULT_RING_TIMEOUT_S = 60.0
_GROUP_CONFIRM_VARS = (
    "group_confirm_key",
    "group_confirm_file",
    "group_confirm_error_file",
    "group_confirm_cancel_timeout",
    "group_confirm_read_timeout",
)


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
class Hangup:
    uuid: str
    cause: str


@dataclass(frozen=True)
class Executed:
    """An application that ran on a channel (kept after the channel is gone)."""

    uuid: str
    app: str
    arg: str


class SimSwitch:
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
        number = {
            "DOWN": 0,
            "DIALING": 1,
            "RINGING": 2,
            "EARLY": 3,
            "ACTIVE": 4,
            "HELD": 5,
            "RING_WAIT": 6,
            "HANGUP": 7,
            "UNHELD": 8,
        }[call_state]
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
        self._channels[uuid] = ch
        return ch

    def session_refused(self) -> str | None:
        """switch_core_session_request_uuid's limits for a new channel: None, or why it is refused."""
        return self.resources.request_session(len(self._channels), self.clock.now())

    def _refused(self, uuid: str) -> bool:
        """An INVITE over the limits: sofia answers 503 and makes no channel (sofia.c sofia_handle_sip_i_invite)."""
        refused = self.session_refused()
        if refused is not None:
            log.info("call %s refused (503 Maximum Calls In Progress): %s", uuid, refused)
            self.refused_calls.append(Hangup(uuid, refused))
        return refused is not None

    def place_call(self, script: CallerScript, uuid: str | None = None, from_phone: str | None = None) -> str:
        """An inbound call from the trunk (external profile, context public, which parks it): fs-traces a. With
        ``from_phone``, the call comes from that registered phone instead (an agent dialling the service number):
        internal profile, context default, authenticated by sofia as ``place_direct_call`` is, and parked alike.
        Past the switch's session limits the INVITE is answered 503 and no channel is made (``refused_calls``)."""
        uuid = uuid or str(uuid_lib.uuid4())
        if self._refused(uuid):
            return uuid
        name = f"sofia/external/{script.caller_number}@{self.domain}:5070"
        if from_phone is not None:
            name = f"sofia/internal/{from_phone}@{self.domain}"
        profile = CallerProfile(
            direction="inbound",
            logical_direction="inbound",
            username=script.caller_number,
            dialplan="XML",
            caller_id_name=script.caller_name,
            caller_id_number=script.caller_number,
            orig_caller_id_name=script.caller_name,
            orig_caller_id_number=script.caller_number,
            callee_id_name="",
            callee_id_number="",
            network_addr=self.domain,
            ani=script.caller_number,
            destination_number=script.destination,
            unique_id=uuid,
            source="mod_sofia",
            context="public" if from_phone is None else "default",
            channel_name=name,
            created_us=self.now_us(),
        )
        ch = self._new_channel(uuid, name, "inbound", profile)
        ch.caller = script
        if from_phone is not None:
            self._authenticated(ch, from_phone)
        ch.profile.created_us = self.now_us()
        self.enter_state(ch, "CS_NEW")
        self.enter_state(ch, "CS_INIT")
        ch.state = "CS_ROUTING"
        self.fire_channel(ch, "CHANNEL_CREATE")
        ch.running_state = "CS_ROUTING"
        self.set_call_state(ch, "RINGING")
        self.enter_state(ch, "CS_ROUTING")
        ch.set_var("DP_MATCH", f"ARRAY::{script.destination}|:{script.destination}")
        ch.extension = [AppCall("park", "")]
        self.spawn(self._caller_patience, ch)
        if script.keys:
            self.spawn(self._caller_keys, ch)
        self.spawn(self._run_session, ch)
        return uuid

    def place_direct_call(self, from_extension: str, to: str, gateway: str = "trunk", uuid: str | None = None) -> str:
        """A call a registered phone makes on its own, not through the controller: sofia authenticates the INVITE
        (``sip_authorized``, then the directory user's ``user_name`` / ``domain_name`` ..., sofia.c
        sofia_handle_sip_i_invite) and the default context bridges it to ``user/<to>`` when ``to`` is a phone here,
        else through ``sofia/gateway/<gateway>/<to>``. It ends when either side hangs up: the far end after its
        ``talk_s``, or ``hangup`` on either leg. Returns the calling phone's channel uuid (refused over the limits
        as ``place_call``)."""
        uuid = uuid or str(uuid_lib.uuid4())
        if self._refused(uuid):
            return uuid
        name = f"sofia/internal/{from_extension}@{self.domain}"
        profile = CallerProfile(
            direction="inbound",
            logical_direction="inbound",
            username=from_extension,
            dialplan="XML",
            caller_id_name=from_extension,
            caller_id_number=from_extension,
            orig_caller_id_name=from_extension,
            orig_caller_id_number=from_extension,
            callee_id_name="",
            callee_id_number="",
            network_addr=self.domain,
            ani=from_extension,
            destination_number=to,
            unique_id=uuid,
            source="mod_sofia",
            context="default",
            channel_name=name,
            created_us=self.now_us(),
        )
        ch = self._new_channel(uuid, name, "inbound", profile)
        self._authenticated(ch, from_extension)
        self.enter_state(ch, "CS_NEW")
        self.enter_state(ch, "CS_INIT")
        ch.state = "CS_ROUTING"
        self.fire_channel(ch, "CHANNEL_CREATE")
        ch.running_state = "CS_ROUTING"
        self.set_call_state(ch, "RINGING")
        self.enter_state(ch, "CS_ROUTING")
        target = f"user/{to}@{self.domain}" if to in self._phones else f"sofia/gateway/{gateway}/{to}"
        ch.extension = [AppCall("set", "hangup_after_bridge=true"), AppCall("bridge", target)]
        self.spawn(self._run_session, ch)
        return uuid

    def _authenticated(self, ch: Channel, extension: str) -> None:
        """What sofia sets on a call from a registered phone it authenticated (digest auth against the directory
        user ``extension``): ``sip_authorized``, then the user's ``user_name`` / ``domain_name`` ..."""
        ch.set_var("sip_profile_name", "internal")
        ch.set_var("sip_authorized", "true")
        for variable, value in (
            ("sip_auth_username", extension),
            ("sip_auth_realm", self.domain),
            ("user_name", extension),
            ("domain_name", self.domain),
            ("user_context", "default"),
            ("requested_user_name", extension),
            ("requested_domain_name", self.domain),
        ):
            ch.set_var(variable, value)

    def _caller_patience(self, ch: Channel) -> None:
        assert ch.caller is not None
        self.clock.sleep(ch.caller.patience_s)
        if ch.up and not ch.reached_person:
            log.info("caller %s gives up after %.1fs", ch.uuid, ch.caller.patience_s)
            self.hangup(ch, "NORMAL_CLEARING")

    def _caller_keys(self, ch: Channel) -> None:
        assert ch.caller is not None
        placed = ch.profile.created_us / 1_000_000
        for at, digits in sorted(ch.caller.keys):
            self.clock.sleep(at - (self.clock.now() - placed))
            if not ch.up:
                return
            if ch.media_up:
                self.receive_dtmf(ch, digits, source="RTP")
            else:
                log.info("caller %s keys %s before the call has media: lost", ch.uuid, digits)

    # ---- the session
    # -----------------------------------------------------------------------------------------
    def _run_session(self, ch: Channel) -> None:
        ch.set_var("call_uuid", ch.uuid)
        self.enter_state(ch, "CS_EXECUTE")
        self._session_loop(ch)

    def _session_loop(self, ch: Channel) -> None:
        while ch.up:
            self._run_extension(ch)
            # A transferred B-leg leaves its bridge first: the A side's bridge sees it taken (CF_TRANSFER) and
            # unbridges without hanging it up; only then does it route (switch_ivr_bridge.c
            # audio_bridge_on_exchange_media returns before the new state runs).
            self.wait([ch], None, lambda: ch.redirect is None or ch.bridged_with is None or not ch.up)
            if ch.redirect is not None and ch.up:
                redirect, ch.redirect = ch.redirect, None
                redirect()
                continue
            if ch.up:
                self.hangup(ch, "NORMAL_CLEARING")  # the dialplan ran out of apps
        self._finish(ch)

    def _run_extension(self, ch: Channel) -> None:
        for call in ch.extension:
            self.drain_inbox(ch)
            if ch.interrupted:
                return
            self.execute(ch, call.app, call.arg)
            if ch.interrupted:
                return
        ch.extension = []
        self.drain_inbox(ch)

    def drain_inbox(self, ch: Channel) -> None:
        """switch_ivr_parse_all_events: run the queued sendmsg / broadcast messages that may run now, right here.
        Every waiting application calls it (park, playback, sleep, digit collection, record: ``app_wait``), so a
        message queued while an application runs starts INSIDE it, which waits until it returns (fs-traces j). It
        stops after a message that leaves a break pending (switch_ivr_parse_event returns SWITCH_STATUS_BREAK)."""
        while self.runnable(ch) and not ch.interrupted:
            message = ch.inbox.popleft()
            if message.command == "hangup":
                self.hangup(ch, message.hangup_cause)
                return
            self._execute_message(ch, message)
            if ch.break_requested:
                return

    @staticmethod
    def runnable(ch: Channel) -> bool:
        """switch_core_session_dequeue_private_event gives a message: one is queued and no message sent with
        ``event-lock: true`` is running (CF_EVENT_LOCK)."""
        return bool(ch.inbox) and not ch.event_locks

    def app_wait(self, ch: Channel, seconds: float | None, until: Callable[[], bool]) -> bool:
        """An application's wait for ``until()`` (up to ``seconds`` of clock time; None: forever), running the
        messages queued meanwhile inside it (``drain_inbox``); the time they take counts towards ``seconds``, as
        for switch_ivr_sleep and switch_ivr_collect_digits_count. Returns whether ``until()`` became true."""
        deadline = None if seconds is None else self.clock.now() + seconds
        while True:
            remaining = None if deadline is None else deadline - self.clock.now()
            self.wait([ch], remaining, lambda: until() or self.runnable(ch))
            if until():
                return True
            if ch.interrupted or not self.runnable(ch):
                return False
            self.drain_inbox(ch)

    def _execute_message(self, ch: Channel, message: Message) -> None:
        # switch_ivr.c switch_ivr_parse_event: event-lock, app_uuid, current_loop / total_loops around each run.
        if message.app is None:
            return
        # loops < 0 repeats until the channel is interrupted or hung up, uuid_break stops the broadcast, or a run
        # ends within 0.5 s (a failing app must not spin): the same exits as the real loop. Each run is a new
        # application: with no Event-UUID each has an Application-UUID of its own (fs-traces j).
        locks = 1 if message.event_lock else 0
        ch.event_locks += locks
        ch.stop_broadcast = False
        outer = not ch.broadcasting
        ch.broadcasting = True
        ch.wake()  # a hold-bleg partner waits for this (switch_channel_wait_for_flag CF_BROADCAST)
        held = self._hold_partner(ch) if message.hold_bleg else None
        loop = 0
        while message.loops < 0 or loop < message.loops:
            if message.event_uuid:
                ch.set_var("app_uuid", message.event_uuid)
            ch.set_var("current_loop", str(loop + 1))
            ch.set_var("total_loops", str(message.loops))
            started = self.clock.now()
            self.execute(ch, message.app.app, message.app.arg, message.event_uuid)
            loop += 1
            if ch.interrupted or not ch.up or ch.stop_broadcast or self.clock.now() - started < 0.5:
                break
        ch.set_var("current_loop", None)
        ch.set_var("total_loops", None)
        if held is not None:
            ch.holding_partner = False
            self.stop_broadcast(held)
            self.wait([held], 5.0, lambda: not held.broadcasting)
        if outer or ch.stop_broadcast:
            ch.broadcasting = False
        if ch.stop_broadcast:  # CF_BREAK again: the application this one ran inside stops as well (uuid_break)
            ch.break_requested = True
        ch.event_locks -= locks
        ch.wake()  # with the lock gone, a queued message may run

    def _hold_partner(self, ch: Channel) -> Channel | None:
        """switch_ivr.c switch_ivr_parse_event, ``hold-bleg`` on a bridged leg not already holding its partner:
        the partner plays hold music while the app runs (switch_ivr_broadcast SMF_ECHO_ALEG | SMF_LOOP, waited for up
        to 5 s; stopped after the app with switch_channel_stop_broadcast). The music is the partner's
        ``temp_hold_music`` / ``hold_music``, else this leg's (switch_channel_get_hold_music_partner,
        switch_channel_get_hold_music; a global ``hold_music``, as vanilla vars.xml sets, serves both); none,
        ``silence`` or ``indicate_hold`` play nothing (switch_is_moh). Returns the partner if it plays."""
        partner = self._channels.get(ch.bridged_with or "")
        if partner is None or ch.holding_partner:
            return None
        stream = self._hold_music(partner) or self._hold_music(ch)
        if not stream or stream.lower() in ("silence", "indicate_hold"):
            return None
        ch.holding_partner = True
        self.run_in_bridge(partner, Message("execute", parse_broadcast_path(stream), loops=-1, event_lock=True))
        self.wait([partner], 5.0, lambda: partner.broadcasting or not partner.up)
        return partner

    def _hold_music(self, ch: Channel) -> str:
        music = self.variable(ch, "temp_hold_music") or self.variable(ch, "hold_music") or ""
        return self.expand(ch, music)

    def queue_message(self, ch: Channel, message: Message) -> None:
        ch.inbox.append(message)
        ch.wake()

    def deliver_message(self, ch: Channel, message: Message) -> None:
        """A private event (sendmsg, uuid_broadcast, a bound meta app) for ``ch``: a bridged leg's own bridge thread
        runs it at once (switch_ivr_bridge.c audio_bridge_thread parses the leg's private events); any other leg
        finds it in its queue when its current application next looks (switch_ivr_parse_all_messages)."""
        if ch.bridged_with:
            self.run_in_bridge(ch, message)
        else:
            self.queue_message(ch, message)

    def execute(self, ch: Channel, app: str, arg: str, app_uuid: str | None = None) -> bool:
        """switch_core_session_exec: CHANNEL_EXECUTE, run, CHANNEL_EXECUTE_COMPLETE. False: no such app (or its
        module is not loaded): then, as switch_core_session_execute_application_get_flags does, no event for it and
        the channel is hung up DESTINATION_OUT_OF_ORDER ("Invalid Application", trace m)."""
        from ccswitch.sim.apps import APPS

        run = APPS.get(app)
        if run is None or APP_MODULES.get(app, "mod_dptools") not in self.modules:
            log.warning("channel %s: Invalid Application %s", ch.uuid, app)
            self.hangup(ch, "DESTINATION_OUT_OF_ORDER")
            return False
        if not switch_true(ch.variables.get("app_disable_expand_variables")):
            arg = self.expand(ch, arg)  # switch_core_session_exec: what the app and the events get
        app_uuid = app_uuid or str(uuid_lib.uuid4())
        ch.set_var("current_application", app)
        if arg:
            ch.set_var("current_application_data", arg)
        ch.set_var("current_application_response", None)  # an app that sets none completes with "_none_"
        data = [("Application-Data", arg)] if arg else []
        self.fire_channel(ch, "CHANNEL_EXECUTE", post=[("Application", app), *data, ("Application-UUID", app_uuid)])
        ch.set_var("current_application", app)  # set again once running, as the traces show
        ch.apps_executed.append(AppCall(app, arg))
        self.executed.append(Executed(ch.uuid, app, arg))
        ch.break_requested = False
        run(self, ch, arg)
        response = ch.variables.get("current_application_response", "_none_")
        self.fire_channel(
            ch,
            "CHANNEL_EXECUTE_COMPLETE",
            post=[
                ("Application", app),
                *data,
                ("Application-Response", response),
                ("Application-UUID", app_uuid),
            ],
        )
        return True

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

    # ---- answer, hangup
    # --------------------------------------------------------------------------------------
    def _media_up(self, ch: Channel) -> None:
        if ch.media_up:
            return
        ch.media_up = True
        self.fire_channel(
            ch,
            "CODEC",
            post=[
                ("channel-read-codec-name", "PCMU"),
                ("channel-read-codec-rate", "8000"),
                ("channel-read-codec-bit-rate", "64000"),
            ],
        )
        self.fire_channel(
            ch,
            "CODEC",
            post=[
                ("Channel-Write-Codec-Name", "PCMU"),
                ("Channel-Write-Codec-Rate", "8000"),
                ("Channel-Write-codec-bit-rate", "64000"),
            ],
            calling=("switch_core_codec.c", "switch_core_session_set_write_codec", 471),
        )

    def answer(self, ch: Channel) -> bool:
        """Answer an inbound channel (uuid_answer / the answer app): fs-traces a after CHANNEL_PARK. False if it
        could not be: gone, or no RTP port left (sofia then hangs it up, ``ccswitch.sim.limits``)."""
        if ch.answered:
            return True
        if not ch.up:
            return False
        if not self.resources.take_port(ch.uuid):
            log.info("channel %s: No audio RTP ports available!", ch.uuid)
            self.hangup(ch, "DESTINATION_OUT_OF_ORDER")
            return False
        self._media_up(ch)
        if ch.answer_state != "early":
            ch.answer_state = "early"
            ch.profile.progress_media_us = self.now_us()
            self.fire_channel(ch, "CHANNEL_PROGRESS_MEDIA")
            self.set_call_state(ch, "EARLY")
        self._mark_answered(ch)
        return True

    def _mark_answered(self, ch: Channel) -> None:
        ch.answered = True
        ch.answer_state = "answered"
        ch.profile.answered_us = self.now_us()
        self.fire_channel(ch, "CHANNEL_ANSWER")
        self.set_call_state(ch, "ACTIVE")
        self._execute_on(ch, "execute_on_answer")

    def _execute_on(self, ch: Channel, prefix: str) -> None:
        """switch_channel.c switch_channel_execute_on: every variable whose name starts with ``prefix`` (any case)
        runs as ``<app> <arg>``; switch_channel_execute_on_value splits at the first space or lone ``:``, and a
        ``::`` before that queues ``app::arg`` on the channel instead, event-locked
        (switch_core_session_execute_application_async)."""
        for name, value in list(ch.variables.items()):
            if not name.lower().startswith(prefix):
                continue
            split = next((i for i, char in enumerate(value) if char == " " or char == ":"), len(value))
            if value[split : split + 2] == "::":
                app, _, arg = value.partition("::")
                self.queue_message(ch, Message("execute", AppCall(app, arg), event_lock=True))
            else:
                self.execute(ch, value[:split], value[split + 1 :])

    def ring_ready(self, ch: Channel) -> None:
        if ch.answer_state == "ringing" and ch.profile.progress_us == 0:
            ch.profile.progress_us = self.now_us()
            if ch.direction == "outbound":
                ch.profile.network_addr = self.domain  # the far end has answered the INVITE
            self.fire_channel(ch, "CHANNEL_PROGRESS")

    def hangup(self, ch: Channel, cause: str = "NORMAL_CLEARING") -> None:
        """switch_channel_perform_hangup: CHANNEL_HANGUP now, the session greenlet finishes the rest."""
        if not ch.up:
            return
        ch.hangup_cause = cause
        ch.answer_state = "hangup"
        ch.profile.hangup_us = self.now_us()
        self.fire_channel(ch, "CHANNEL_HANGUP")
        self.hangups.append(Hangup(ch.uuid, cause))
        ch.wake()
        if ch.bridged_with and (peer := self._channels.get(ch.bridged_with)):
            peer.wake()

    def _finish(self, ch: Channel) -> None:
        if ch.recording:
            self.stop_record(ch, ch.recording)
        cancelled, ch.cancelled_legs = ch.cancelled_legs, []
        for leg in cancelled:
            self._report(leg)
        self._enter_hangup(ch)
        for leg in cancelled:
            self._destroy(leg)
        self._report(ch)
        if ch.other_type == "originatee":
            gevent.sleep(0)  # the bridged peer, released by our bridge loop, is destroyed first (fs-traces b)
        if ch.other_type == "originator":
            ch.released.wait()  # a B-leg stays locked by the A-leg's bridge until it ends
        self._destroy(ch)

    def _enter_hangup(self, ch: Channel) -> None:
        self.enter_state(ch, "CS_HANGUP")
        self.set_call_state(ch, "HANGUP")

    def _report(self, ch: Channel) -> None:
        """CS_REPORTING: the hang-up variables and CHANNEL_HANGUP_COMPLETE."""
        self.enter_state(ch, "CS_REPORTING")
        ch.set_var("hangup_cause", ch.hangup_cause)
        ch.set_var("hangup_cause_q850", str(Q850.get(ch.hangup_cause or "", 16)))
        if ch.apps_executed:
            ch.set_var("last_app", ch.apps_executed[-1].app)
            if ch.apps_executed[-1].arg:
                ch.set_var("last_arg", ch.apps_executed[-1].arg)
        self.fire_channel(ch, "CHANNEL_HANGUP_COMPLETE", pre=[("Hangup-Cause", ch.hangup_cause or "")])
        ch.reported.set()

    def _destroy(self, ch: Channel) -> None:
        self.fire_channel(ch, "CHANNEL_DESTROY")
        self.enter_state(ch, "CS_DESTROY")
        self._channels.pop(ch.uuid, None)
        self.resources.release_port(ch.uuid)

    # ---- transfer
    # --------------------------------------------------------------------------------------------
    def transfer(self, ch: Channel, destination: str, dialplan: str | None = None, context: str | None = None) -> None:
        """switch_ivr.c switch_ivr_session_transfer: at once, the channel gets a new caller profile (the next
        Profile-Index; ``destination`` in the dialplan and context given, else its ``force_transfer_dialplan`` /
        ``force_transfer_context``, else its own, an ``inline`` one counting as none, then XML / default; RDNIS the
        old destination; a ``bl_xfer`` Transfer-Source, also in ``transfer_source`` / ``transfer_history``),
        ``max_forwards`` one less (70 when unset; at 0 it is hung up with EXCHANGE_ROUTING_ERROR), queued digits
        dropped and the state set to CS_ROUTING. Then its running apps stop (a bridge ends) and it routes to what
        ``extension_for`` finds there."""
        forward_var = "max_session_transfers" if ch.variables.get("max_session_transfers") else "max_forwards"
        forwards = atoi(ch.variables[forward_var]) - 1 if ch.variables.get(forward_var) else 70
        if forwards <= 0:
            self.hangup(ch, "EXCHANGE_ROUTING_ERROR")
            return
        ch.set_var(forward_var, str(forwards))
        ch.dtmf_queue.clear()  # switch_core_session_reset: no DTMF events for them
        ch.set_var("temp_hold_music", None)
        profile = ch.profile
        use_dialplan = dialplan or ch.variables.get("force_transfer_dialplan") or ""
        if not use_dialplan and profile.dialplan.lower() != "inline":
            use_dialplan = profile.dialplan
        use_dialplan = use_dialplan or "XML"
        use_context = context or ch.variables.get("force_transfer_context") or profile.context or "default"
        destination = destination or "service"
        peer = self._channels.get(ch.bridged_with or "")
        for bonded in (ch, peer):
            if bonded is not None:
                bonded.set_var("signal_bond", None)
        source = f"{int(self.clock.now())}:{uuid_lib.uuid4()}:bl_xfer:{destination}/{use_context}/{use_dialplan}"
        profile.transfer(destination, use_dialplan, use_context, source, self.now_us())
        ch.hit_dialplan = True
        ch.state = "CS_ROUTING"
        history = ch.variables.get("transfer_history")
        if history is None:
            ch.set_var("transfer_history", source)
        else:  # SWITCH_STACK_PUSH: the variable becomes an array, where it stands
            array = history if history.startswith("ARRAY::") else f"ARRAY::{history}"
            ch.variables["transfer_history"] = f"{array}|:{source}"
        ch.set_var("transfer_source", source)
        extension = self.extension_for(destination, use_dialplan, use_context)

        def route() -> None:
            call_state = ch.call_state
            self.set_call_state(ch, "RINGING")
            self.enter_state(ch, "CS_ROUTING")
            ch.state = "CS_EXECUTE"
            self.set_call_state(ch, call_state if call_state != "RINGING" else "ACTIVE")
            self.enter_state(ch, "CS_EXECUTE")
            ch.extension = extension

        ch.redirect = route
        ch.wake()

    def blind_refer(self, uuid: str, extension: str) -> None:
        """The phone behind SIP channel ``uuid`` sends a blind transfer: an in-dialog REFER with ``Refer-To:
        <sip:<extension>@<domain>>`` (no Replaces) and ``Referred-By: <sip:<its user>@<domain>>``, as mod_sofia's
        sofia.c sofia_handle_sip_i_refer takes it (202 Accepted, then NOTIFY ``SIP/2.0 200 OK``; the profile allows
        REFER, ``confirm_blind_transfer`` and ``fire-transfer-events`` are off).

        On this leg: ``transfer_disposition=recv_replace``, ``transfer_to=blind:<partner uuid>``,
        ``transfer_destination=blind:<extension>``, ``transfer_fallback_extension=<its user>`` and
        ``endpoint_disposition=BLIND_TRANSFER``; on its bridged partner ``sip_h_Referred-By`` and
        ``sip_refer_to``. Then the partner is transferred (switch_ivr_session_transfer with no dialplan or context:
        ``transfer``, so the extension in the partner's own context). No event fires for the REFER itself: the
        partner's bridge ends as on any transfer of it, so this leg is hung up NORMAL_CLEARING (its phone's BYE
        after the NOTIFY says the same), then CHANNEL_UNBRIDGE, then the partner routes. Without a partner: CUSTOM
        ``sofia::error`` (``Error-Type: blind_transfer``), ``endpoint_disposition=ATTENDED_TRANSFER_ERROR``, a
        NOTIFY 403, nothing else."""
        ch = self._channels.get(uuid)
        if ch is None or not ch.up or not ch.name.startswith("sofia/"):
            raise ValueError(f"no SIP channel {uuid} to send a REFER on")
        user = ch.name.split("/", 2)[2].partition("@")[0]  # the phone's SIP user, as the channel name shows it
        refer_to = f"<sip:{extension}@{self.domain}>"  # sip_header_as_string keeps <> the phone wrote
        ch.set_var("transfer_disposition", "recv_replace")
        peer = self._channels.get(ch.bridged_with or "")
        ch.set_var("transfer_to", f"blind:{peer.uuid if peer is not None else extension}")
        ch.set_var("transfer_destination", f"blind:{extension}")
        if peer is None:
            error = [("Error-Type", "blind_transfer"), ("Transfer-Exten", extension), ("Full-Refer-To", refer_to)]
            self.fire("CUSTOM", [*error, *ch.channel_headers(with_vars=True)], subclass="sofia::error",
                      calling=("sofia.c", "sofia_handle_sip_i_refer", 9698))
            ch.set_var("endpoint_disposition", "ATTENDED_TRANSFER_ERROR")
            return
        ch.set_var("transfer_fallback_extension", user)
        peer.set_var("sip_h_Referred-By", f"<sip:{user}@{self.domain}>")
        peer.set_var("sip_refer_to", refer_to)
        ch.set_var("endpoint_disposition", "BLIND_TRANSFER")
        self.transfer(peer, extension)

    # ---- originate and bridge
    # --------------------------------------------------------------------------------
    def originate(
        self, dial: str, originator: Channel | None = None, timeout_s: float | None = None
    ) -> tuple[Channel | None, str]:
        """switch_ivr_originate: ring the ``|``-separated groups of ``dial`` one after another, the ``,``-separated
        legs of a group together; returns the winning leg or the failure cause."""
        cause = "DESTINATION_OUT_OF_ORDER"
        for group in parse_dial_string(dial):
            leg, cause = self._ring_group(group, originator, timeout_s)
            if leg is not None:
                if originator is not None:  # switch_channel_pass_callee_id: the caller now shows whom it reached
                    originator.profile.callee_id_name = leg.profile.callee_id_name
                    originator.profile.callee_id_number = leg.profile.callee_id_number
                return leg, "SUCCESS"
            if originator is not None and originator.interrupted:
                return None, "ORIGINATOR_CANCEL"
        return None, cause

    def _ring_group(
        self, targets: Sequence[DialTarget], originator: Channel | None, timeout_s: float | None
    ) -> tuple[Channel | None, str]:
        """switch_ivr_originate's wait loop over legs ringing together (check_channel_status,
        check_per_channel_timeouts). The first leg to answer wins, unless it has ``group_confirm_key=exec``: then
        its ``group_confirm_file`` (``<app> <arg>``) runs on that leg first (collect_thread_run) while the others
        keep ringing, and the leg wins once the app returns with the leg still up. A ``group_confirm_timeout`` of
        N > 0 gives the leg N more seconds from its answer, 0 lifts its timeout. A leg with ``leg_delay_start``
        is created that much later (real FreeSWITCH creates it at once and holds its session back). The losers are
        hung up with LOSE_RACE; every leg with ORIGINATOR_CANCEL when the originator hangs up or is transferred.
        Without a winner the cause is the first created leg's hang-up cause."""
        start = self.clock.now()
        legs = [self._planned_leg(target, originator, start, timeout_s) for target in targets]
        ring_wait_from = None
        if originator is not None and originator.up and originator.call_state != "RING_WAIT":
            ring_wait_from = originator.call_state  # while its bridge rings (traces k, l, n)
            self.set_call_state(originator, "RING_WAIT")
        while True:
            now = self.clock.now()
            cancelled = originator is not None and originator.interrupted  # hung up or transferred: not ready
            if not cancelled:
                for leg in legs:
                    self._far_end_acts(leg, now)
                self._start_due_legs(legs, originator, now)
            self._finish_failed_legs(legs)
            live = [leg.channel for leg in legs if leg.channel is not None and leg.channel.up]
            waiting = [leg for leg in legs if leg.channel is None and leg.cause is None]
            if cancelled or any(leg.won for leg in legs) or not (live or waiting):
                break

            def changed(live: list[Channel] = live) -> bool:
                return (
                    (originator is not None and originator.interrupted)
                    or any(leg.won for leg in legs)
                    or not all(ch.up for ch in live)
                )

            times = [when for leg in legs if (when := leg.next_change()) is not None]
            self.wait(live if originator is None else [*live, originator], min(times) - now if times else None, changed)
        winner = next((leg.channel for leg in legs if leg.won), None)
        for leg in legs:
            if leg.channel is not None and leg.channel is not winner and leg.channel.up:
                if winner is not None:
                    leg.channel.set_var("group_dial_status", "loser")
                self.hangup(leg.channel, "LOSE_RACE" if winner is not None else "ORIGINATOR_CANCEL")
        handed = self._cancelled_with(originator, legs) if cancelled and originator and not originator.up else []
        self._finish_failed_legs(legs)
        losers = [leg.channel for leg in legs
                  if leg.channel is not None and leg.channel is not winner and leg.channel not in handed]
        if winner is None:
            for loser in losers:  # the failed legs report their hang-up before the bridge gives up (trace n)
                loser.reported.wait()
        if ring_wait_from is not None and originator is not None and originator.up:
            self.set_call_state(originator, ring_wait_from)
        for loser in losers:  # originate lets go of them: they are destroyed (trace n: before the bridge returns)
            loser.released.set()
        if losers and winner is None:
            gevent.sleep(0)
        if winner is not None:
            for name in _GROUP_CONFIRM_VARS:  # check_channel_status unsets them on the winner
                winner.set_var(name, None)
            if originator is None:
                self._flip_to_callee(winner)
            return winner, "SUCCESS"
        if cancelled:
            return None, "ORIGINATOR_CANCEL"
        created = [leg.channel for leg in legs if leg.channel is not None]
        return None, (created[0].hangup_cause if created else legs[-1].cause) or "NO_ANSWER"

    def _cancelled_with(self, originator: Channel, legs: Sequence[RingingLeg]) -> list[Channel]:
        """The originator hung up while its legs rang (trace k): each leg it cancelled enters its hang-up state
        now, before the originator's bridge completes, and finishes in step with the originator (``_finish``):
        the leg's hang-up completes after that completion, and the leg is destroyed before the originator's own
        hang-up completes."""
        for leg in legs:
            channel = leg.channel
            if channel is not None and not leg.finishing and channel.hangup_cause == "ORIGINATOR_CANCEL":
                leg.finishing = True
                self._enter_hangup(channel)
                originator.cancelled_legs.append(channel)
        return originator.cancelled_legs

    def _planned_leg(
        self, target: DialTarget, originator: Channel | None, start: float, timeout_s: float | None
    ) -> RingingLeg:
        variables = dict(target.variables)
        if originator is not None:
            variables = {**_inherited(originator), **variables}
        delay = max(0, atoi(variables.get("leg_delay_start", "")))
        # switch_ivr_originate adds leg_delay_start to the leg's own timeout
        return RingingLeg(target, variables, start + delay, start + delay + _leg_timeout(variables, timeout_s))

    def _start_due_legs(self, legs: Sequence[RingingLeg], originator: Channel | None, now: float) -> None:
        """Create the legs whose ``leg_delay_start`` has passed; with no leg left ringing, the next delayed ones
        start at once (check_per_channel_timeouts: ``active_channels == 0``)."""
        waiting = [leg for leg in legs if leg.channel is None and leg.cause is None]
        if waiting and not any(leg.channel is not None and leg.channel.up for leg in legs):
            shift = min(leg.start_at for leg in waiting) - now
            for leg in waiting:
                leg.start_at -= max(0.0, shift)
        for leg in waiting:
            if leg.start_at <= now:
                self._start_leg(leg, originator)

    def _start_leg(self, ringing: RingingLeg, originator: Channel | None) -> None:
        """switch_core_session_outgoing_channel and the new leg's first states, up to ringing (fs-traces b)."""
        from ccswitch.sim.endpoints import resolve

        ringing.start_at = self.clock.now()
        variables = ringing.variables
        endpoint = resolve(self, ringing.target.endpoint)
        if isinstance(endpoint, str):
            ringing.cause = endpoint
            return
        refused = self.session_refused()
        if refused is not None:  # mod_sofia.c sofia_outgoing_channel: "Error Creating Session"
            log.info("leg to %s refused: %s", ringing.target.endpoint, refused)
            ringing.cause = "DESTINATION_OUT_OF_ORDER"
            return
        uuid = variables.get("origination_uuid") or str(uuid_lib.uuid4())
        cid_name = variables.get("origination_caller_id_name") or (
            originator.profile.caller_id_name if originator else ""
        )
        cid_number = variables.get("origination_caller_id_number") or (
            originator.profile.caller_id_number if originator else "0000000000"
        )
        profile = CallerProfile(
            direction="outbound",
            logical_direction="outbound",
            username="",
            dialplan=originator.profile.dialplan if originator else "",  # the A-leg's profile, cloned
            caller_id_name=cid_name,
            caller_id_number=cid_number,
            orig_caller_id_name=cid_name if originator else "",
            orig_caller_id_number=cid_number,
            callee_id_name="Outbound Call",
            callee_id_number=endpoint.destination,
            network_addr=originator.profile.network_addr if originator else "",
            ani=cid_number,
            destination_number=endpoint.destination,
            unique_id=uuid,
            source="src/switch_ivr_originate.c",
            context=originator.profile.context if originator else "default",
            channel_name=endpoint.channel_name,
            created_us=self.now_us(),
        )
        leg = self._new_channel(uuid, endpoint.channel_name, "outbound", profile)
        leg.presence_id = endpoint.presence_id
        leg.hit_dialplan = False
        leg.running_state = leg.state = "CS_NONE"
        if originator is not None:
            leg.other, leg.other_type = originator, "originator"
            leg.set_var("call_uuid", originator.variables.get("call_uuid", originator.uuid))  # joins its call
        for name, value in variables.items():
            leg.set_var(name, value)
        if ringing.target.endpoint.startswith("user/"):
            _set_dialed_user(leg, originator, endpoint.presence_id)
        self.fire_channel(leg, "CHANNEL_OUTGOING")
        self.enter_state(leg, "CS_INIT")
        leg.state = "CS_ROUTING"
        self.fire_channel(leg, "CHANNEL_CREATE")
        if not self.resources.take_port(leg.uuid):  # sofia_glue_do_invite: "Port Error!"
            log.info("leg %s: No audio RTP ports available!", leg.uuid)
            ringing.channel = leg
            self.hangup(leg, "DESTINATION_OUT_OF_ORDER")
            return
        self.fire_channel(leg, "CHANNEL_ORIGINATE")
        self.enter_state(leg, "CS_ROUTING")
        self.enter_state(leg, "CS_CONSUME_MEDIA")
        if endpoint.behaviour.kind != "not_acceptable":  # a 488 comes before any 180 (trace n)
            self.ring_ready(leg)
            self.set_call_state(leg, "RINGING")
            if originator is not None and not originator.answered:
                self.ring_ready(originator)
        ringing.channel, ringing.behaviour = leg, endpoint.behaviour
        leg.callee = endpoint.callee

    def _far_end_acts(self, ringing: RingingLeg, now: float) -> None:
        """The phone behind a ringing leg answers or refuses when its time comes; the leg's timeout hangs it up."""
        leg, behaviour = ringing.channel, ringing.behaviour
        if leg is None or behaviour is None or not leg.up or ringing.won:
            return
        outcome_at = ringing.outcome_at()
        if outcome_at is not None and now >= outcome_at:
            if behaviour.kind == "busy":
                self.hangup(leg, "USER_BUSY")
            elif behaviour.kind in ("wrong_codec", "not_acceptable"):
                # mod_sofia finds no codec in common in the 200's SDP (and hangs the leg up at once, without
                # CHANNEL_ANSWER), or the phone's 488 says so itself
                self.hangup(leg, "INCOMPATIBLE_DESTINATION")
            else:
                self._leg_answers(ringing)
        elif ringing.deadline is not None and now >= ringing.deadline:
            self.hangup(leg, "NO_ANSWER")

    def _leg_answers(self, ringing: RingingLeg) -> None:
        leg, behaviour = ringing.channel, ringing.behaviour
        assert leg is not None and behaviour is not None
        self._media_up(leg)
        self._mark_answered(leg)
        self.after(behaviour.talk_s, self._far_end_hangs_up, leg)
        key = ringing.variables.get("group_confirm_key")
        if not key:
            ringing.won = True
            return
        extend = ringing.variables.get("group_confirm_timeout", "")
        if extend.isdigit():
            ringing.deadline = self.clock.now() + int(extend) if int(extend) > 0 else None
        if key == "exec":
            ringing.confirm = self.spawn(self._confirm, ringing)
        else:
            log.warning("leg %s: group_confirm_key %s: the simulated agent never presses it", leg.uuid, key)

    def _confirm(self, ringing: RingingLeg) -> None:
        """switch_ivr_originate.c collect_thread_run for ``group_confirm_key=exec``: the app runs on the answered
        leg; if the leg is still up afterwards it is the winner."""
        leg = ringing.channel
        assert leg is not None
        app, _, arg = ringing.variables.get("group_confirm_file", "").partition(" ")
        if not app:
            return
        if not self.execute(leg, app, arg):
            self.hangup(leg, "DESTINATION_OUT_OF_ORDER")
        elif leg.up:
            leg.set_var("group_dial_status", "winner")
            ringing.won = True
            leg.wake()

    def _flip_to_callee(self, leg: Channel) -> None:
        """An originated leg without an A-leg shows the callee as its caller once answered (fs-traces b)."""
        leg.hit_dialplan = True
        _flip_caller_id(leg.profile)
        self.fire_channel(
            leg,
            "CALL_UPDATE",
            pre=[("Direction", "RECV")],
            calling=("switch_channel.c", "switch_channel_flip_cid", 3279),
        )

    def _finish_failed_legs(self, legs: Sequence[RingingLeg]) -> None:
        """Each leg that went down while ringing finishes in its own session (HANGUP_COMPLETE, DESTROY); a
        running confirm app returns (EXECUTE_COMPLETE) first."""

        def finish(leg: Channel, confirm: gevent.Greenlet | None) -> None:
            if confirm is not None:
                confirm.join()
            if leg.other_type != "originator":
                leg.released.set()  # no bridge holds it (api originate); else the originate releases it
            self._finish(leg)

        for leg in legs:
            if leg.channel is not None and not leg.channel.up and not leg.finishing:
                leg.finishing = True
                self.spawn(finish, leg.channel, leg.confirm)

    def _far_end_hangs_up(self, leg: Channel) -> None:
        if leg.up:
            self.hangup(leg, "NORMAL_CLEARING")

    def start_leg_session(self, leg: Channel, extension: list[AppCall]) -> None:
        """An originated leg runs ``&app(...)`` (or an inline/XML extension) in its own session."""
        leg.extension = extension
        self.spawn(self._run_session, leg)

    def start_peer_session(self, leg: Channel) -> None:
        """A B-leg bridged from another session runs no apps of its own: it lives until hung up, or until a
        transfer takes it out of the bridge into a dialplan of its own."""

        def session() -> None:
            # an app its bridge thread runs (run_in_bridge) returns before the session goes on
            self.wait([leg], None, lambda: (not leg.up or leg.redirect is not None) and not leg.bridge_events)
            self._session_loop(leg)

        self.spawn(session)

    @staticmethod
    def pair(a: Channel, b: Channel) -> None:
        """Make ``a`` the originator and ``b`` the originatee (Other-Type / Other-Leg-* and the bridge
        variables)."""
        a.other, a.other_type = b, "originatee"
        b.other, b.other_type = a, "originator"
        for ch, peer in ((a, b), (b, a)):
            SimSwitch._set_bridge_vars(ch, peer)

    @staticmethod
    def _set_bridge_vars(ch: Channel, peer: Channel) -> None:
        ch.set_var("bridge_channel", peer.name)
        ch.set_var("bridge_uuid", peer.uuid)
        ch.set_var("signal_bond", peer.uuid)

    def bridge(self, a: Channel, b: Channel) -> None:
        """switch_ivr_multi_threaded_bridge, run in ``a``'s session until either side hangs up."""
        if a.other is not b:
            self.pair(a, b)
            b.set_var("call_uuid", a.uuid)
        a.bridged_with, b.bridged_with = b.uuid, a.uuid
        a.profile.bridged_us = b.profile.bridged_us = self.now_us()
        bridge_ids = [("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)]
        self.fire_channel(a, "CHANNEL_BRIDGE", pre=bridge_ids)
        self.enter_state(b, "CS_EXCHANGE_MEDIA")
        for ch, peer in ((a, b), (b, a)):
            if ch is b:  # the B-leg's own bridge thread sets its bridge variables again
                self._set_bridge_vars(b, a)
            self.fire_channel(ch, "CALL_UPDATE", pre=_call_update_headers(peer, *_display(peer, ch, a)))
        for ch in (a, b):
            if ch.caller is not None:
                ch.reached_person = True
                if ch.caller.talk_s is not None:
                    self.after(ch.caller.talk_s, self._far_end_hangs_up, ch)
        # Either side hanging up or being transferred (CF_TRANSFER) ends the bridge; a B-leg left behind alone is
        # hung up (switch_ivr_bridge.c audio_bridge_on_exchange_media), a transferred one goes its own way. Each
        # side's bridge thread dequeues its channel's digits (DTMF) and sends them on to the other phone.
        # A leg whose bridge thread runs an app (run_in_bridge) passes nothing on meanwhile.
        def passing(ch: Channel) -> bool:
            return bool(ch.dtmf_queue) and not ch.bridge_events

        while True:
            self.wait([a, b], None, lambda: a.interrupted or b.interrupted or passing(a) or passing(b))
            if a.interrupted or b.interrupted:
                break
            for ch in (a, b):
                while passing(ch):
                    self.dequeue_dtmf(ch)
        self.wait([a], None, lambda: not a.bridge_events)  # A's own bridge thread: its app returns first
        if b.up and b.redirect is None and switch_true(b.variables.get("park_after_bridge")):
            b.redirect = partial(self._park_session, b)  # switch_ivr_park_session, not a hang-up
        elif b.up and b.redirect is None:
            self.hangup(b, a.hangup_cause or "NORMAL_CLEARING")
        if not b.up:
            b.reported.wait()
        a.bridged_with = b.bridged_with = None
        self.fire_channel(a, "CHANNEL_UNBRIDGE", pre=bridge_ids)
        b.set_var("call_uuid", b.uuid)  # unlinked from the A-leg's call again
        b.released.set()
        b.wake()

    # ---- media
    # -----------------------------------------------------------------------------------------------
    def start_record(self, ch: Channel, path: str) -> None:
        ch.recording = path
        self.fire_channel(ch, "RECORD_START", post=[("Record-File-Path", path)])
        self.fire_channel(
            ch, "MEDIA_BUG_START", pre=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)]
        )

    def stop_record(self, ch: Channel, path: str) -> None:
        ch.recording = None
        ch.set_var("record_completion_cause", "success-maxtime")
        self.fire_channel(
            ch,
            "RECORD_STOP",
            post=[("Record-File-Path", path), ("Record-Completion-Cause", "success-maxtime")],
        )
        self.fire_channel(
            ch, "MEDIA_BUG_STOP", pre=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)]
        )

    def send_dtmf(self, ch: Channel, digits: str) -> None:
        """Digits play_and_get_digits reads as they arrive (received and dequeued at once)."""
        for digit in digits:
            self.fire_dtmf(ch, digit, source="RTP")

    def receive_dtmf(self, ch: Channel, digits: str, source: str) -> None:
        """switch_channel_queue_dtmf: the digits wait on the channel, no event, until an application reads
        them. A bind_meta_app binding sees each digit first (switch_core_session_recv_dtmf runs the channel's
        receive hooks) and keeps its meta sequences off the queue."""
        for digit in digits:
            if not self._meta_takes(ch, digit):
                ch.dtmf_queue.append((digit, source))
        ch.wake()

    def press_keys(self, uuid: str, digits: str) -> None:
        """The phone behind channel ``uuid`` sends ``digits`` now (RFC 2833), e.g. an agent keying ``*1`` on their
        desk phone while bridged: received like any digit (``receive_dtmf``), so a bind_meta_app binding on the
        channel sees them first; the rest go on to the bridged partner. The channel must be up, with media."""
        ch = self._channels.get(uuid)
        if ch is None or not ch.up or not ch.media_up:
            raise ValueError(f"no channel {uuid} with media to press keys on")
        self.receive_dtmf(ch, digits, source="RTP")

    def _meta_takes(self, ch: Channel, digit: str) -> bool:
        """switch_ivr_async.c meta_on_dtmf, digits received: the meta key is taken (a second one in a row goes
        through as itself); the digit after it is taken too and runs its binding, if any. A digit more than 5
        whole seconds after the meta key goes through and ends the sequence."""
        meta = ch.meta
        if meta is None:
            return False
        now = int(self.clock.now())
        if meta.meta_on and now - meta.last_digit > 5:
            meta.meta_on = False
            log.error("%s Meta digit timeout parsing %s", ch.name, digit)
            return False
        meta.last_digit = now
        if digit == meta.key:
            meta.meta_on = not meta.meta_on
            return meta.meta_on
        if not meta.meta_on:
            return False
        meta.meta_on = False
        binding = meta.apps.get(digit)
        if binding is None:
            log.warning("%s Ignoring meta digit '%s' not mapped", ch.name, digit)
            return True
        if binding.once:
            del meta.apps[digit]
        self._run_meta_app(ch, binding)
        return True

    def _run_meta_app(self, ch: Channel, binding: MetaApp) -> None:
        """switch_ivr_broadcast of the bound ``app::arg`` (a bare path is played) on this leg or its partner, with
        ``hold-bleg`` (switch_ivr_bind_dtmf_meta_session adds SMF_HOLD_BLEG to every binding). A bridged leg's own
        bridge thread runs it at once; any other leg finds it queued (``deliver_message``)."""
        target = self._channels.get(ch.bridged_with or "") if binding.on_partner else ch
        if target is None or not target.up:
            return
        self.deliver_message(target, Message("execute", parse_broadcast_path(binding.app), hold_bleg=True,
                                             event_lock=True))

    def _park_session(self, ch: Channel) -> None:
        """switch_ivr.c switch_ivr_park_session: CS_PARK, whose state handler parks the channel (switch_ivr_park,
        CHANNEL_PARK) without running the park application."""
        from ccswitch.sim.apps import park

        self.enter_state(ch, "CS_PARK")
        park(self, ch, "")

    def run_in_bridge(self, ch: Channel, message: Message) -> None:
        """A private event on a bridged leg: the leg's own bridge thread runs it at once (switch_ivr_bridge.c
        audio_bridge_thread -> switch_ivr_parse_next_event) and passes none of the leg's digits on meanwhile: an
        app such as ``read`` dequeues them itself."""
        ch.bridge_events += 1

        def run() -> None:
            try:
                self._execute_message(ch, message)
            finally:
                ch.bridge_events -= 1
                ch.wake()

        self.spawn(run)

    def stop_broadcast(self, ch: Channel) -> None:
        """switch_channel.h switch_channel_stop_broadcast: a running sendmsg / broadcast app stops, loops and all."""
        if ch.broadcasting:
            ch.stop_broadcast = True
            ch.break_requested = True
            ch.wake()

    def dequeue_dtmf(self, ch: Channel) -> str:
        """switch_channel_dequeue_dtmf: the next queued digit, announced by a DTMF event."""
        digit, source = ch.dtmf_queue.popleft()
        self.fire_dtmf(ch, digit, source)
        return digit

    def fire_dtmf(self, ch: Channel, digit: str, source: str) -> None:
        self.fire_channel(ch, "DTMF", post=[("DTMF-Digit", digit), ("DTMF-Duration", "2000"), ("DTMF-Source", source)])

    def set_read_codec(self, ch: Channel, codec: tuple[str, str, str]) -> None:
        """switch_core_session_set_read_codec (eavesdrop reads L16 while it runs, then restores the codec)."""
        name, rate, bit_rate = codec
        post = [
            ("channel-read-codec-name", name),
            ("channel-read-codec-rate", rate),
            ("channel-read-codec-bit-rate", bit_rate),
        ]
        calling = ("switch_core_codec.c", "switch_core_session_set_read_codec", 300)
        self.fire_channel(ch, "CODEC", post=post, calling=calling)

    @property
    def eavesdrops(self) -> Mapping[str, Eavesdrop]:
        """Eavesdropping channel uuid -> its target and current mode (changed by DTMF 0/1/2/3)."""
        return MappingProxyType({uuid: ch.eavesdrop for uuid, ch in self._channels.items() if ch.eavesdrop})


@dataclass(frozen=True)
class Behaviour:
    """How the far end of an outbound leg reacts: ``answer`` after ``answer_after_s`` and hang up after
    ``talk_s``, ``busy`` after ``busy_after_s``, ``no_answer``, or fail for want of a common codec: ``wrong_codec``
    (a 200 after ``answer_after_s``) or ``not_acceptable`` (a 488 after ``busy_after_s``)."""

    kind: str
    answer_after_s: float = 1.0
    busy_after_s: float = 0.2
    talk_s: float = 30.0


@dataclass
class RingingLeg:
    """One leg of a ring group while originate waits: planned (``channel`` None until ``start_at``), failed at
    creation (``cause``), or ringing / confirming / won."""

    target: DialTarget
    variables: dict[str, str]
    start_at: float
    deadline: float | None
    channel: Channel | None = None
    behaviour: Behaviour | None = None
    cause: str | None = None
    confirm: gevent.Greenlet | None = None
    won: bool = False
    finishing: bool = False

    def outcome_at(self) -> float | None:
        """When the far end answers or refuses (None: it never does, or it already answered)."""
        if self.behaviour is None or self.channel is None or self.channel.answered:
            return None
        after = {"answer": self.behaviour.answer_after_s, "busy": self.behaviour.busy_after_s,
                 "wrong_codec": self.behaviour.answer_after_s, "not_acceptable": self.behaviour.busy_after_s}
        return self.start_at + after[self.behaviour.kind] if self.behaviour.kind in after else None

    def next_change(self) -> float | None:
        """The next time the wait loop must look at this leg."""
        if self.channel is None:
            return self.start_at if self.cause is None else None
        if not self.channel.up or self.won:
            return None
        times = [t for t in (self.outcome_at(), self.deadline) if t is not None]
        return min(times) if times else None


def _display(peer: Channel, ch: Channel, originator: Channel) -> tuple[str, str]:
    """switch_ivr_bridge.c send_display: the (name, number) ``peer`` shows ``ch`` at the bridge. The originator
    shows the other leg's own caller ID; the originated leg shows its callee ID (whom the call reached)."""
    if peer is originator:
        return (ch.profile.caller_id_name or peer.profile.caller_id_name,
                ch.profile.caller_id_number or peer.profile.caller_id_number)
    return peer.profile.callee_id_name, peer.profile.callee_id_number or peer.profile.destination_number


def _call_update_headers(peer: Channel, name: str, number: str) -> list[tuple[str, str]]:
    return [
        ("Direction", "SEND"),
        ("Sent-Callee-ID-Name", name or number),
        ("Sent-Callee-ID-Number", number),
        ("Bridged-To", peer.uuid),
    ]


def _flip_caller_id(profile: CallerProfile) -> None:
    """switch_channel_flip_cid: an originated leg without an A-leg shows the callee as its caller once
    answered."""
    profile.caller_id_name, profile.callee_id_name = profile.callee_id_name, profile.caller_id_name
    profile.caller_id_number, profile.callee_id_number = profile.callee_id_number, profile.caller_id_number


def _set_dialed_user(leg: Channel, originator: Channel | None, user_at_domain: str) -> None:
    """mod_dptools.c user_outgoing_channel: the leg ringing a directory user carries ``dialed_user`` /
    ``dialed_domain`` (and ``presence_id`` unless the dial string gave one); the calling session gets the first two
    as well."""
    user, _, domain = user_at_domain.partition("@")
    leg.set_var("dialed_user", user)
    leg.set_var("dialed_domain", domain)
    if "presence_id" not in leg.variables:
        leg.set_var("presence_id", user_at_domain)
    if originator is not None:
        originator.set_var("dialed_user", user)
        originator.set_var("dialed_domain", domain)


def _inherited(originator: Channel) -> dict[str, str]:
    # Variables exported with export / the nolocal: prefix travel to the B-leg (switch_ivr_originate).
    names = originator.variables.get("export_vars", "")
    return {name: originator.variables[name] for name in names.split(",") if name in originator.variables}


def _leg_timeout(variables: Mapping[str, str], timeout_s: float | None) -> float:
    for name in ("leg_timeout", "originate_timeout", "call_timeout"):
        if variables.get(name, "").isdigit():
            return float(variables[name])
    return timeout_s if timeout_s is not None else _DEFAULT_RING_TIMEOUT_S
