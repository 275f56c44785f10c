"""Overload over TCP: a simulated switch with few RTP ports, callers arriving past them. With the node's port range
configured as the switch's, admission turns the callers beyond the reserve away with a cause and the switch drops
nobody; with it configured too wide, the switch drops the callers it cannot answer, and each is logged and counted.
A burst of callers on a node with a small per-second budget: their agents' legs wait for it, and the switch
refuses nobody."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ccswitch.admission import Reserve
from ccswitch.config import Config
from ccswitch.config.model import OverloadConfig
from ccswitch.engine import Phase
from ccswitch.routing.steps import Step, ToCallback, ToQueue
from ccswitch.sim import CallerScript
from ccswitch.sim.limits import SwitchLimits

from .conftest import ContactCentre, wait_until

SIX_PORTS = SwitchLimits(max_sessions=500, sessions_per_second=40, rtp_start_port=20000,
                         rtp_end_port=20010)  # 20000, 20002 ... 20010
CALLERS = 10


def queue_with_nobody_logged_in(ports_to: int, then: Step | None = None) -> Callable[[Config], Config]:
    """Every caller goes straight to sales, where no agent is logged in: answered, they wait with music (a port
    each). The node's RTP range ends at ``ports_to``; one port is kept in reserve; callers beyond go to ``then``."""
    def configure(config: Config) -> Config:
        node = replace(config.nodes[0], rtp_start_port=20000, rtp_end_port=ports_to)
        agents = {agent_id: replace(agent, login="logged_out") for agent_id, agent in config.agents.items()}
        overload = OverloadConfig(reserve=Reserve(media_ports=1))
        return replace(config, nodes=(node,), agents=agents,
                       dialplan=replace(config.dialplan, rules=(), default=ToQueue("sales")),
                       overload=overload if then is None else replace(overload, then=then))
    return configure


def arrive(centre: ContactCentre) -> list[str]:
    calls = [centre.switch.place_call(CallerScript(patience_s=600, caller_number=f"7916000{index:04d}"))
             for index in range(CALLERS)]
    wait_until(lambda: all(call in centre.controller.engine.calls or any(h.uuid == call for h in centre.switch.hangups)
                           for call in calls) and len(centre.controller.engine.calls) + len(centre.switch.hangups)
               >= CALLERS, what="every caller handled")
    return calls


def sample(centre: ContactCentre, name: str, **labels: str) -> float | None:
    return centre.controller.metrics.registry.get_sample_value(name, labels)


def test_callers_beyond_the_media_ports_overflow_with_a_cause_and_the_switch_drops_none(
        centre_factory: Callable[..., ContactCentre]) -> None:
    centre = centre_factory(configure=queue_with_nobody_logged_in(20010), limits=SIX_PORTS)
    calls = arrive(centre)
    # 6 ports, 1 in reserve, 1 for each admitted caller's future agent leg: 4 callers wait, 6 hear "busy"
    wait_until(lambda: len(centre.switch.hangups) == 6, what="six overflowed callers hung up")
    assert {h.cause for h in centre.switch.hangups} == {"NORMAL_CIRCUIT_CONGESTION"}
    assert [h.uuid for h in centre.switch.hangups] == calls[4:]
    assert all(centre.switch.channels[call].answered for call in calls[:4])
    assert not any(centre.switch.channels.get(call, None) and centre.switch.channels[call].answered
                   for call in calls[4:])  # turned away unanswered: no port, no charge
    assert sample(centre, "ccswitch_admission_overflows_total", node="fs1", cause="media_ports") == 6
    assert sample(centre, "ccswitch_node_media_ports", node="fs1") == 4
    assert sample(centre, "ccswitch_node_capacity", node="fs1", limit="media_ports") == 6
    wait_until(lambda: sample(centre, "ccswitch_node_capacity", node="fs1", limit="sessions") == 500,
               what="the session limit read from the switch (api status)")
    assert sample(centre, "ccswitch_node_capacity", node="fs1", limit="sessions_per_second") == 40
    assert sample(centre, "ccswitch_calls_dropped_by_switch_total", node="fs1", cause="DESTINATION_OUT_OF_ORDER") == 0


def test_callers_beyond_the_media_ports_may_leave_a_callback_request_without_being_answered(
        centre_factory: Callable[..., ContactCentre]) -> None:
    centre = centre_factory(configure=queue_with_nobody_logged_in(20010, ToCallback("support", confirm=False)),
                            limits=SIX_PORTS)
    calls = arrive(centre)
    wait_until(lambda: len(centre.switch.hangups) == 6, what="six overflowed callers hung up")
    assert {h.cause for h in centre.switch.hangups} == {"USER_BUSY"}
    assert not any(centre.switch.channels.get(call, None) and centre.switch.channels[call].answered
                   for call in calls[4:])  # never answered: no port, no charge
    wait_until(lambda: centre.controller.engine.callbacks_pending()["support"] == 6,
               what="six callbacks waiting for a support agent")
    assert sample(centre, "ccswitch_admission_overflows_total", node="fs1", cause="media_ports") == 6


