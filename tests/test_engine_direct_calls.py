"""Agents busy on direct (non-queue) calls: told from FreeSWITCH's own variables, skipped by routing until the
channel ends, never confused with the controller's own agent legs."""

from __future__ import annotations

from ccswitch.acd.agents import AgentState, TakeBreak
from ccswitch.acd.capacity import VOICE_ONLY, Channel
from ccswitch.channel_events import HungUp, PhoneChannel, from_esl
from ccswitch.config import Config
from ccswitch.effects import ConnectAgent
from ccswitch.engine import Engine
from ccswitch.esl.event import Event
from ccswitch.history import AgentStateRecord, HistoryRecord, OpenAgentState
from ccswitch.store.memory import MemoryStore
from tests.test_engine import CALLER, MONDAY_10AM, Recorder, config, emitted, park, press, queue_for_support

__all__ = ["config", "emitted"]  # fixtures

DIRECT = "d1rec700-0000-4000-8000-000000000001"


def create(headers: dict[str, str]) -> Event:
    return Event(b"", {"Event-Name": "CHANNEL_CREATE", "Unique-ID": DIRECT, **headers}, None)


def test_a_leg_ringing_a_user_is_that_users_phone() -> None:
    event = create({"Call-Direction": "outbound", "variable_dialed_user": "1004",
                    "Caller-Caller-ID-Number": "79161234567"})
    assert from_esl(event) == PhoneChannel(DIRECT, "1004")


def test_a_call_the_phone_makes_is_known_by_its_authenticated_user_not_its_caller_id() -> None:
    event = create({"Call-Direction": "inbound", "variable_sip_authorized": "true", "variable_user_name": "1005",
                    "Caller-Caller-ID-Number": "1004"})
    assert from_esl(event) == PhoneChannel(DIRECT, "1005")


def test_unauthenticated_inbound_channels_and_calling_legs_are_nobodys_phone() -> None:
    trunk = create({"Call-Direction": "inbound", "Caller-Caller-ID-Number": "1004", "variable_user_name": "1004"})
    calling_leg = create({"Call-Direction": "inbound", "variable_dialed_user": "1004"})
    assert from_esl(trunk) is None and from_esl(calling_leg) is None


def started(config: Config, emitted: Recorder) -> Engine:
    engine = Engine(config, MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    return engine


def test_an_agent_on_a_direct_call_is_skipped_until_it_ends(config: Config, emitted: Recorder) -> None:
    engine = started(config, emitted)
    for agent_id in ("1004", "1005", "1006", "1007"):
        engine.handle("fs1", PhoneChannel(f"{DIRECT[:-1]}{agent_id[-1]}", agent_id), MONDAY_10AM - 10)
    assert engine.agents["1004"].direct_calls == 1 and engine.agents["1004"].state is AgentState.AVAILABLE
    park(engine)
    (offer,) = press(engine, emitted, "2", MONDAY_10AM + 3)
    assert isinstance(offer, ConnectAgent) and offer.legs[0].agent_id == "1003"  # the only support agent not busy
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), MONDAY_10AM + 5)
    emitted.take()
    engine.handle("fs1", HungUp(f"{DIRECT[:-1]}4", "NORMAL_CLEARING"), MONDAY_10AM + 6)
    agent = engine.agents["1004"]
    assert agent.direct_calls == 0 and agent.can_take(Channel.VOICE, VOICE_ONLY, MONDAY_10AM + 6)


def test_the_controllers_own_agent_leg_is_not_a_direct_call(config: Config, emitted: Recorder) -> None:
    engine = started(config, emitted)
    leg = queue_for_support(engine, emitted)
    engine.handle("fs1", PhoneChannel(leg.leg, leg.agent_id), MONDAY_10AM + 4)
    assert engine.agents[leg.agent_id].direct_calls == 0 and engine.direct_calls == {}


def test_a_direct_call_that_ended_while_the_controller_was_away_does_not_block_the_agent(
    config: Config, emitted: Recorder
) -> None:
    store = MemoryStore()
    before = Engine(config, store, emitted)
    before.start(MONDAY_10AM - 3600)
    before.handle("fs1", PhoneChannel(DIRECT, "1004"), MONDAY_10AM - 10)
    after = Engine(config, store, emitted)  # a restart: the channel's hang-up was never seen
    after.start(MONDAY_10AM)
    assert after.agents["1004"].direct_calls == 1
    after.reconcile("fs1", [], [], MONDAY_10AM + 1)
    assert after.agents["1004"].direct_calls == 0


def test_a_direct_call_changes_no_state_so_the_agents_interval_goes_on(config: Config, emitted: Recorder) -> None:
    """Only a change of state closes an interval in the history: a direct call starting and ending while the agent
    is available leaves one available interval, not three overlapping ones."""
    written: list[HistoryRecord] = []
    engine = Engine(config, MemoryStore(), emitted, record=written.append)
    engine.start(MONDAY_10AM - 3600)
    engine.handle("fs1", PhoneChannel(DIRECT, "1004"), MONDAY_10AM - 10)
    engine.handle("fs1", HungUp(DIRECT, "NORMAL_CLEARING"), MONDAY_10AM - 5)
    engine.agent_action("1004", TakeBreak("lunch"), MONDAY_10AM)
    assert [r for r in written if isinstance(r, AgentStateRecord) and r.agent == "1004"] == [
        AgentStateRecord("1004", "available", MONDAY_10AM - 3600, MONDAY_10AM)]
    assert [r for r in written if isinstance(r, OpenAgentState) and r.agent == "1004"] == [
        OpenAgentState("1004", "available", MONDAY_10AM - 3600),
        OpenAgentState("1004", "on_break", MONDAY_10AM, "lunch")]
