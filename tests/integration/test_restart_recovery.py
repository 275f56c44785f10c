"""A controller killed and started again over real TCP, with calls up on the switch: without a shared store it rebuilds
talking and ringing calls from the agents' live phone legs (a bridged caller's ``application`` says ``playback`` once
the recording announcement ran, fs-traces l); with Redis, an offer ringing at the restart waits for its outcome."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from ccswitch.acd.agents import AgentState
from ccswitch.config import Config
from ccswitch.controller import Controller
from ccswitch.engine import Phase
from ccswitch.history.model import ContactRecord, HistoryRecord
from ccswitch.sim import AgentPhone, CallerScript
from ccswitch.sim.api import execute_api
from ccswitch.store.memory import MemoryStore
from ccswitch.store.redis_store import RedisStore

from .conftest import ContactCentre, build, wait_until

RECORDED = "c0ffee00-0000-4000-8000-000000000001"  # in support's 50% recording sample: hears the announcement
SUPPORT = ("2",)
RECORDING = ("api uuid_broadcast", "api uuid_record")  # once bridged, support's sample is announced and recorded
Factory = Callable[..., ContactCentre]


def listed(centre: ContactCentre, uuid: str) -> dict[str, str]:
    """The switch's ``show channels`` row for ``uuid``."""
    rows = json.loads(execute_api(centre.switch, "show", "channels as json"))["rows"]
    return next(row for row in rows if row["uuid"] == uuid)


def restart(centre: ContactCentre, store: MemoryStore | RedisStore,
            record: Callable[[HistoryRecord], object] | None = None) -> int:
    """Stop the controller and start a new one on ``store``; returns how many commands the switch had received."""
    old = centre.controller
    old.stop()
    received = len(centre.server.commands_received)
    centre.controller = Controller(old.config, store, centre.clock, tick_s=0.02, record=record)
    centre.start_controller()
    return received


def agent_legs(centre: ContactCentre, agent: str) -> list[str]:
    return [uuid for uuid, channel in centre.switch.channels.items() if channel.variables.get("cc_agent") == agent]


def test_without_a_shared_store_a_restart_leaves_a_bridged_call_alone_keeps_its_agent_busy_and_records_its_end(
    centre_factory: Factory,
) -> None:
    records: list[HistoryRecord] = []
    centre = centre_factory()
    centre.switch.place_call(CallerScript(dtmf=SUPPORT, talk_s=600), uuid=RECORDED)
    wait_until(lambda: centre.controller.engine.stats.queues["support"].answered == 1, what="the bridge")
    session = centre.controller.engine.calls[RECORDED]
    agent, agent_leg = session.agent, session.agent_leg
    assert agent is not None and agent_leg is not None
    announcement = centre.controller.config.prompt_path("announce/recorded")
    wait_until(lambda: any(app.arg == announcement for app in centre.switch.apps_on(RECORDED)),
               what="the recording announcement")
    assert listed(centre, RECORDED)["application"] == "playback"  # what misled the old rebuild

    ran = len(centre.switch.apps_on(RECORDED))
    received = restart(centre, MemoryStore(), records.append)
    engine = centre.controller.engine
    # Rebuilt from the agent's live leg: talking, before anything was offered.
    assert engine.calls[RECORDED].phase is Phase.CONNECTED
    assert (engine.calls[RECORDED].agent, engine.calls[RECORDED].agent_leg) == (agent, agent_leg)
    assert engine.agents[agent].state is AgentState.ON_CALL

    # The next caller for support reaches another agent: the talking one is never offered a second call.
    second = centre.switch.place_call(CallerScript(dtmf=SUPPORT, talk_s=600))
    wait_until(lambda: second in engine.calls and engine.calls[second].phase is Phase.CONNECTED,
               what="the second call to be answered")
    assert engine.calls[second].agent != agent
    assert agent_legs(centre, agent) == [agent_leg]
    # Nothing was sent to the bridged caller: no menu, no music, no break, no transfer.
    after = [command.split("\n", 1)[0] for command in centre.server.commands_received[received:]]
    assert [command for command in after if RECORDED in command] == []
    assert "play_and_get_digits" not in [app.app for app in centre.switch.apps_on(RECORDED)[ran:]]

    # The agent's phone hangs up after 60 s: the call's end is recorded, the agent wraps up.
    wait_until(lambda: any(isinstance(r, ContactRecord) and r.call_uuid == RECORDED for r in records), timeout=10,
               what="the contact record")
    (contact,) = [r for r in records if isinstance(r, ContactRecord) and r.call_uuid == RECORDED]
    assert (contact.outcome, contact.agent, contact.queue) == ("answered", agent, "support")
    assert contact.talk_s > 0 and contact.caller_number == "79161234567"
    assert engine.agents[agent].state in (AgentState.WRAP_UP, AgentState.AVAILABLE)
    assert engine.agents[agent].calls_handled == 1


