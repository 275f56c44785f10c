"""The engine's side of the dialler: a person a campaign reached is connected to an agent within its deadline, or
sent to the abandon message."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from ccswitch.acd.agents import AgentState, Logout, TakeBreak
from ccswitch.channel_events import Bridged, HungUp
from ccswitch.config import Config
from ccswitch.effects import CollectDigits, ConnectAgent, Hangup, Play, StartMusic, StartRecording
from ccswitch.engine import Engine, Phase
from ccswitch.errors import UnknownNameError
from ccswitch.executor import command_for
from ccswitch.history.model import ContactRecord, HistoryRecord
from ccswitch.media.recording import RecordingMode, RecordingPolicy
from ccswitch.routing.steps import ToAnnouncement, ToIvr
from ccswitch.store.memory import MemoryStore
from tests.test_engine import MONDAY_10AM, Recorder, config, emitted

__all__ = ["config", "emitted"]  # fixtures

LEAD = "0u7b0und-0000-4000-8000-000000000001"
ABANDON = ToAnnouncement("campaigns/abandoned")


@pytest.fixture
def history() -> list[HistoryRecord]:
    return []


@pytest.fixture
def engine(config: Config, emitted: Recorder, history: list[HistoryRecord]) -> Engine:
    engine = Engine(config, MemoryStore(), emitted, record=history.append)
    engine.start(MONDAY_10AM - 3600)
    return engine


def answered(engine: Engine) -> None:
    engine.take_outbound("fs1", LEAD, "447700900001", "Ann", "sales", "promo-nov", 2.0, ABANDON, MONDAY_10AM)


def test_a_person_reached_is_offered_to_a_free_agent_at_once_and_recorded_as_outbound(
    engine: Engine, emitted: Recorder, history: list[HistoryRecord]
) -> None:
    answered(engine)
    (offer,) = emitted.take()
    assert isinstance(offer, ConnectAgent) and offer.queue == "sales"
    engine.handle("fs1", Bridged(LEAD, offer.legs[0].leg), MONDAY_10AM + 1.5)
    assert engine.calls[LEAD].phase is Phase.CONNECTED
    engine.tick(MONDAY_10AM + 3)  # past the deadline: connected, nothing happens
    assert emitted.take() == []
    engine.handle("fs1", HungUp(LEAD, "NORMAL_CLEARING"), MONDAY_10AM + 60)
    (contact,) = [r for r in history if isinstance(r, ContactRecord)]
    assert (contact.direction, contact.campaign, contact.outcome) == ("outbound", "promo-nov", "answered")


def test_not_connected_in_time_the_offer_is_withdrawn_and_the_person_hears_the_abandon_message(
    engine: Engine, emitted: Recorder, history: list[HistoryRecord]
) -> None:
    answered(engine)
    (offer,) = emitted.take()
    agent = offer.legs[0].agent_id
    engine.tick(MONDAY_10AM + 1.9)
    assert emitted.take() == []
    engine.tick(MONDAY_10AM + 2.0)
    effects = emitted.take()
    assert Hangup(offer.legs[0].leg, "ORIGINATOR_CANCEL") in effects
    (play,) = [e for e in effects if isinstance(e, Play)]
    assert play.path.endswith("campaigns/abandoned.wav")
    assert engine.agents[agent].state is AgentState.AVAILABLE and engine.agents[agent].missed_in_row == 0
    engine.handle("fs1", HungUp(LEAD, "NORMAL_CLEARING"), MONDAY_10AM + 9)
    (contact,) = [r for r in history if isinstance(r, ContactRecord)]
    assert (contact.direction, contact.campaign, contact.outcome) == ("outbound", "promo-nov", "overflowed")


def test_with_nobody_free_the_person_waits_with_music_until_the_deadline(
    config: Config, engine: Engine, emitted: Recorder
) -> None:
    for agent_id in config.members("sales"):
        engine.agent_action(agent_id, TakeBreak("lunch"), MONDAY_10AM - 60)
    emitted.take()
    answered(engine)
    assert [type(e) for e in emitted.take()] == [StartMusic]
    engine.tick(MONDAY_10AM + 2)
    assert any(isinstance(e, Play) for e in emitted.take()) and engine.stats.queues["sales"].overflowed == 1


def test_an_unknown_queue_is_refused(engine: Engine) -> None:
    with pytest.raises(UnknownNameError, match="salez"):
        engine.take_outbound("fs1", LEAD, "447700900001", "", "salez", "promo-nov", 2.0, ABANDON, MONDAY_10AM)


def test_the_agent_phone_answers_by_itself_for_a_campaign_call(engine: Engine, emitted: Recorder) -> None:
    answered(engine)
    (offer,) = emitted.take()
    assert isinstance(offer, ConnectAgent) and offer.auto_answer
    assert "sip_auto_answer=true" in command_for(offer)


def test_a_full_queue_or_nobody_logged_in_never_keeps_the_abandon_message_from_a_campaign_call(
    config: Config, emitted: Recorder
) -> None:
    sales = replace(config.queues["sales"], max_length=1, when_no_agents=ToAnnouncement("queue/all_busy"))
    engine = Engine(replace(config, queues=MappingProxyType({**config.queues, "sales": sales})), MemoryStore(),
                    emitted)
    engine.start(MONDAY_10AM - 3600)
    for agent_id in config.members("sales"):
        engine.agent_action(agent_id, Logout(), MONDAY_10AM - 60)
    answered(engine)
    assert engine.calls[LEAD].phase is Phase.QUEUED  # not sent to when_no_agents
    engine.tick(MONDAY_10AM + 2)
    (play,) = [e for e in emitted.take() if isinstance(e, Play)]
    assert play.path.endswith("campaigns/abandoned.wav")


def test_a_blast_person_goes_to_the_campaigns_ivr_menu(engine: Engine, emitted: Recorder) -> None:
    engine.take_outbound_step("fs1", LEAD, "447700900001", "Ann", "promo-nov", ToIvr("main"), MONDAY_10AM)
    (menu,) = emitted.take()
    assert isinstance(menu, CollectDigits) and menu.path.endswith("ivr/main_menu.wav")
    assert engine.calls[LEAD].campaign == "promo-nov"


def test_a_campaigns_recording_policy_wins_over_its_queues(config: Config, emitted: Recorder) -> None:
    promo = replace(config.campaigns["promo-nov"], recording=RecordingPolicy(RecordingMode.ALL, stereo=True))
    engine = Engine(replace(config, campaigns=MappingProxyType({**config.campaigns, "promo-nov": promo})),
                    MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    answered(engine)
    (offer,) = emitted.take()
    assert isinstance(offer, ConnectAgent)
    engine.handle("fs1", Bridged(LEAD, offer.legs[0].leg), MONDAY_10AM + 1)
    (start,) = emitted.take()
    assert isinstance(start, StartRecording) and start.path.endswith(f"sales/{LEAD}.wav") and start.stereo