def test_a_node_configured_wider_than_the_switch_sees_its_callers_dropped_and_counts_them(
        centre_factory: Callable[..., ContactCentre]) -> None:
    centre = centre_factory(configure=queue_with_nobody_logged_in(32768), limits=SIX_PORTS)
    arrive(centre)
    wait_until(lambda: len(centre.switch.hangups) == 4, what="four callers dropped by the switch")
    assert {h.cause for h in centre.switch.hangups} == {"DESTINATION_OUT_OF_ORDER"}
    wait_until(lambda: sample(centre, "ccswitch_calls_dropped_by_switch_total", node="fs1",
                              cause="DESTINATION_OUT_OF_ORDER") == 4, what="the drops counted")
    wait_until(lambda: sample(centre, "ccswitch_esl_command_failures_total", node="fs1", command="Answer") == 4,
               what="the failed answers counted")


def straight_to_a_ringing_queue(*, agents_logged_in: bool) -> Callable[[Config], Config]:
    """Callers go straight to sales, which keeps them ringing (unanswered) up to 30 s."""
    def configure(config: Config) -> Config:
        queues = {**config.queues, "sales": replace(config.queues["sales"], unanswered_wait_s=30,
                                                    announcements=None)}
        agents = config.agents if agents_logged_in else {
            agent_id: replace(agent, login="logged_out") for agent_id, agent in config.agents.items()}
        return replace(config, queues=queues, agents=agents,
                       dialplan=replace(config.dialplan, rules=(), default=ToQueue("sales")))
    return configure


def test_a_caller_left_ringing_is_answered_by_the_agents_answer_and_holds_no_port_before(
        centre_factory: Callable[..., ContactCentre]) -> None:
    centre = centre_factory(configure=straight_to_a_ringing_queue(agents_logged_in=True))
    call = centre.switch.place_call(CallerScript(patience_s=600))
    wait_until(lambda: call in centre.controller.engine.calls and centre.controller.engine.calls[call].agent_leg
               is not None, what="the caller connected to an agent")
    caller, agent = centre.switch.channel(call), centre.switch.channel(centre.controller.engine.calls[call].agent_leg)
    assert caller is not None and agent is not None and caller.bridged_with == agent.uuid
    # answered when the agent answered (their phone picks up after 2 s), never before, by us
    assert caller.answered and caller.profile.answered_us >= agent.profile.answered_us > 0
    assert not any(h.uuid == call for h in centre.switch.hangups)


def test_a_caller_left_ringing_with_nobody_free_is_answered_after_the_queues_wait(
        centre_factory: Callable[..., ContactCentre]) -> None:
    centre = centre_factory(configure=straight_to_a_ringing_queue(agents_logged_in=False))
    call = centre.switch.place_call(CallerScript(patience_s=600))
    wait_until(lambda: call in centre.controller.engine.calls, what="the caller queued")
    assert not centre.switch.channels[call].answered and centre.switch.resources.ports_in_use == 0
    wait_until(lambda: centre.switch.channels[call].answered, timeout=10, what="the answer after 30 s")
    assert centre.clock.now() - centre.controller.engine.calls[call].arrived_at >= 30
    wait_until(lambda: any(run.uuid == call and run.app == "playback" for run in centre.switch.executed),
               what="the queue's music")


def test_agent_legs_beyond_the_nodes_per_second_budget_wait_for_it_and_the_switch_refuses_nobody(
        centre_factory: Callable[..., ContactCentre]) -> None:
    def straight_to_support(config: Config) -> Config:
        return replace(config, dialplan=replace(config.dialplan, rules=(), default=ToQueue("support")))
    centre = centre_factory(configure=straight_to_support, limits=SwitchLimits(sessions_per_second=6))
    wait_until(lambda: sample(centre, "ccswitch_node_capacity", node="fs1", limit="sessions_per_second") == 6,
               what="the budget read from the switch (api status): 5 channels a second")
    engine = centre.controller.engine
    calls = [centre.switch.place_call(CallerScript(patience_s=600)) for _ in range(4)]  # 5 agents free
    # 4 callers and their 4 agents' legs in one second would be 8: the legs go 2 a second once the callers' second
    # has passed (3 of the 5 kept for callers still arriving at 0.8 a second)
    wait_until(lambda: all(call in engine.calls and engine.calls[call].phase is Phase.CONNECTED for call in calls),
               timeout=10, what="every caller connected to an agent")
    assert centre.switch.refused_calls == []
    assert not engine.offer_failures  # no agent leg refused (DESTINATION_OUT_OF_ORDER: "Throttle Error!")
    assert (sample(centre, "ccswitch_channel_deferrals_total", node="fs1") or 0) > 0
