"""The simulated switch, put together: ``SimSwitch`` is the core (``core``: channels, events, states), the
channels' sessions (``session``), the calls between them (``calls``) and the dialplan applications (``apps``),
plugged in here as they drive all of them. The calls that reach it from outside come in here as well, as sofia takes
them: a caller's INVITE from the trunk or a registered phone, a phone's own call, its keys and its blind transfer.
"""

from __future__ import annotations

import logging
import uuid as uuid_lib
from functools import partial

from ccswitch.sim import people
from ccswitch.sim.apps import APPS
from ccswitch.sim.calls import CallSwitch
from ccswitch.sim.channel import CallerProfile, Channel
from ccswitch.sim.core import DEFAULT_MODULES, ChannelView, Executed, Hangup
from ccswitch.sim.dialstring import AppCall
from ccswitch.sim.scripts import CallerScript
from ccswitch.sim.session import BoundApp

__all__ = ["DEFAULT_MODULES", "ChannelView", "Executed", "Hangup", "SimSwitch"]

log = logging.getLogger(__name__)


class SimSwitch(CallSwitch):
    """A simulated FreeSWITCH node (``EslServer(switch)`` serves it over ESL)."""

    def application(self, name: str) -> BoundApp | None:
        """One of ``ccswitch.sim.apps``, bound to this switch."""
        run = APPS.get(name)
        return None if run is None else partial(run, self)

    # ---- calls placed from outside (sofia)
    # -------------------------------------------------------------------
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
        self.spawn(people.caller_gives_up, self, ch)
        if script.keys:
            self.spawn(people.caller_keys, self, ch)
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

    def press_keys(self, uuid: str, digits: str) -> None:
        """The phone behind channel ``uuid`` sends ``digits`` now (RFC 2833), e.g. an agent keying ``*1`` on their
        desk phone while bridged: received like any digit (``receive_dtmf``), so a bind_meta_app binding on the
        channel sees them first; the rest go on to the bridged partner. The channel must be up, with media."""
        ch = self._channels.get(uuid)
        if ch is None or not ch.up or not ch.media_up:
            raise ValueError(f"no channel {uuid} with media to press keys on")
        self.receive_dtmf(ch, digits, source="RTP")
