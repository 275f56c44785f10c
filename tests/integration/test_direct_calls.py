"""Direct calls, controller <-> simulator over TCP: an agent whose phone is busy on a call that is not the
controller's (they dial out, or a colleague rings them) is skipped by routing until that call ends. The phone is
recognised from what FreeSWITCH sets on CHANNEL_CREATE (``sip_authorized`` + ``user_name`` on a call it makes,
``dialed_user`` on a leg ringing it), which the controller's own agent legs carry too."""

from __future__ import annotations

from collections.abc import Callable

from ccswitch.acd.agents import AgentState, TakeBreak
from ccswitch.engine import Phase
from ccswitch.history.model import ContactRecord
from ccswitch.sim import AgentPhone, CallerScript, GatewayCallee

from .conftest import ContactCentre, wait_until
from .switch_log import SwitchLog

Factory = Callable[..., ContactCentre]


def on_break(centre: ContactCentre, *agents: str) -> None:
    for agent_id in agents:
        centre.controller.agent_action(agent_id, TakeBreak("lunch"))


def offered_to(centre: ContactCentre, extension: str) -> list[str]:
    return [c for c in centre.server.commands_received if f"]user/{extension}" in c or f"}}user/{extension}" in c]


def on_hold(log: SwitchLog, caller: str) -> bool:
    """The controller queued the caller with music: it found no agent to ring when they joined."""
    return any(e.get("Playback-File-Path") == "local_stream://moh" for e in log.of(caller, "PLAYBACK_START"))


def hang_up(centre: ContactCentre, uuid: str) -> None:
    channel = centre.switch.channel(uuid)
    assert channel is not None
    centre.switch.hangup(channel)


def test_an_agent_who_dials_out_is_not_offered_a_support_call_until_they_hang_up(centre_factory: Factory) -> None:
    centre = centre_factory()
    centre.switch.gateway_callee = GatewayCallee(person_probability=1.0, answer_after_s=1, talk_s=600)
    engine = centre.controller.engine
    log = SwitchLog(centre.switch)
    on_break(centre, "1003", "1005", "1006", "1007")  # 1004 alone serves support
    direct = centre.switch.place_direct_call("1004", "79031234567")
    wait_until(lambda: engine.agents["1004"].direct_calls == 1, what="1004's phone to be seen busy")
    (created,) = log.of(direct, "CHANNEL_CREATE")
    assert (created.get("variable_sip_authorized"), created.get("variable_user_name")) == ("true", "1004")
    assert engine.direct_calls == {direct: ("fs1", "1004")}
    assert engine.agents["1004"].state is AgentState.AVAILABLE  # not a state of its own: only skipped

    caller = centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600))
    wait_until(lambda: on_hold(log, caller), what="the caller to wait with music")  # 1004 looks free, is not rung
    assert engine.calls[caller].phase is Phase.QUEUED and offered_to(centre, "1004") == []

    hang_up(centre, direct)
    wait_until(lambda: engine.calls[caller].phase is Phase.CONNECTED, what="1004 to take the call once free")
    assert engine.calls[caller].agent == "1004" and len(offered_to(centre, "1004")) == 1
    # the controller's own leg to 1004 carries dialed_user too, and is not taken for a direct call
    leg = engine.calls[caller].agent_leg
    assert leg is not None and log.of(leg, "CHANNEL_CREATE")[0].get("variable_dialed_user") == "1004"
    assert engine.direct_calls == {} and engine.agents["1004"].direct_calls == 0


def test_agents_on_a_call_between_them_are_both_skipped_until_it_ends(centre_factory: Factory) -> None:
    centre = centre_factory(phones=(AgentPhone("1004", answer_after_s=1, talk_s=600),))
    engine = centre.controller.engine
    log = SwitchLog(centre.switch)
    on_break(centre, "1003", "1005", "1006", "1007", "1009")  # support: 1004 alone; operator: 1008 alone
    direct = centre.switch.place_direct_call("1008", "1004")  # an operator rings a support colleague
    wait_until(lambda: engine.agents["1004"].direct_calls == 1 and engine.agents["1008"].direct_calls == 1,
               what="both phones to be seen busy")
    rung = next(uuid for uuid, (_node, agent) in engine.direct_calls.items() if agent == "1004")
    (created,) = log.of(rung, "CHANNEL_CREATE")
    assert (created.get("Call-Direction"), created.get("variable_dialed_user")) == ("outbound", "1004")

    support_caller = centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600))
    operator_caller = centre.switch.place_call(CallerScript(dtmf=("0",), patience_s=600, caller_number="79990000002"))
    wait_until(lambda: on_hold(log, support_caller) and on_hold(log, operator_caller), what="both callers to wait")
    wait_until(lambda: centre.switch.channels[direct].bridged_with == rung, what="the colleagues to talk")
    assert offered_to(centre, "1004") == [] and offered_to(centre, "1008") == []

    hang_up(centre, rung)  # 1004 hangs up; the calling phone's leg follows (hangup_after_bridge)
    wait_until(lambda: engine.calls[support_caller].phase is Phase.CONNECTED
               and engine.calls[operator_caller].phase is Phase.CONNECTED, what="both agents to take a queue call")
    assert (engine.calls[support_caller].agent, engine.calls[operator_caller].agent) == ("1004", "1008")
    assert engine.direct_calls == {}


def test_an_agent_who_rings_the_service_number_from_their_phone_is_a_caller_like_any_other(
    centre_factory: Factory,
) -> None:
    records: list[object] = []
    centre = centre_factory(record=records.append)
    engine = centre.controller.engine
    on_break(centre, "1007", "1008", "1009")  # nobody to answer the operator queue
    call = centre.switch.place_call(CallerScript(dtmf=("0",), patience_s=20, caller_number="1005"), from_phone="1005")
    wait_until(lambda: call in engine.waiting["operator"], what="the agent's call to queue")
    assert engine.agents["1005"].direct_calls == 1  # their own phone is busy meanwhile

    wait_until(lambda: call not in centre.switch.channels, what="them to give up")
    wait_until(lambda: not engine.direct_calls, what="the hang-up to reach the controller")
    assert engine.agents["1005"].direct_calls == 0
    # the same hang-up ends the queue call: abandoned, out of the queue, in the history
    assert call not in engine.calls and engine.waiting["operator"] == {}
    assert engine.store.all_entries().get("operator", []) == []
    assert engine.stats.queues["operator"].abandoned == 1
    assert [r.outcome for r in records if isinstance(r, ContactRecord) and r.call_uuid == call] == ["abandoned"]