def slow_support(config: Config) -> Config:
    """Support rings for 120 s (6 s of real time at x20): room for a restart while an agent's phone rings."""
    support = replace(config.queues["support"], ring_timeout_s=120)
    return replace(config, queues={**config.queues, "support": support})


def test_without_a_shared_store_a_restart_takes_back_an_offer_ringing_an_agent(centre_factory: Factory) -> None:
    centre = centre_factory(configure=slow_support, phones=(AgentPhone("1003", answer_after_s=40.0, talk_s=60.0),))
    caller = centre.switch.place_call(CallerScript(dtmf=SUPPORT, patience_s=600, talk_s=600))
    wait_until(lambda: len(agent_legs(centre, "1003")) == 1, what="agent 1003's phone to ring")
    (leg,) = agent_legs(centre, "1003")

    restart(centre, MemoryStore())
    engine = centre.controller.engine
    assert engine.calls[caller].phase is Phase.OFFERING and engine.calls[caller].ringing == {"1003": leg}
    assert engine.agents["1003"].state is AgentState.RESERVED
    wait_until(lambda: engine.calls[caller].phase is Phase.CONNECTED, timeout=8, what="the agent to answer")
    assert engine.calls[caller].agent == "1003" and engine.stuck_offers_repaired == 0
    assert agent_legs(centre, "1003") == [leg]


def test_with_redis_an_offer_ringing_at_the_restart_waits_for_the_bridge(redis_url: str) -> None:
    centre = build(configure=slow_support, phones=(AgentPhone("1003", answer_after_s=40.0, talk_s=60.0),))
    centre.controller = Controller(centre.controller.config, RedisStore(redis_url, "restart:"), centre.clock,
                                   tick_s=0.02)
    try:
        centre.start_controller()
        caller = centre.switch.place_call(CallerScript(dtmf=SUPPORT, patience_s=600, talk_s=600))
        wait_until(lambda: len(agent_legs(centre, "1003")) == 1, what="agent 1003's phone to ring")
        (leg,) = agent_legs(centre, "1003")

        received = restart(centre, RedisStore(redis_url, "restart:"))
        engine = centre.controller.engine
        session = engine.calls[caller]
        # The deadline counts from the original offer: its ring timeout plus the grace, not "now" or 0.
        offered_at = engine.agents["1003"].since
        assert session.phase is Phase.OFFERING and session.offer_deadline == offered_at + 120 + 10
        assert session.ringing == {"1003": leg}  # the leg, from the node's list: hung up if taken back
        wait_until(lambda: session.phase is Phase.CONNECTED, timeout=8, what="the agent to answer")
        assert session.agent == "1003" and engine.stuck_offers_repaired == 0
        # Left ringing: the leg was not hung up, the caller not broken into, moved or played music to.
        after = [command.split("\n", 1)[0] for command in centre.server.commands_received[received:]]
        assert [command for command in after if leg in command] == []
        assert [command for command in after if caller in command and not command.startswith(RECORDING)] == []
    finally:
        centre.controller.stop()
        centre.server.stop()
        centre.switch.shutdown()
