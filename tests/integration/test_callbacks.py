"""Callbacks, controller <-> simulator over TCP: a support caller presses 1, hears the confirmation and hangs up
keeping their place; when an agent is free their phone is rung first (bgapi originate ... &park()), then the
caller's number is dialled through the ``trunk`` gateway from the agent's leg and the two are bridged. Retries
after ``retry_s``, giving up after the last attempt, an agent who does not answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType

from ccswitch.acd.agents import AgentState, Ready, TakeBreak
from ccswitch.calls import CallAction, CallSession
from ccswitch.config import Config
from ccswitch.controller import Controller
from ccswitch.engine import Engine, Phase
from ccswitch.feature_codes import FEATURE_KEYS
from ccswitch.history.model import ContactRecord
from ccswitch.media.recording import RecordingMode, RecordingPolicy
from ccswitch.sim import AgentPhone, CallerScript, GatewayCallee, Hangup
from ccswitch.sim.dialstring import AppCall

from .conftest import ContactCentre, wait_until
from .switch_log import SwitchLog, at

Factory = Callable[..., ContactCentre]
NUMBER = "79161112233"
SUPPORT = ("1003", "1004", "1005", "1006", "1007")
ANSWERS = GatewayCallee(person_probability=1.0, answer_after_s=3, talk_s=10)
NOBODY_ANSWERS = GatewayCallee(person_probability=0, machine_probability=0, busy_probability=0)


def support(attempts: int = 3, retry_s: int = 120, ring_timeout_s: int = 40) -> Callable[[Config], Config]:
    """The shipped support queue (callback policy as given, shipped by default), its first announcement after 5 s."""

    def configure(config: Config) -> Config:
        queue = config.queues["support"]
        assert queue.callback is not None and queue.announcements is not None
        policy = replace(queue.callback, attempts=attempts, retry_s=retry_s, ring_timeout_s=ring_timeout_s)
        changed = replace(queue, callback=policy,
                          announcements=replace(queue.announcements, first_after_s=5))
        return replace(config, queues=MappingProxyType({**config.queues, "support": changed}))

    return configure


def on_break(centre: ContactCentre, *agents: str) -> None:
    for agent_id in agents:
        centre.controller.agent_action(agent_id, TakeBreak("lunch"))


def asks_for_a_callback(centre: ContactCentre) -> str:
    """A support caller who presses 1 while waiting; returns once they have hung up after the confirmation."""
    caller = centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600, caller_number=NUMBER,
                                                   keys=((3.0, "1"),)))
    wait_until(lambda: caller in centre.controller.engine.calls, what="the call")
    wait_until(lambda: caller not in centre.switch.channels, what="the caller to hang up after the confirmation")
    return caller


def contact(records: list[object], call: str) -> ContactRecord | None:
    return next((r for r in records if isinstance(r, ContactRecord) and r.call_uuid == call), None)


def callback_of(engine: Engine, caller: str) -> CallSession:
    """The callback ``caller`` asked for: each attempt names it by the leg that dials them."""
    return next(s for s in engine.calls.values() if (s.contact_uuid or s.uuid) == caller)


def talking_callback(centre: ContactCentre) -> CallSession:
    """A support caller asks for a callback; 1004, the only agent back from a break, calls them; the caller answers
    and stays on the line."""
    centre.switch.gateway_callee = GatewayCallee(person_probability=1.0, answer_after_s=1, talk_s=600)
    on_break(centre, *SUPPORT)
    caller = asks_for_a_callback(centre)
    centre.controller.agent_action("1004", Ready())
    engine = centre.controller.engine
    wait_until(lambda: callback_of(engine, caller).phase is Phase.CONNECTED, what="the callback to connect")
    return callback_of(engine, caller)


def originates(centre: ContactCentre) -> list[str]:
    return [c.split("\n")[0] for c in centre.server.commands_received if c.startswith("bgapi originate")]


def gateway_legs(centre: ContactCentre, log: SwitchLog) -> list[str]:
    return [e.get("Unique-ID") or "" for e in log.events
            if e.name == "CHANNEL_CREATE" and e.get("Channel-Name") == f"sofia/gateway/trunk/{NUMBER}"]


def test_a_caller_who_presses_1_keeps_their_place_and_is_called_back_agent_first(centre_factory: Factory) -> None:
    records: list[object] = []
    centre = centre_factory(configure=support(), record=records.append)
    centre.switch.gateway_callee = ANSWERS
    engine = centre.controller.engine
    log = SwitchLog(centre.switch)
    on_break(centre, *SUPPORT)
    caller = asks_for_a_callback(centre)

    confirm = centre.controller.config.prompt_path("queue/callback_confirm")
    assert centre.switch.apps_on(caller)[-1] == AppCall("playback", confirm)
    assert log.of(caller, "PLAYBACK_STOP")[-1].get("Playback-Status") == "done"  # heard to the end
    (hung_up,) = log.of(caller, "CHANNEL_HANGUP")
    assert log.index(log.of(caller, "CHANNEL_EXECUTE_COMPLETE")[-2]) < log.index(hung_up)  # the confirmation, then
    assert Hangup(caller, "NORMAL_CLEARING") in centre.switch.hangups
    assert engine.callbacks_pending()["support"] == 1
    pending = centre.controller.metrics.registry.get_sample_value("ccswitch_queue_callbacks_pending",
                                                                  {"queue": "support"})
    assert pending == 1
    assert [e.callback for e in centre.controller.engine.store.all_entries()["support"]] == [NUMBER]

    later = centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600, caller_number="79990000002"))
    numbers = centre.controller.config.media.switch_sounds_dir + "/numbers/en/"
    wait_until(lambda: any(numbers in path for _, path in log.started(later, "playback")),
               what="the later caller's announcement")
    position = next(path for _, path in log.started(later, "playback") if numbers in path)
    assert position == f"file_string://{numbers}digits/2.wav"  # the callback is ahead of them

    centre.controller.agent_action("1004", Ready())
    wait_until(lambda: callback_of(engine, caller).phase is Phase.CONNECTED, what="the callback to connect")
    session = callback_of(engine, caller)
    agent_leg, callee = session.agent_leg, session.callee_leg
    assert agent_leg is not None and callee == session.uuid and session.agent == "1004"
    (originate,) = originates(centre)
    assert originate.endswith("user/1004' &park()") and f"origination_uuid={agent_leg}" in originate
    assert f"origination_caller_id_number={NUMBER}" in originate  # the agent's phone shows who they will call
    # once answered: the feature code bindings (execute_on_answer), then park
    binds = len(FEATURE_KEYS)
    assert [app.app for app in centre.switch.apps_on(agent_leg)][:binds + 1] == ["bind_meta_app"] * binds + ["park"]
    (dial,) = [app for app in centre.switch.apps_on(agent_leg) if app.app == "bridge"]
    assert dial.arg.endswith(f"sofia/gateway/trunk/{NUMBER}") and "origination_caller_id_number=88005550556" in dial.arg
    (answered,), (created,) = log.of(agent_leg, "CHANNEL_ANSWER"), log.of(callee, "CHANNEL_CREATE")
    assert log.index(answered) < log.index(created)  # the agent first, then the caller's number is dialled
    assert created.get("Caller-Caller-ID-Number") == "88005550556"
    assert centre.switch.channels[agent_leg].bridged_with == callee
    assert log.of(agent_leg, "CHANNEL_CREATE")[0].get("variable_dialed_user") == "1004"
    assert engine.direct_calls == {} and engine.agents["1004"].direct_calls == 0  # our own leg: no direct call
    assert engine.calls[later].phase is Phase.QUEUED  # the callback went first

    wait_until(lambda: contact(records, caller) is not None, what="the callback's history record")
    record = contact(records, caller)
    assert record is not None
    assert (record.callback, record.outcome, record.agent, record.queue) == (True, "answered", "1004", "support")
    assert record.caller_number == NUMBER and record.talk_s >= 9
    assert engine.callbacks_pending()["support"] == 0 and engine.stats.queues["support"].answered == 1
    assert engine.store.all_entries().get("support", []) == [engine.waiting["support"][later]]


def test_an_unanswered_callback_is_tried_again_after_retry_s_then_given_up_as_abandoned(
    centre_factory: Factory,
) -> None:
    records: list[object] = []
    centre = centre_factory(configure=support(attempts=2, retry_s=10, ring_timeout_s=5), record=records.append)
    centre.switch.gateway_callee = NOBODY_ANSWERS
    engine = centre.controller.engine
    log = SwitchLog(centre.switch)
    on_break(centre, *SUPPORT)
    caller = asks_for_a_callback(centre)
    centre.controller.agent_action("1004", Ready())  # 1004 takes the callbacks
    wait_until(lambda: contact(records, caller) is not None, timeout=6, what="the callback to be given up")

    first, second = gateway_legs(centre, log)
    assert Hangup(first, "NO_ANSWER") in centre.switch.hangups and Hangup(second, "NO_ANSWER") in centre.switch.hangups
    (first_rang,), (first_gone,) = log.of(first, "CHANNEL_CREATE"), log.of(first, "CHANNEL_HANGUP")
    assert 4.9 <= at(first_gone) - at(first_rang) <= 5.6  # ring_timeout_s
    (second_rang,) = log.of(second, "CHANNEL_CREATE")
    assert 10 + 2 <= at(second_rang) - at(first_gone) <= 10 + 2 + 1.5  # retry_s, then the agent answers in 2 s
    assert len(originates(centre)) == 2 and all(o.endswith("user/1004' &park()") for o in originates(centre))
    record = contact(records, caller)
    assert record is not None
    assert (record.callback, record.outcome, record.hangup_cause) == (True, "abandoned", "NO_ANSWER")
    assert record.agent is None and record.answered_at is None
    assert engine.callbacks_pending()["support"] == 0 and caller not in engine.calls
    assert engine.stats.queues["support"].abandoned == 1 and engine.store.all_entries().get("support", []) == []
    assert engine.stats.agents["1004"].missed == 0  # nobody picking up is not the agent's fault
    wait_until(lambda: engine.agents["1004"].state is AgentState.AVAILABLE, what="1004 free again")
    wait_until(lambda: not centre.switch.channels, what="every leg hung up")


def test_an_agent_who_does_not_answer_a_callback_is_charged_a_miss_and_another_agent_takes_it(
    centre_factory: Factory,
) -> None:
    def configure(config: Config) -> Config:
        resting = replace(config.agents["1004"], no_answer_delay_s=600)  # no second offer to 1004 for a while
        return replace(support()(config), agents=MappingProxyType({**config.agents, "1004": resting}))

    records: list[object] = []
    centre = centre_factory(configure=configure, record=records.append,
                            phones=(AgentPhone("1004", behaviour="no_answer"),))
    centre.switch.gateway_callee = ANSWERS
    engine = centre.controller.engine
    on_break(centre, *SUPPORT)
    caller = asks_for_a_callback(centre)
    centre.controller.agent_action("1004", Ready())
    wait_until(lambda: engine.stats.agents["1004"].missed == 1, what="1004 to miss the callback")
    assert len(originates(centre)) == 1 and engine.callbacks_pending()["support"] == 1
    assert callback_of(engine, caller).phase is Phase.CALLBACK and not centre.switch.channels  # no leg was made

    centre.controller.agent_action("1005", Ready())
    wait_until(lambda: contact(records, caller) is not None, what="1005 to call back and talk")
    record = contact(records, caller)
    assert record is not None and (record.callback, record.outcome, record.agent) == (True, "answered", "1005")
    assert [o.rsplit("user/", 1)[1] for o in originates(centre)] == ["1004' &park()", "1005' &park()"]


def test_a_callback_is_recorded_on_the_dialled_leg_and_its_agent_can_transfer_it_to_a_queue(
    centre_factory: Factory,
) -> None:
    def configure(config: Config) -> Config:
        recorded = replace(support()(config).queues["support"], recording=RecordingPolicy(RecordingMode.ALL))
        return replace(support()(config), queues=MappingProxyType({**config.queues, "support": recorded}))

    records: list[object] = []
    centre = centre_factory(configure=configure, record=records.append)
    engine = centre.controller.engine
    session = talking_callback(centre)
    caller, leg = session.contact_uuid, session.uuid
    channel = centre.switch.channel(leg)
    assert channel is not None
    wait_until(lambda: channel.recording is not None, what="the recording to start")
    assert channel.recording is not None and channel.recording.endswith(f"/support/{leg}.wav")

    control = centre.controller.control("1004", CallAction.TRANSFER, queue="operator")
    assert control.call == leg
    wait_until(lambda: engine.stats.queues["operator"].answered == 1, what="an operator to answer")
    moved = engine.calls[leg]
    assert moved.agent in ("1008", "1009") and centre.switch.channels[leg].bridged_with == moved.agent_leg
    wait_until(lambda: engine.agents["1004"].state is AgentState.WRAP_UP, what="1004 to wrap up")
    centre.switch.hangup(channel)
    wait_until(lambda: contact(records, caller) is not None, what="the contact's record")
    record = contact(records, caller)
    assert record is not None and (record.callback, record.transferred_to, record.queue) == (
        True, "queue:operator", "operator")
    assert record.recording_path is not None and record.recording_path.endswith(f"{leg}.wav")


def test_the_agent_on_a_callback_consults_cancels_then_consults_again_and_hands_the_caller_over(
    centre_factory: Factory,
) -> None:
    centre = centre_factory(configure=support())
    engine = centre.controller.engine
    session = talking_callback(centre)
    leg, agent_leg = session.uuid, session.agent_leg
    assert agent_leg is not None

    def consult() -> str:
        centre.controller.control("1004", CallAction.CONSULT, to="1008")
        (target_leg,) = engine._consult_legs
        wait_until(lambda: centre.switch.channels[agent_leg].bridged_with == target_leg, what="agent talks to 1008")
        wait_until(lambda: centre.switch.channels[leg].parked, what="the caller parked, not hung up (a B-leg)")
        return target_leg

    consult()
    centre.controller.control("1004", CallAction.CANCEL)
    wait_until(lambda: centre.switch.channels[leg].bridged_with == agent_leg, what="the caller back with the agent")
    target_leg = consult()
    centre.controller.control("1004", CallAction.COMPLETE)
    wait_until(lambda: centre.switch.channels[leg].bridged_with == target_leg, what="the caller with 1008")
    wait_until(lambda: engine.agents["1004"].state is AgentState.WRAP_UP, what="1004 to wrap up")
    assert centre.switch.channels[leg].variables.get("park_after_bridge") == "false"  # hung up with 1008, later


def test_a_pending_callback_survives_a_controller_restart(centre_factory: Factory) -> None:
    centre = centre_factory(configure=support())
    centre.switch.gateway_callee = ANSWERS
    on_break(centre, *SUPPORT)
    caller = asks_for_a_callback(centre)
    old = centre.controller
    old.stop()

    records: list[object] = []
    centre.controller = Controller(old.config, old.engine.store, centre.clock, tick_s=0.02, record=records.append)
    centre.start_controller()
    engine = centre.controller.engine
    wait_until(lambda: engine.callbacks_pending()["support"] == 1, what="the callback to be taken back from the store")
    assert engine.calls[caller].phase is Phase.CALLBACK and engine.agents["1004"].state is AgentState.ON_BREAK
    centre.controller.agent_action("1004", Ready())
    wait_until(lambda: contact(records, caller) is not None, what="1004 to call back and talk")
    record = contact(records, caller)
    assert record is not None and (record.callback, record.outcome, record.agent) == (True, "answered", "1004")
    assert record.caller_number == NUMBER
