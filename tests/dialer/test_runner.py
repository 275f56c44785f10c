"""The dialler against the real engine (shipped config, MemoryStore, effects collected): which leads it dials and
how, what each line's end means for its lead, the ledger and the history, pacing per mode, restart. Hand-computed
cases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from types import MappingProxyType

import pytest
from prometheus_client import CollectorRegistry

from ccswitch.acd.agents import Agent, AgentState, HeldText, TakeBreak
from ccswitch.acd.capacity import DEFAULT_OFFER_DURING, AgentCapacity, Channel, Phase, handling
from ccswitch.admission import Capacity
from ccswitch.channel_events import AmdCompleted, AppCompleted, Bridged, HungUp, JobFailed, Parked
from ccswitch.config import Config
from ccswitch.config.model import Blast, CampaignConfig, HourRange
from ccswitch.dialer import (
    DialOutcome,
    Lead,
    LeadState,
    PacingPolicy,
    RunCommand,
    RunState,
    abandon_allowance,
    next_leads,
    pacing_loop,
    unseen_outcome,
)
from ccswitch.dialer.pacing import HOLD_RISK, PacerInput
from ccswitch.dialer.runner import (
    CONNECT_WITHIN_S,
    PREVIEW_SKIP_S,
    Dialer,
    Line,
    LineEvent,
    LineState,
    OutcomeWindow,
    agent_supply,
    history_outcome,
    move,
    outcome_of_cause,
    pacing_policy,
)
from ccswitch.effects import (
    CollectDigits,
    ConnectAgent,
    DetectMachine,
    DialOut,
    Hangup,
    Originate,
    Play,
    StartMusic,
)
from ccswitch.engine import Engine
from ccswitch.errors import InvalidTransition, UnknownNameError
from ccswitch.history import ContactRecord, DispositionRecord, HistoryRecord
from ccswitch.metrics import DialerCollector
from ccswitch.store.memory import MemoryStore
from tests.test_engine import MONDAY_10AM, Recorder, config

__all__ = ["config"]  # fixture

HOUR = 3600.0
SALES = ("1000", "1001", "1002", "1003")


class Effects(Recorder):
    """The engine tests' recorder, plus the lines the dialler launched."""

    def originated(self) -> list[Originate]:
        return [effect for effect in self.take() if isinstance(effect, Originate)]


def campaign(config: Config, **changes: object) -> CampaignConfig:
    """promo-nov, dialling every day at any hour in Moscow time unless changed."""
    base = replace(config.campaigns["promo-nov"], mode="progressive", days=frozenset(), hours=(HourRange(0, 1440),),
                   max_lines_per_agent=1)
    return replace(base, **changes)


def leads(count: int, campaign_name: str = "promo-nov") -> list[Lead]:
    return [Lead(campaign_name, f"+4477009{index:05d}", name=f"Lead {index}") for index in range(1, count + 1)]


class Rig:
    def __init__(self, config: Config, store: MemoryStore | None = None) -> None:
        self.config = config
        self.store = store or MemoryStore()
        self.effects = Effects()
        self.records: list[HistoryRecord] = []  # the engine's and the dialler's, in the order written
        self.engine = Engine(config, self.store, self.effects, record=self.records.append)
        self.engine.start(MONDAY_10AM - HOUR)
        self.dialer = Dialer(config, self.store, self.engine, self.effects, self.records.append)
        self.dialer.start(MONDAY_10AM - HOUR)
        self.dialer.reconcile("fs1", [], [], MONDAY_10AM - HOUR)
        self.effects.take()

    def handle(self, event: object, now: float) -> None:
        self.engine.handle("fs1", event, now)  # type: ignore[arg-type]
        self.dialer.handle("fs1", event, now)  # type: ignore[arg-type]

    def tick(self, now: float) -> None:
        self.engine.tick(now)
        for campaign in self.dialer.campaigns.values():  # the queue a launch picks from holds every dialable lead
            every = len(campaign.leads) + 1
            assert campaign.queue.pick(now, every) == next_leads(
                campaign.config, campaign.leads.values(), now, every, agent_reserved=campaign.preview)
        self.dialer.tick(now)

    def lead(self, phone: str) -> Lead:
        lead = self.store.get_lead("promo-nov", phone)
        assert lead is not None
        return lead

    def contacts(self) -> dict[str, ContactRecord]:
        """The contact records written so far, by call uuid: one per call, whoever wrote it."""
        contacts = [record for record in self.records if isinstance(record, ContactRecord)]
        by_call = {contact.call_uuid: contact for contact in contacts}
        assert len(by_call) == len(contacts), f"a call recorded twice: {contacts}"
        return by_call

    def line_of(self, phone: str) -> Line:
        (line,) = [line for line in self.dialer.lines.values() if line.phone == phone]
        return line

    def dial_one(self, now: float = MONDAY_10AM) -> Originate:
        """Load one lead, start, tick: the one originate."""
        self.dialer.load("promo-nov", leads(1), now)
        self.dialer.command("promo-nov", RunCommand.START, now)
        self.tick(now)
        (originate,) = self.effects.originated()
        return originate

    def answer(self, line: str, now: float) -> DetectMachine:
        self.handle(Parked(line, False, "+447700900001", "88005550556", "Example Shop"), now)
        (detect,) = self.effects.take()
        assert isinstance(detect, DetectMachine)
        return detect


def rig_with(config: Config, **changes: object) -> Rig:
    return Rig(replace(config, campaigns=MappingProxyType({"promo-nov": campaign(config, **changes)})))


@pytest.fixture
def rig(config: Config) -> Rig:
    return rig_with(config)


def break_all(rig: Rig, agents: Sequence[str], now: float = MONDAY_10AM - 60) -> None:
    for agent_id in agents:
        rig.engine.agent_action(agent_id, TakeBreak("lunch"), now)
    rig.effects.take()


# -- dialling ------------------------------------------------------------------------------------------------------


def test_a_started_progressive_campaign_dials_one_lead_per_free_agent_with_caller_id_and_lead_variables(
    rig: Rig,
) -> None:
    rig.dialer.load("promo-nov", leads(6), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    originated = rig.effects.originated()
    assert len(originated) == 4  # agents 1000-1003 are free
    first = originated[0]
    assert first.endpoint == "sofia/gateway/trunk/+447700900001"
    assert (first.call, first.leg, first.app, first.app_arg) == (first.leg, first.leg, "park", "")
    assert dict(first.variables) == {
        "origination_caller_id_number": "88005550556",
        "origination_caller_id_name": "Example Shop",
        "originate_timeout": "32",  # ring_timeout_s 30 + 2 s of call set-up
        "ignore_early_media": "true",
        "cc_campaign": "promo-nov",
        "cc_lead": "+447700900001",
    }
    dialling = rig.lead("+447700900001")
    assert (dialling.state, dialling.attempts, dialling.call) == (LeadState.DIALLING, 1, first.leg)
    rig.tick(MONDAY_10AM + 1)
    assert rig.effects.originated() == []  # each free agent is held by a ringing line
    assert rig.dialer.lines_in_flight("promo-nov") == 4


def test_nothing_is_dialled_before_start_while_paused_or_once_stopped(rig: Rig) -> None:
    rig.dialer.load("promo-nov", leads(6), MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    assert rig.effects.originated() == []
    assert rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM).state is RunState.RUNNING
    assert rig.dialer.command("promo-nov", RunCommand.PAUSE, MONDAY_10AM).state is RunState.PAUSED
    rig.tick(MONDAY_10AM + 1)
    assert rig.effects.originated() == []
    assert rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM + 2).state is RunState.RUNNING  # resumes
    assert rig.dialer.command("promo-nov", RunCommand.STOP, MONDAY_10AM + 2).state is RunState.STOPPED
    rig.tick(MONDAY_10AM + 3)
    assert rig.effects.originated() == []
    with pytest.raises(InvalidTransition, match="cannot pause while stopped"):
        rig.dialer.command("promo-nov", RunCommand.PAUSE, MONDAY_10AM + 3)


def test_loading_is_idempotent_and_keeps_progress(rig: Rig) -> None:
    first = rig.dialer.load("promo-nov", leads(3), MONDAY_10AM)
    assert (first.added, first.total) == (3, 3)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    again = rig.dialer.load("promo-nov", leads(5), MONDAY_10AM + 1)
    assert (again.added, again.total) == (2, 5)
    assert rig.lead("+447700900001").state is LeadState.DIALLING


def test_do_not_call_numbers_and_leads_outside_their_calling_window_are_not_dialled(config: Config) -> None:
    rig = rig_with(config, hours=(HourRange(9 * 60, 21 * 60),), do_not_call=frozenset({"447700900002"}))
    london = replace(leads(1)[0], phone="+447700900003", timezone="Europe/London")  # 07:00 there
    result = rig.dialer.load("promo-nov", [*leads(2), london], MONDAY_10AM)
    assert result.do_not_call == 1
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    assert [o.endpoint.rsplit("/", 1)[1] for o in rig.effects.originated()] == ["+447700900001"]
    assert rig.lead("+447700900002").state is LeadState.DNC
    assert rig.lead("+447700900003").state is LeadState.PENDING
    rig.tick(MONDAY_10AM + 2 * HOUR)  # 09:00 in London
    assert [o.endpoint.rsplit("/", 1)[1] for o in rig.effects.originated()] == ["+447700900003"]


def test_an_unknown_campaign_is_refused(rig: Rig) -> None:
    with pytest.raises(UnknownNameError, match="promo-nov"):
        rig.dialer.status("promo-dec", MONDAY_10AM)


# -- line outcomes ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cause", "state", "next_at"),
    [
        ("USER_BUSY", LeadState.RETRY, MONDAY_10AM + 5 + 15 * 60),  # retry busy: 15m
        ("NO_ANSWER", LeadState.RETRY, MONDAY_10AM + 5 + 2 * HOUR),  # no_answer: 2h
        ("UNALLOCATED_NUMBER", LeadState.RETRY, MONDAY_10AM + 5 + 30 * 60),  # failed: 30m
    ],
)
def test_a_failed_originate_schedules_the_retry_its_cause_calls_for(
    rig: Rig, cause: str, state: LeadState, next_at: float
) -> None:
    originate = rig.dial_one()
    rig.handle(JobFailed(originate.leg, cause), MONDAY_10AM + 5)
    lead = rig.lead("+447700900001")
    assert (lead.state, lead.next_at, lead.last_outcome) == (state, next_at, outcome_of_cause(cause))
    assert rig.dialer.lines == {}
    rig.handle(HungUp(originate.leg, cause), MONDAY_10AM + 5)  # the leg's own hang-up changes nothing more
    assert rig.lead("+447700900001") == lead


def test_a_person_is_handed_to_the_engine_connected_to_an_agent_and_disposed(rig: Rig) -> None:
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 6)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "HUMAN", "HUMAN"), MONDAY_10AM + 8)
    (offer,) = rig.effects.take()
    assert isinstance(offer, ConnectAgent) and offer.queue == "sales" and offer.caller_id_name == "Lead 1"
    assert rig.engine.calls[originate.leg].campaign == "promo-nov"
    rig.handle(Bridged(originate.leg, offer.legs[0].leg), MONDAY_10AM + 9.5)
    lead = rig.lead("+447700900001")
    assert (lead.state, lead.last_outcome) == (LeadState.ANSWERED, DialOutcome.PERSON_ANSWERED)
    status = rig.dialer.status("promo-nov", MONDAY_10AM + 10)
    assert (status.abandon.answered, status.abandon.abandoned, status.answer_ratio) == (1, 0, 1.0)
    rig.tick(MONDAY_10AM + 11)  # past the connect deadline: connected, nothing happens
    assert rig.line_of("+447700900001").state is LineState.CONNECTED
    rig.handle(HungUp(originate.leg, "NORMAL_CLEARING"), MONDAY_10AM + 70)
    assert rig.dialer.lines == {}
    disposed = rig.dialer.dispose("promo-nov", "44 7700 900001", "sale", MONDAY_10AM + 75)
    assert (disposed.state, disposed.disposition) == (LeadState.DONE, "sale")
    assert rig.records[-1] == DispositionRecord(originate.leg, "sale", MONDAY_10AM + 75)


def test_the_status_counts_leads_by_state_as_the_store_has_them_through_loads_dials_outcomes_and_a_restart(
    rig: Rig,
) -> None:
    def stored_counts() -> dict[str, int]:
        counted = Counter(lead.state.value for lead in rig.store.leads("promo-nov"))
        return {state.value: counted.get(state.value, 0) for state in LeadState}

    rig.dialer.load("promo-nov", [*leads(3), Lead("promo-nov", "+447700900007")], MONDAY_10AM)  # one on the DNC list
    rig.dialer.load("promo-nov", leads(5), MONDAY_10AM)  # two more; three already there
    assert rig.dialer.status("promo-nov", MONDAY_10AM).leads == stored_counts() == {
        **{state.value: 0 for state in LeadState}, "pending": 5, "dnc": 1}
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    originated = rig.effects.originated()
    rig.handle(HungUp(originated[0].leg, "USER_BUSY"), MONDAY_10AM + 3)
    assert rig.dialer.status("promo-nov", MONDAY_10AM + 3).leads == stored_counts()
    assert stored_counts()["dialling"] == len(originated) - 1 and stored_counts()["retry"] == 1

    restarted = Dialer(rig.config, rig.store, rig.engine, rig.effects)
    restarted.start(MONDAY_10AM + 4)
    assert restarted.status("promo-nov", MONDAY_10AM + 4).leads == stored_counts()


def test_a_person_with_no_agent_within_2_s_hears_the_abandon_message_and_the_ledger_counts_it(rig: Rig) -> None:
    break_all(rig, SALES)
    rig.dialer.load("promo-nov", leads(1), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.dialer.lines["x"] = Line("x", "fs1", "promo-nov", "+447700900001", LineState.RINGING, MONDAY_10AM)
    rig.store.update_lead(rig.lead("+447700900001"), replace(rig.lead("+447700900001"), state=LeadState.DIALLING,
                                                             attempts=1, call="x"))
    rig.dialer.campaigns["promo-nov"].keep(rig.lead("+447700900001"))  # as a read from the store
    detect = rig.answer("x", MONDAY_10AM + 5)
    rig.handle(AmdCompleted("x", detect.tag, "NOTSURE", "TOOLONG"), MONDAY_10AM + 10)  # not sure: a person
    assert [type(e) for e in rig.effects.take()] == [StartMusic]
    rig.tick(MONDAY_10AM + 10 + CONNECT_WITHIN_S - 0.01)
    assert rig.effects.take() == []
    rig.tick(MONDAY_10AM + 10 + CONNECT_WITHIN_S)
    (play,) = [e for e in rig.effects.take() if isinstance(e, Play)]
    assert play.path.endswith("campaigns/abandoned.wav")
    lead = rig.lead("+447700900001")
    assert (lead.state, lead.abandoned_at, lead.last_outcome) == (LeadState.RETRY, MONDAY_10AM + 12,
                                                                  DialOutcome.ABANDONED)
    budget = rig.dialer.status("promo-nov", MONDAY_10AM + 13).abandon
    assert (budget.answered, budget.abandoned, budget.rate) == (1, 1, 1.0)
    assert rig.dialer.lines == {}


@pytest.mark.parametrize(("result", "share"), [("MACHINE", 0.5 / 4.0), ("HUMAN", 3.5 / 4.0)])
def test_detection_teaches_the_pacer_the_persons_share_of_detection_time(rig: Rig, result: str, share: float) -> None:
    # the share starts at 1/2 worth one lasting second (its fading prior long gone a day on); then 3 s of detection
    estimates = rig.dialer.campaigns["promo-nov"].estimates
    estimates.detection = estimates.detection.record(MONDAY_10AM - 86400, False, weight=0.0)
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, result, "LONGGREETING"), MONDAY_10AM + 8)
    assert estimates.detection.mean(MONDAY_10AM + 8) == pytest.approx(share, rel=1e-3)


def test_a_person_who_hangs_up_before_an_agent_is_connected_is_an_abandoned_call(rig: Rig) -> None:
    break_all(rig, SALES[:3])
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 4)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "HUMAN", "HUMAN"), MONDAY_10AM + 6)
    rig.effects.take()
    rig.handle(HungUp(originate.leg, "NORMAL_CLEARING"), MONDAY_10AM + 7)
    assert rig.lead("+447700900001").last_outcome is DialOutcome.ABANDONED
    assert rig.dialer.status("promo-nov", MONDAY_10AM + 7).abandon.abandoned == 1


def test_a_machine_gets_the_campaigns_message_then_the_line_is_hung_up_and_never_reaches_an_agent(rig: Rig) -> None:
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "MACHINE", "LONGGREETING"), MONDAY_10AM + 8)
    (play,) = rig.effects.take()
    assert isinstance(play, Play) and play.path.endswith("campaigns/machine.wav")
    assert originate.leg not in rig.engine.calls
    lead = rig.lead("+447700900001")
    assert (lead.state, lead.next_at) == (LeadState.RETRY, MONDAY_10AM + 8 + 86400)  # retry machine: 1d
    rig.handle(AppCompleted(originate.leg, "playback", play.tag, "", None), MONDAY_10AM + 12)
    assert rig.effects.take() == [Hangup(originate.leg)]
    assert rig.dialer.lines == {}
    status = rig.dialer.status("promo-nov", MONDAY_10AM + 13)
    assert (status.machine_ratio, status.abandon.answered) == (1.0, 0)


def test_a_machine_is_hung_up_on_when_the_campaign_leaves_no_message(config: Config) -> None:
    rig = rig_with(config, machine_message=None)
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "MACHINE", "MAXWORDS"), MONDAY_10AM + 8)
    assert rig.effects.take() == [Hangup(originate.leg)]
    assert rig.dialer.lines == {}


def test_a_detection_result_for_another_tag_or_line_is_ignored(rig: Rig) -> None:
    originate = rig.dial_one()
    rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, "not-ours", "MACHINE", "MAXWORDS"), MONDAY_10AM + 8)
    rig.handle(AmdCompleted("other", "x", "MACHINE", "MAXWORDS"), MONDAY_10AM + 8)
    assert rig.effects.take() == [] and rig.line_of("+447700900001").state is LineState.DETECTING


def test_hanging_up_during_detection_is_retried_as_no_answer(rig: Rig) -> None:
    originate = rig.dial_one()
    rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(HungUp(originate.leg, "NORMAL_CLEARING"), MONDAY_10AM + 6)
    lead = rig.lead("+447700900001")
    assert (lead.state, lead.last_outcome) == (LeadState.RETRY, DialOutcome.NO_ANSWER)


def test_a_line_with_no_outcome_in_time_is_hung_up_and_its_lead_failed(rig: Rig) -> None:
    originate = rig.dial_one()
    rig.tick(MONDAY_10AM + 32 + 30)  # rung ring_timeout_s 30 + 2 s of set-up, then the grace
    assert rig.effects.take() == []
    rig.tick(MONDAY_10AM + 32 + 30.5)
    assert Hangup(originate.leg, "ORIGINATOR_CANCEL") in rig.effects.take()
    assert rig.lead("+447700900001").last_outcome is DialOutcome.FAILED


def test_no_detection_result_in_time_counts_as_a_person(rig: Rig) -> None:
    originate = rig.dial_one()
    rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.tick(MONDAY_10AM + 15.5)
    assert any(isinstance(effect, ConnectAgent) for effect in rig.effects.take())
    assert rig.line_of("+447700900001").state is LineState.WAITING


def test_dispositions_come_from_the_campaigns_list_and_only_after_an_answer(rig: Rig) -> None:
    rig.dialer.load("promo-nov", leads(1), MONDAY_10AM)
    with pytest.raises(InvalidTransition, match="no disposition while pending"):
        rig.dialer.dispose("promo-nov", "+447700900001", "sale", MONDAY_10AM)
    with pytest.raises(UnknownNameError, match="no lead"):
        rig.dialer.dispose("promo-nov", "+447700900099", "sale", MONDAY_10AM)


# -- blast -----------------------------------------------------------------------------------------------------------


def test_a_blast_plays_its_prompt_to_a_person_then_hangs_up_and_the_lead_is_done(config: Config) -> None:
    rig = rig_with(config, mode="blast", blast=Blast("campaigns/machine", None), abandon_message=None,
                   max_lines_per_agent=2)
    rig.dialer.load("promo-nov", leads(20), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    originated = rig.effects.originated()
    assert len(originated) == 8  # 2 lines x 4 sales agents logged in
    leg = originated[0].leg
    detect = rig.answer(leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(leg, detect.tag, "HUMAN", "HUMAN"), MONDAY_10AM + 7)
    (play,) = rig.effects.take()
    assert isinstance(play, Play) and play.path.endswith("campaigns/machine.wav")
    assert rig.lead("+447700900001").state is LeadState.DONE
    rig.handle(AppCompleted(leg, "playback", play.tag, "", None), MONDAY_10AM + 12)
    assert rig.effects.take() == [Hangup(leg)]


def test_a_blast_yields_while_calls_wait_in_its_queue(config: Config) -> None:
    rig = rig_with(config, mode="blast", blast=Blast("campaigns/machine", None), abandon_message=None)
    break_all(rig, SALES)
    rig.engine.handle("fs1", Parked("caller-1", True, "88005550556", "79161234567", "Ivan"), MONDAY_10AM)
    rig.engine.take_outbound("fs1", "caller-1", "79161234567", "Ivan", "sales", "x", 60.0,
                             rig.config.queues["sales"].overflow, MONDAY_10AM)
    assert rig.engine.waiting["sales"]
    rig.dialer.load("promo-nov", leads(5), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    assert rig.dialer.lines_wanted("promo-nov", MONDAY_10AM) == 0


def test_lines_are_launched_within_the_nodes_per_second_budget_and_the_rest_in_the_next_second(
        config: Config) -> None:
    rig = rig_with(config, mode="blast", blast=Blast("campaigns/machine", None), abandon_message=None,
                   max_lines_per_agent=10)
    rig.engine.capacities["fs1"] = Capacity(sessions_per_second=11)  # 10 channels a second, no callers arriving
    rig.dialer.load("promo-nov", leads(50), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    assert len(rig.effects.originated()) == 10  # of 40 wanted (4 agents, 10 lines each)
    rig.tick(MONDAY_10AM + 0.5)
    assert rig.effects.originated() == []
    assert Counter(lead.state for lead in rig.store.leads("promo-nov"))[LeadState.DIALLING] == 10
    rig.tick(MONDAY_10AM + 1.0)
    assert len(rig.effects.originated()) == 10


# -- history -------------------------------------------------------------------------------------------------------


def dialled_contact(leg: str, ended_at: float, outcome: str, cause: str) -> ContactRecord:
    """The record of lead 1's call that the dialler writes when the line ends without reaching the engine."""
    return ContactRecord(call_uuid=leg, channel="voice", direction="outbound", started_at=MONDAY_10AM,
                         ended_at=ended_at, caller_number="+447700900001", caller_name="Lead 1",
                         destination="+447700900001", outcome=outcome, hangup_cause=cause,  # type: ignore[arg-type]
                         campaign="promo-nov")


@pytest.mark.parametrize(
    ("cause", "outcome"),
    [("USER_BUSY", "busy"), ("CALL_REJECTED", "busy"), ("NO_ANSWER", "no_answer"),
     ("UNALLOCATED_NUMBER", "failed"), ("NORMAL_TEMPORARY_FAILURE", "failed")],
)
def test_a_line_never_answered_leaves_one_record_from_the_originate_to_its_failure(
    rig: Rig, cause: str, outcome: str
) -> None:
    originate = rig.dial_one()
    assert rig.contacts() == {}
    rig.handle(JobFailed(originate.leg, cause), MONDAY_10AM + 5)
    assert rig.contacts() == {originate.leg: dialled_contact(originate.leg, MONDAY_10AM + 5, outcome, cause)}
    written = list(rig.records)
    rig.handle(HungUp(originate.leg, cause), MONDAY_10AM + 5.1)  # the leg's own hang-up adds nothing
    assert rig.records == written


def test_a_line_that_rings_out_is_recorded_no_answer_with_the_legs_cause(rig: Rig) -> None:
    originate = rig.dial_one()
    rig.handle(HungUp(originate.leg, "NO_USER_RESPONSE"), MONDAY_10AM + 22)
    assert rig.contacts()[originate.leg] == dialled_contact(originate.leg, MONDAY_10AM + 22, "no_answer",
                                                            "NO_USER_RESPONSE")


def test_a_line_with_no_outcome_in_time_is_recorded_failed(rig: Rig) -> None:
    originate = rig.dial_one()
    rig.tick(MONDAY_10AM + 32 + 30.5)
    assert rig.contacts()[originate.leg] == dialled_contact(originate.leg, MONDAY_10AM + 62.5, "failed", "LOST")


def test_a_machine_is_recorded_when_its_message_ends_and_the_line_is_hung_up(rig: Rig) -> None:
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "MACHINE", "LONGGREETING"), MONDAY_10AM + 8)
    (play,) = rig.effects.take()
    assert isinstance(play, Play)
    assert rig.contacts() == {}  # still hearing the message
    rig.handle(AppCompleted(originate.leg, "playback", play.tag, "", None), MONDAY_10AM + 12)
    rig.handle(HungUp(originate.leg, "NORMAL_CLEARING"), MONDAY_10AM + 12.1)
    assert rig.contacts() == {originate.leg: dialled_contact(originate.leg, MONDAY_10AM + 12, "machine",
                                                             "NORMAL_CLEARING")}


def test_a_machine_that_hangs_up_during_the_message_is_recorded_with_its_cause(rig: Rig) -> None:
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "MACHINE", "LONGGREETING"), MONDAY_10AM + 8)
    rig.handle(HungUp(originate.leg, "RECOVERY_ON_TIMER_EXPIRE"), MONDAY_10AM + 9)
    assert rig.contacts()[originate.leg].outcome == "machine"
    assert rig.contacts()[originate.leg].hangup_cause == "RECOVERY_ON_TIMER_EXPIRE"


def test_a_machine_hung_up_on_at_once_is_recorded_at_detection(config: Config) -> None:
    rig = rig_with(config, machine_message=None)
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "MACHINE", "MAXWORDS"), MONDAY_10AM + 8)
    assert rig.contacts() == {originate.leg: dialled_contact(originate.leg, MONDAY_10AM + 8, "machine",
                                                             "NORMAL_CLEARING")}


def test_a_hang_up_during_detection_is_recorded_no_answer(rig: Rig) -> None:
    originate = rig.dial_one()
    rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(HungUp(originate.leg, "NORMAL_CLEARING"), MONDAY_10AM + 6)
    assert rig.contacts() == {originate.leg: dialled_contact(originate.leg, MONDAY_10AM + 6, "no_answer",
                                                             "NORMAL_CLEARING")}


def test_a_person_connected_to_an_agent_has_only_the_engines_record(rig: Rig) -> None:
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 6)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "HUMAN", "HUMAN"), MONDAY_10AM + 8)
    (offer,) = rig.effects.take()
    assert isinstance(offer, ConnectAgent)
    rig.handle(Bridged(originate.leg, offer.legs[0].leg), MONDAY_10AM + 9)
    rig.handle(HungUp(originate.leg, "NORMAL_CLEARING"), MONDAY_10AM + 69)
    contact = rig.contacts()[originate.leg]
    assert (contact.outcome, contact.direction, contact.campaign, contact.queue, contact.talk_s) == (
        "answered", "outbound", "promo-nov", "sales", 60.0)
    assert contact.answered_at == MONDAY_10AM + 9


def test_a_person_abandoned_by_the_connect_deadline_has_only_the_engines_overflowed_record(rig: Rig) -> None:
    break_all(rig, SALES[:3])
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "HUMAN", "HUMAN"), MONDAY_10AM + 7)
    rig.tick(MONDAY_10AM + 7 + CONNECT_WITHIN_S)
    assert rig.lead("+447700900001").last_outcome is DialOutcome.ABANDONED and rig.dialer.lines == {}
    rig.handle(HungUp(originate.leg, "NORMAL_CLEARING"), MONDAY_10AM + 15)  # after the abandon message
    contact = rig.contacts()[originate.leg]
    assert (contact.outcome, contact.campaign, contact.answered_at) == ("overflowed", "promo-nov", None)


def test_a_person_the_engine_refuses_is_recorded_abandoned_by_the_dialler(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object) -> None:
        raise UnknownNameError("unknown queue 'sales'")

    monkeypatch.setattr(rig.engine, "take_outbound", refuse)
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "HUMAN", "HUMAN"), MONDAY_10AM + 7)
    assert rig.contacts() == {originate.leg: dialled_contact(originate.leg, MONDAY_10AM + 7, "abandoned",
                                                             "NORMAL_CLEARING")}


def test_a_blast_person_who_only_hears_the_prompt_is_recorded_announced(config: Config) -> None:
    rig = rig_with(config, mode="blast", blast=Blast("campaigns/machine", None), abandon_message=None)
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "HUMAN", "HUMAN"), MONDAY_10AM + 7)
    (play,) = rig.effects.take()
    assert isinstance(play, Play)
    rig.handle(AppCompleted(originate.leg, "playback", play.tag, "", None), MONDAY_10AM + 12)
    assert rig.contacts() == {originate.leg: dialled_contact(originate.leg, MONDAY_10AM + 12, "announced",
                                                             "NORMAL_CLEARING")}


def test_a_blast_person_sent_to_a_menu_has_only_the_engines_record(config: Config) -> None:
    rig = rig_with(config, mode="blast", blast=Blast("campaigns/machine", "main"), abandon_message=None)
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "HUMAN", "HUMAN"), MONDAY_10AM + 7)
    (play,) = rig.effects.take()
    assert isinstance(play, Play)
    rig.handle(AppCompleted(originate.leg, "playback", play.tag, "", None), MONDAY_10AM + 12)
    assert rig.contacts() == {}
    rig.handle(HungUp(originate.leg, "NORMAL_CLEARING"), MONDAY_10AM + 15)
    contact = rig.contacts()[originate.leg]
    assert (contact.outcome, contact.campaign) == ("abandoned_in_ivr", "promo-nov")


# -- pacing ----------------------------------------------------------------------------------------------------------


def agent(agent_id: str, state: AgentState, since: float = 0.0, **changes: object) -> Agent:
    return replace(Agent(agent_id, state, since), **changes)


def test_agent_supply_counts_free_talking_wrap_up_and_the_free_agents_inbound_calls_will_take() -> None:
    agents = {
        "a": agent("a", AgentState.AVAILABLE),
        "b": agent("b", AgentState.AVAILABLE),
        "c": agent("c", AgentState.ON_CALL, since=70.0),
        "d": agent("d", AgentState.WRAP_UP, wrap_until=105.0),
        "e": agent("e", AgentState.ON_BREAK),
        "f": agent("f", AgentState.AVAILABLE, queues=("support",)),  # logged in to support only
        "g": agent("g", AgentState.AVAILABLE, direct_calls=1),  # on a call of their own
    }
    members = {"sales": ("a", "b", "c", "d", "e", "f", "g"), "support": ("b", "f")}
    supply = agent_supply(agents, members, {"support": 3}, "sales", 100.0)
    assert supply.free == 2  # a, b
    assert supply.talking_for == (30.0,) and supply.wrap_up_left == (5.0,)
    assert supply.staffed == 5  # a b c d g: not e (break) nor f (not in sales)
    assert supply.held_by_inbound == 1  # b: support's first free member among sales' free agents
    assert agent_supply(agents, members, {}, "sales", 100.0).held_by_inbound == 0


def test_agent_supply_expects_the_share_of_each_queues_arrivals_its_serving_agents_are() -> None:
    agents = {
        "a": agent("a", AgentState.AVAILABLE),
        "b": agent("b", AgentState.ON_CALL),
        "e": agent("e", AgentState.ON_BREAK),  # takes nothing, in no queue's share
        "f": agent("f", AgentState.AVAILABLE, queues=("support",)),
        "h": agent("h", AgentState.LOGGED_OUT),
    }
    members = {"sales": ("a", "b", "e", "h"), "support": ("b", "f", "h"), "vip": ("h",)}
    arriving = {"sales": 0.1, "support": 0.2, "vip": 5.0}  # vip: nobody logged in takes its calls
    supply = agent_supply(agents, members, {}, "sales", 100.0, arriving=arriving)
    assert supply.inbound_per_second == pytest.approx(0.1 + 0.2 / 2)  # all of sales', half of support's (b of b, f)
    assert agent_supply(agents, members, {}, "sales", 100.0).inbound_per_second == 0.0


def test_inbound_calls_joining_a_queue_become_the_arrival_rate_blended_pacing_counts(config: Config) -> None:
    rig = rig_with(config)
    rig.tick(MONDAY_10AM)  # watching from here
    for second in range(1, 121):
        if second % 10 == 0:  # a caller every 10 s chooses sales in the main menu
            caller = f"caller-{second}"
            rig.engine.handle("fs1", Parked(caller, True, "88005550556", f"7916{second:07d}", "Ivan"),
                              MONDAY_10AM + second)
            collect = [e for e in rig.effects.take() if isinstance(e, CollectDigits)][-1]
            rig.engine.handle("fs1", AppCompleted(caller, "play_and_get_digits", collect.tag, "1", None),
                              MONDAY_10AM + second)
        rig.tick(MONDAY_10AM + second)
    assert rig.engine.joined["sales"] == 12
    arrivals = rig.dialer.inbound_arrivals(MONDAY_10AM + 120)
    assert arrivals["sales"] == pytest.approx(0.1, rel=0.05) and arrivals["support"] == 0.0
    # a campaign's own answered person waits in the queue too, but is no inbound arrival
    rig.engine.handle("fs1", Parked("person-1", True, "88005550556", "79160000001", "Olga"), MONDAY_10AM + 121)
    rig.engine.take_outbound("fs1", "person-1", "79160000001", "Olga", "sales", "promo-nov", 2.0,
                             rig.config.queues["sales"].overflow, MONDAY_10AM + 121)
    assert rig.engine.joined["sales"] == 12


def call_in_to_sales(rig: Rig, caller: str, now: float) -> None:
    """An inbound caller chooses sales in the main menu."""
    rig.engine.handle("fs1", Parked(caller, True, "88005550556", "79161234567", "Ivan"), now)
    collect = [e for e in rig.effects.take() if isinstance(e, CollectDigits)][-1]
    rig.engine.handle("fs1", AppCompleted(caller, "play_and_get_digits", collect.tag, "1", None), now)


def a_line_rings_as_a_caller_arrives(config: Config, mode: str, keep_agents: bool) -> tuple[Rig, str, Originate]:
    """One sales agent free (the rig, their id), one line dialled for them (its originate), and a caller to sales
    arriving while it rings, with a tick after it."""
    rig = rig_with(config, mode=mode, ring_timeout_s=33, keep_agents=keep_agents)
    free, *others = SALES
    break_all(rig, others)
    originate = rig.dial_one(MONDAY_10AM)
    call_in_to_sales(rig, "caller", MONDAY_10AM + 2)
    rig.tick(MONDAY_10AM + 3)
    return rig, free, originate


@pytest.mark.parametrize("keep_agents", [True, False])
@pytest.mark.parametrize("mode", ["predictive", "progressive"])
def test_a_campaign_keeps_its_free_agent_from_inbound_callers_while_its_line_may_bring_a_person(
    config: Config, mode: str, keep_agents: bool,
) -> None:
    # A caller to sales arriving while the line rings would take the agent, and the person answering the line would
    # be abandoned: the agent is kept until the line can bring nobody.
    rig, kept, originate = a_line_rings_as_a_caller_arrives(config, mode, keep_agents)
    if not keep_agents:  # the caller takes the agent the line was dialled for
        assert rig.engine.agents[kept].state is AgentState.RESERVED
        return
    assert rig.engine.agents[kept].state is AgentState.AVAILABLE
    assert "caller" in rig.engine.waiting["sales"]
    assert rig.engine.kept_for_outbound == {kept}  # what the wallboard, the API and the metrics show
    rig.handle(JobFailed(originate.leg, "NO_ANSWER"), MONDAY_10AM + 35)  # rang out: it brings nobody now
    rig.tick(MONDAY_10AM + 36)
    assert rig.engine.agents[kept].state is AgentState.RESERVED  # released, and offered the caller at once
    assert rig.engine.kept_for_outbound == frozenset()


@pytest.mark.parametrize("mode", ["predictive", "progressive"])
def test_a_kept_agent_takes_the_person_the_line_brings(config: Config, mode: str) -> None:
    rig, kept, originate = a_line_rings_as_a_caller_arrives(config, mode, keep_agents=True)
    rig.effects.take()  # the caller's prompts
    detect = rig.answer(originate.leg, MONDAY_10AM + 10)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "HUMAN", "HUMAN"), MONDAY_10AM + 10.5)
    assert rig.engine.agents[kept].state is AgentState.RESERVED
    assert "caller" in rig.engine.waiting["sales"] and originate.leg not in rig.engine.waiting["sales"]
    assert rig.engine.kept_for_outbound == frozenset()  # kept no more once they took the person


def test_an_agent_holding_a_chat_is_free_for_a_campaign_call_only_if_their_capacity_lets_a_call_in() -> None:
    chatting = agent("a", AgentState.AVAILABLE, texts=(HeldText("chat-1", Channel.CHAT, Phase.ACTIVE, 90.0),))
    beside_chats = AgentCapacity(total=4, costs={Channel.VOICE: 2, Channel.CHAT: 1}, offer_during={
        **DEFAULT_OFFER_DURING, Channel.VOICE: handling(Channel.CHAT)})
    members = {"sales": ("a",)}
    assert agent_supply({"a": chatting}, members, {}, "sales", 100.0).free == 0  # one call or chats: not both
    assert agent_supply({"a": chatting}, members, {}, "sales", 100.0, {"a": beside_chats}).free == 1


def test_predictive_dials_progressively_until_the_ledger_has_budget_then_more_within_the_line_cap(
    config: Config,
) -> None:
    rig = rig_with(config, mode="predictive", max_lines_per_agent=3)
    rig.dialer.load("promo-nov", leads(40), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    assert rig.dialer.lines_wanted("promo-nov", MONDAY_10AM) == 4  # no answers yet: no budget
    ledger = rig.dialer.campaigns["promo-nov"].ledger
    for second in range(400):
        ledger.record(MONDAY_10AM - 1000 + second, answered_person=True, abandoned=False)
    wanted = rig.dialer.lines_wanted("promo-nov", MONDAY_10AM)
    assert 4 < wanted <= 12  # at most 3 lines per staffed agent
    break_all(rig, SALES[:2], MONDAY_10AM)
    assert rig.dialer.lines_wanted("promo-nov", MONDAY_10AM) <= 6


def test_predictive_spends_the_last_hours_budget_when_it_is_tighter_than_the_days(config: Config) -> None:
    rig = rig_with(config, mode="predictive", max_lines_per_agent=3)
    rig.dialer.load("promo-nov", leads(40), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    ledger = rig.dialer.campaigns["promo-nov"].ledger
    for second in range(4000):  # earlier today: 4000 answers, none abandoned
        ledger.record(MONDAY_10AM - 9000 + second / 2, answered_person=True, abandoned=False)
    for second in range(400):  # this hour: 400 more
        ledger.record(MONDAY_10AM - 3000 + second, answered_person=True, abandoned=False)
    calm = rig.dialer.lines_wanted("promo-nov", MONDAY_10AM)
    for second in range(20):  # then 14 of 20 abandoned: 14 of 420 this hour, 14 of 4420 today (most unspent)
        ledger.record(MONDAY_10AM - 600 + second, answered_person=True, abandoned=second < 14)
    assert ledger.budget(MONDAY_10AM).rate < 0.01 and ledger.pacing_budget(MONDAY_10AM).rate > 0.03
    in_full = abandon_allowance(ledger.budget(MONDAY_10AM), PacingPolicy.cancelling(32.0, 17.0))
    assert in_full == pytest.approx(0.03 * PacingPolicy.cancelling(32.0, 17.0).max_risk)  # the day's: the most
    assert 4 <= rig.dialer.lines_wanted("promo-nov", MONDAY_10AM) < calm  # only the floor's risk per line


def test_a_predictive_campaign_that_rings_only_its_minimum_has_nothing_to_cancel(config: Config) -> None:
    promo = campaign(config, mode="predictive", ring_timeout_s=20)
    assert pacing_policy(promo) == PacingPolicy(ring_timeout=22.0, hold_risk=HOLD_RISK)  # the switch gives up when
    # a cancel could; agents are still kept for what its lines may bring
    assert pacing_policy(replace(promo, keep_agents=False)) == PacingPolicy(ring_timeout=22.0)


def test_predictive_hangs_up_lines_that_rang_the_minimum_when_no_agent_will_be_free_for_them(
    config: Config,
) -> None:
    # The campaign's lines ring 33 s (+ 2 s of set-up), longer than its minimum (20 s + 2 s): a line may be hung up
    # from 22 s. Four lines ring for four agents, who then all go on a break.
    rig = rig_with(config, mode="predictive", ring_timeout_s=33)
    assert pacing_policy(rig.config.campaigns["promo-nov"]) == PacingPolicy.cancelling(35.0, min_ring=22.0)
    rig.dialer.load("promo-nov", leads(4), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    legs = [originate.leg for originate in rig.effects.originated()]
    assert len(legs) == 4
    break_all(rig, SALES, MONDAY_10AM + 1)
    estimates = rig.dialer.campaigns["promo-nov"].estimates
    person_before, machine_before = estimates.person, estimates.machine
    rig.tick(MONDAY_10AM + 21.5)
    assert rig.effects.take() == []  # not before the minimum
    rig.tick(MONDAY_10AM + 22)
    assert rig.effects.take() == [Hangup(leg, "ORIGINATOR_CANCEL") for leg in legs]
    assert {line.state for line in rig.dialer.lines.values()} == {LineState.CANCELLING}
    assert rig.dialer.lines_in_flight("promo-nov") == 0
    rig.tick(MONDAY_10AM + 23)
    assert rig.effects.take() == []  # hung up once
    # lead 1 picked up as we hung up: a person hung up on, counted abandoned; the others settle as no answer
    rig.handle(Parked(legs[0], False, "+447700900001", "88005550556", "Example Shop"), MONDAY_10AM + 22.1)
    assert rig.effects.take() == []  # no detection, no agent: the hang-up is on its way
    for leg in legs[:3]:
        rig.handle(HungUp(leg, "ORIGINATOR_CANCEL"), MONDAY_10AM + 22.2)
    rig.handle(JobFailed(legs[3], "ORIGINATOR_CANCEL"), MONDAY_10AM + 22.2)  # or only the originate's -ERR
    assert rig.effects.take() == [] and rig.dialer.lines == {}
    assert all(rig.lead(lead.phone).state is LeadState.RETRY for lead in leads(4))
    totals = rig.dialer.campaigns["promo-nov"].totals
    assert (totals[DialOutcome.NO_ANSWER], totals[DialOutcome.ABANDONED]) == (3, 1)
    assert rig.lead("+447700900001").abandoned_at == MONDAY_10AM + 22.2  # (the 72-hour rule)
    assert sorted(contact.outcome for contact in rig.contacts().values()) == ["abandoned"] + ["no_answer"] * 3
    # what each hung-up line would have been, as the model expects, went into the estimators when it was hung up
    would_person, _ = unseen_outcome(person_before.mean(MONDAY_10AM + 22), machine_before.mean(MONDAY_10AM + 22),
                                     estimates.delay_now, 22.0, 35.0)
    assert 0.0 < would_person < 0.5
    faded = person_before.record(MONDAY_10AM + 22, 0.0, weight=0.0)  # the prior's pseudo-dials, faded until then
    assert (estimates.person.trials, estimates.person.hits) == pytest.approx(
        (faded.trials + 4.0, faded.hits + 4 * would_person))
    ledger = rig.dialer.campaigns["promo-nov"].ledger
    budget = ledger.budget(MONDAY_10AM + 23)
    assert (budget.answered, budget.abandoned) == (1, 1)
    # and the people they would have brought went into the ledger: the pacer's share of people lost, once it has
    # answers enough to judge (100)
    assert ledger.lost_share(MONDAY_10AM + 23) is None
    for _ in range(99):
        ledger.record(MONDAY_10AM + 23, answered_person=True, abandoned=False)
    assert ledger.lost_share(MONDAY_10AM + 23) == pytest.approx(4 * would_person / 100)
    assert rig.dialer.status("promo-nov", MONDAY_10AM + 23).lost_ratio == pytest.approx(4 * would_person / 100)
    registry = CollectorRegistry()
    registry.register(DialerCollector(rig.dialer, lambda: MONDAY_10AM + 23))
    assert registry.get_sample_value("ccswitch_dialer_lost_ratio", {"campaign": "promo-nov"}) == pytest.approx(
        4 * would_person / 100)


def test_predictive_launches_from_the_same_look_that_gave_its_lines_up(
    config: Config, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As pacing.pace (and bench/dialer.py) decide: the lines to launch are counted on the input that chose the lines
    # to hang up, less those lines; not on a second look taken after their unseen outcomes reached the estimators.
    rig = rig_with(config, mode="predictive", ring_timeout_s=33)
    rig.dialer.load("promo-nov", leads(4), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    assert len(rig.effects.originated()) == 4
    break_all(rig, SALES, MONDAY_10AM + 1)
    person_before = rig.dialer.campaigns["promo-nov"].estimates.person
    looks: list[PacerInput] = []
    to_dial = pacing_loop.lines_to_dial
    monkeypatch.setattr(pacing_loop, "lines_to_dial", lambda inp, policy: looks.append(inp) or to_dial(inp, policy))
    rig.tick(MONDAY_10AM + 22)
    assert len([effect for effect in rig.effects.take() if isinstance(effect, Hangup)]) == 4
    [look] = looks
    assert look.ringing_for == ()  # the four lines hung up are gone from it
    assert look.person_rate == person_before.mean(MONDAY_10AM + 22)  # the rate the lines were given up at
    assert rig.dialer.campaigns["promo-nov"].estimates.person.mean(MONDAY_10AM + 22) < look.person_rate


def test_a_paused_predictive_campaign_still_hangs_up_its_lines_no_agent_will_be_free_for(config: Config) -> None:
    rig = rig_with(config, mode="predictive", ring_timeout_s=33)
    rig.dialer.load("promo-nov", leads(4), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    legs = [originate.leg for originate in rig.effects.originated()]
    rig.dialer.command("promo-nov", RunCommand.PAUSE, MONDAY_10AM + 1)  # no new lines; those out still ring
    break_all(rig, SALES, MONDAY_10AM + 1)
    rig.tick(MONDAY_10AM + 22)
    assert rig.effects.take() == [Hangup(leg, "ORIGINATOR_CANCEL") for leg in legs]


def test_predictive_keeps_ringing_the_lines_that_free_agents_hold(config: Config) -> None:
    rig = rig_with(config, mode="predictive", ring_timeout_s=33)
    rig.dialer.load("promo-nov", leads(4), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    assert len(rig.effects.originated()) == 4
    break_all(rig, SALES[:2], MONDAY_10AM + 1)  # two agents left for four lines
    hangups = []
    for second in range(22, 35):  # from the minimum ring to the ring timeout
        rig.tick(MONDAY_10AM + second)
        hangups += [effect for effect in rig.effects.take() if isinstance(effect, Hangup)]
        assert sum(line.state is LineState.RINGING for line in rig.dialer.lines.values()) >= 2
    assert len(hangups) <= 2


def test_lines_being_classified_hold_an_agent_like_ringing_ones(rig: Rig) -> None:
    rig.dialer.load("promo-nov", leads(6), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    first = rig.effects.originated()[0]
    rig.answer(first.leg, MONDAY_10AM + 3)
    assert rig.dialer.lines_wanted("promo-nov", MONDAY_10AM + 4) == 0


# -- preview ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def preview(config: Config) -> Rig:
    """A running preview campaign with three leads."""
    rig = rig_with(config, mode="preview", abandon_message=None)
    rig.dialer.load("promo-nov", leads(3), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    return rig


def agent_answers(rig: Rig, agent_leg: str, now: float) -> DialOut:
    """The agent's phone, rung first, answers: it parks and dials the lead."""
    rig.handle(Parked(agent_leg, False, "+447700900001", "1001", ""), now)
    (dial,) = rig.effects.take()
    assert isinstance(dial, DialOut)
    return dial


def dial_preview(rig: Rig, now: float) -> tuple[str, str]:
    """Agent 1000 previews and dials the next lead; their phone answers: (the lead's leg, the agent's leg)."""
    rig.dialer.preview("promo-nov", "1000", now)
    call = rig.dialer.dial("promo-nov", "1000", now).call
    assert call is not None
    (ring,) = rig.effects.originated()
    agent_answers(rig, ring.leg, now + 1)
    return call, ring.leg


def test_a_preview_shows_each_agent_their_own_next_lead_and_reserves_them_for_it(preview: Rig) -> None:
    first = preview.dialer.preview("promo-nov", "1000", MONDAY_10AM)
    assert preview.dialer.preview("promo-nov", "1000", MONDAY_10AM + 1) == first  # asked again: the same lead
    second = preview.dialer.preview("promo-nov", "1001", MONDAY_10AM + 1)
    assert (first.phone, first.name, second.phone) == ("+447700900001", "Lead 1", "+447700900002")
    assert preview.engine.agents["1000"].state is AgentState.RESERVED  # no queue call meanwhile
    preview.tick(MONDAY_10AM + 60)
    assert preview.effects.take() == []  # nothing is dialled by itself
    assert preview.lead(first.phone).state is LeadState.PENDING


def test_a_dialled_preview_rings_the_agent_then_the_lead_and_a_bridge_is_a_person_answered(preview: Rig) -> None:
    preview.dialer.preview("promo-nov", "1000", MONDAY_10AM)
    dialled = preview.dialer.dial("promo-nov", "1000", MONDAY_10AM + 5)
    assert (dialled.state, dialled.attempts) == (LeadState.DIALLING, 1)
    (ring,) = preview.effects.originated()
    assert ring.endpoint == preview.config.agents["1000"].contact and ring.auto_answer and ring.feature_codes
    assert ("origination_caller_id_number", "+447700900001") in ring.variables
    agent_leg = ring.leg
    dial = agent_answers(preview, agent_leg, MONDAY_10AM + 6)
    assert (dial.leg, dial.callee_leg, dial.gateway, dial.number, dial.caller_id_number) == (
        agent_leg, dialled.call, "trunk", "+447700900001", "88005550556")
    preview.handle(Bridged(agent_leg, dialled.call), MONDAY_10AM + 15)
    assert preview.lead("+447700900001").state is LeadState.ANSWERED  # the agent's disposition decides
    assert preview.engine.agents["1000"].state is AgentState.ON_CALL
    assert preview.dialer.status("promo-nov", MONDAY_10AM + 15).abandon.answered == 0  # cannot be abandoned
    preview.handle(HungUp(dialled.call, "NORMAL_CLEARING"), MONDAY_10AM + 75)
    contact = preview.contacts()[dialled.call]
    assert (contact.direction, contact.outcome, contact.campaign, contact.agent, contact.talk_s) == (
        "outbound", "answered", "promo-nov", "1000", 60.0)
    assert preview.engine.agents["1000"].state is AgentState.WRAP_UP


def test_a_preview_not_answered_frees_the_agent_and_schedules_the_retry_its_cause_calls_for(preview: Rig) -> None:
    call, agent_leg = dial_preview(preview, MONDAY_10AM)
    preview.handle(HungUp(call, "USER_BUSY"), MONDAY_10AM + 10)  # the lead's leg, then the bridge's failure
    preview.handle(AppCompleted(agent_leg, "bridge", None, "", bridge_failure="USER_BUSY"), MONDAY_10AM + 10)
    assert Hangup(agent_leg, "NORMAL_CLEARING") in preview.effects.take()
    lead = preview.lead("+447700900001")
    assert (lead.state, lead.last_outcome) == (LeadState.RETRY, DialOutcome.BUSY)
    assert preview.engine.agents["1000"].state is AgentState.AVAILABLE
    assert preview.contacts()[call].outcome == "busy"
    assert preview.dialer.lines == {} and call not in preview.engine.calls


def test_a_gateway_refusing_the_lead_before_any_leg_exists_fails_it(preview: Rig) -> None:
    call, agent_leg = dial_preview(preview, MONDAY_10AM)
    preview.handle(AppCompleted(agent_leg, "bridge", None, "", bridge_failure="GATEWAY_DOWN"), MONDAY_10AM + 2)
    assert preview.lead("+447700900001").last_outcome is DialOutcome.FAILED
    assert preview.engine.agents["1000"].state is AgentState.AVAILABLE
    assert preview.contacts()[call].outcome == "failed"


def test_an_agent_whose_own_phone_does_not_answer_fails_the_attempt_and_is_free_again(preview: Rig) -> None:
    preview.dialer.preview("promo-nov", "1000", MONDAY_10AM)
    preview.dialer.dial("promo-nov", "1000", MONDAY_10AM)
    (ring,) = preview.effects.originated()
    preview.handle(JobFailed(ring.leg, "NO_ANSWER"), MONDAY_10AM + 30)
    assert preview.lead("+447700900001").last_outcome is DialOutcome.FAILED
    assert preview.engine.agents["1000"].state is AgentState.AVAILABLE


def test_a_skipped_lead_frees_the_agent_and_is_not_shown_again_for_a_while(preview: Rig) -> None:
    shown = preview.dialer.preview("promo-nov", "1000", MONDAY_10AM)
    preview.dialer.skip("promo-nov", "1000", MONDAY_10AM + 5)
    assert preview.engine.agents["1000"].state is AgentState.AVAILABLE
    assert preview.lead(shown.phone) == shown  # nothing dialled, nothing counted
    assert preview.dialer.preview("promo-nov", "1000", MONDAY_10AM + 6).phone == "+447700900002"
    preview.dialer.skip("promo-nov", "1000", MONDAY_10AM + 7)
    assert preview.dialer.preview("promo-nov", "1000", MONDAY_10AM + 5 + PREVIEW_SKIP_S).phone == shown.phone
    assert preview.effects.originated() == []


def test_a_campaign_removed_by_a_reload_lets_its_previewing_agents_go(preview: Rig) -> None:
    preview.dialer.preview("promo-nov", "1000", MONDAY_10AM)
    without = replace(preview.config, campaigns=MappingProxyType({}))
    preview.dialer.reload(without, MONDAY_10AM + 1)
    preview.tick(MONDAY_10AM + 2)  # (its tick once failed on the preview of a campaign it no longer had)
    assert preview.engine.agents["1000"].state is AgentState.AVAILABLE
    assert preview.dialer.previews == {} and "promo-nov" not in preview.dialer.campaigns
    assert preview.effects.originated() == []


def test_a_preview_is_dialled_by_itself_after_the_campaigns_delay(config: Config) -> None:
    rig = rig_with(config, mode="preview", abandon_message=None, preview_dial_after_s=20)
    rig.dialer.load("promo-nov", leads(1), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.dialer.preview("promo-nov", "1000", MONDAY_10AM)
    rig.tick(MONDAY_10AM + 19)
    assert rig.effects.originated() == []
    rig.tick(MONDAY_10AM + 20)
    assert len(rig.effects.originated()) == 1
    assert rig.lead("+447700900001").state is LeadState.DIALLING


def test_previews_are_refused_with_the_reason(preview: Rig, config: Config) -> None:
    with pytest.raises(InvalidTransition, match="dials progressive"):
        rig_with(config).dialer.preview("promo-nov", "1000", MONDAY_10AM)
    with pytest.raises(InvalidTransition, match="previews no lead"):
        preview.dialer.dial("promo-nov", "1000", MONDAY_10AM)
    preview.engine.agent_action("1003", TakeBreak("lunch"), MONDAY_10AM)
    with pytest.raises(InvalidTransition, match="1003 is on_break"):
        preview.dialer.preview("promo-nov", "1003", MONDAY_10AM)
    with pytest.raises(UnknownNameError, match="unknown agent"):
        preview.dialer.preview("promo-nov", "nobody", MONDAY_10AM)
    preview.dialer.command("promo-nov", RunCommand.PAUSE, MONDAY_10AM)
    with pytest.raises(InvalidTransition, match="is paused: start it first"):
        preview.dialer.preview("promo-nov", "1000", MONDAY_10AM)
    assert preview.dialer.previews == {}


def test_a_lead_put_on_a_do_not_call_list_while_previewed_is_not_dialled(preview: Rig) -> None:
    shown = preview.dialer.preview("promo-nov", "1000", MONDAY_10AM)
    dnc = campaign(preview.config, mode="preview", abandon_message=None,
                   do_not_call=frozenset({shown.phone.removeprefix("+")}))
    preview.dialer.reload(replace(preview.config, campaigns=MappingProxyType({"promo-nov": dnc})), MONDAY_10AM + 1)
    with pytest.raises(InvalidTransition, match="may no longer be dialled"):
        preview.dialer.dial("promo-nov", "1000", MONDAY_10AM + 2)
    assert preview.effects.originated() == []
    assert preview.engine.agents["1000"].state is AgentState.AVAILABLE


# -- restart ---------------------------------------------------------------------------------------------------------


def test_after_a_restart_a_lead_left_dialling_whose_call_is_gone_fails_and_one_still_parked_is_detected_again(
    rig: Rig,
) -> None:
    rig.dialer.load("promo-nov", leads(4), MONDAY_10AM)
    rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM)
    legs = [originate.leg for originate in rig.effects.originated()]
    rig.handle(HungUp(legs[3], "NORMAL_CLEARING"), MONDAY_10AM + 1)  # lead 4: retry
    done = rig.lead("+447700900004")
    rig.store.update_lead(done, replace(done, state=LeadState.DONE))
    # The controller restarts: a new engine and dialler on the same store.
    again = Rig.__new__(Rig)
    again.config, again.store, again.effects = rig.config, rig.store, Effects()
    again.engine = Engine(rig.config, rig.store, again.effects)
    again.engine.start(MONDAY_10AM + 10)
    again.dialer = Dialer(rig.config, rig.store, again.engine, again.effects)
    again.dialer.start(MONDAY_10AM + 10)
    again.tick(MONDAY_10AM + 10)
    assert again.effects.take() == []  # not before the node has reported
    again.dialer.reconcile("fs1", [legs[1], legs[2]], [legs[1]], MONDAY_10AM + 10)
    assert [type(effect) for effect in again.effects.take()] == [DetectMachine]
    assert again.lead("+447700900001").last_outcome is DialOutcome.FAILED
    assert again.line_of("+447700900002").state is LineState.DETECTING
    assert again.line_of("+447700900003").state is LineState.RINGING
    again.tick(MONDAY_10AM + 11)
    assert again.effects.originated() == []  # lead 1 retries in 30 min, lead 4 is done, 2 and 3 hold agents


def test_after_a_restart_the_abandon_ledger_still_counts_the_windows_answers_and_forgets_older_ones(
    rig: Rig,
) -> None:
    campaign = rig.dialer.campaigns["promo-nov"]
    line = Line("x", "fs1", "promo-nov", "+447700900001", LineState.WAITING, MONDAY_10AM)
    campaign.record_answer(line, MONDAY_10AM, abandoned=True)  # a person abandoned at 10:00
    for second, call in enumerate(("a", "b", "a")):  # "a" written twice (say, by two controllers): counted once
        campaign.record_answer(replace(line, uuid=call), MONDAY_10AM + 1 + second, abandoned=False)
    window = rig.config.campaigns["promo-nov"].abandon_window_s
    again = Dialer(rig.config, rig.store, rig.engine, rig.effects)
    again.start(MONDAY_10AM + 10)
    again.reconcile("fs1", [], [], MONDAY_10AM + 10)
    budget = again.status("promo-nov", MONDAY_10AM + 10).abandon
    assert (budget.answered, budget.abandoned) == (3, 1)
    again.tick(MONDAY_10AM + window + 0.5)  # the abandon at 10:00 has left the window: the store trims it
    assert rig.store.answers("promo-nov", 0.0) == [(MONDAY_10AM + 1, False), (MONDAY_10AM + 2, False)]
    later = Dialer(rig.config, rig.store, rig.engine, rig.effects)
    later.start(MONDAY_10AM + window + 0.5)
    budget = later.status("promo-nov", MONDAY_10AM + window + 0.5).abandon
    assert (budget.answered, budget.abandoned) == (2, 0)


# -- the pieces ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cause", "outcome"),
    [("USER_BUSY", DialOutcome.BUSY), ("CALL_REJECTED", DialOutcome.BUSY), ("NO_ANSWER", DialOutcome.NO_ANSWER),
     ("no_user_response", DialOutcome.NO_ANSWER), ("ALLOTTED_TIMEOUT", DialOutcome.NO_ANSWER),
     ("ORIGINATOR_CANCEL", DialOutcome.NO_ANSWER),
     ("UNALLOCATED_NUMBER", DialOutcome.FAILED), ("NORMAL_TEMPORARY_FAILURE", DialOutcome.FAILED),
     ("", DialOutcome.FAILED)],
)
def test_outcome_of_cause(cause: str, outcome: DialOutcome) -> None:
    assert outcome_of_cause(cause) is outcome


@pytest.mark.parametrize(
    ("state", "person", "cause", "outcome"),
    [(LineState.RINGING, None, "USER_BUSY", "busy"), (LineState.RINGING, None, "NO_ANSWER", "no_answer"),
     (LineState.RINGING, None, "LOST", "failed"), (LineState.DETECTING, None, "NORMAL_CLEARING", "no_answer"),
     (LineState.DETECTING, False, "NORMAL_CLEARING", "machine"), (LineState.MESSAGE, False, "X", "machine"),
     (LineState.MESSAGE, True, "NORMAL_CLEARING", "announced"),
     (LineState.CANCELLING, None, "ORIGINATOR_CANCEL", "no_answer")],
)
def test_history_outcome(state: LineState, person: bool | None, cause: str, outcome: str) -> None:
    assert history_outcome(Line("l", "fs1", "c", "+1000", state, 0.0, person=person), cause) == outcome


def lines_in_every_state() -> Iterator[Line]:
    for state in LineState:
        yield Line("l", "fs1", "c", "+1000", state, 0.0)


def test_every_line_move_outside_the_table_is_refused() -> None:
    allowed = {
        (LineState.RINGING, LineEvent.ANSWERED), (LineState.RINGING, LineEvent.ENDED),
        (LineState.RINGING, LineEvent.CONNECTED), (LineState.RINGING, LineEvent.CANCELLED),
        (LineState.CANCELLING, LineEvent.ENDED),
        (LineState.DETECTING, LineEvent.TO_AGENT), (LineState.DETECTING, LineEvent.TO_MESSAGE),
        (LineState.DETECTING, LineEvent.HANDED_OVER), (LineState.DETECTING, LineEvent.ENDED),
        (LineState.WAITING, LineEvent.CONNECTED), (LineState.WAITING, LineEvent.ABANDONED),
        (LineState.CONNECTED, LineEvent.ENDED), (LineState.MESSAGE, LineEvent.PLAYED),
        (LineState.MESSAGE, LineEvent.ENDED),
    }
    for line in lines_in_every_state():
        for event in LineEvent:
            if (line.state, event) in allowed:
                move(line, event)
            else:
                with pytest.raises(InvalidTransition):
                    move(line, event)


def test_outcome_window_counts_the_last_window_in_minute_buckets() -> None:
    window = OutcomeWindow(3600.0)
    window.record(0.0, DialOutcome.MACHINE)
    window.record(59.0, DialOutcome.BUSY)
    window.record(3600.0, DialOutcome.MACHINE)
    assert window.counts(3600.0) == {DialOutcome.MACHINE: 2, DialOutcome.BUSY: 1}
    assert window.counts(3660.0) == {DialOutcome.MACHINE: 1}


def test_the_metrics_show_lines_outcomes_ratios_over_the_window_and_the_limit(rig: Rig) -> None:
    registry = CollectorRegistry()
    clock = [MONDAY_10AM]
    registry.register(DialerCollector(rig.dialer, lambda: clock[0]))

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, {"campaign": "promo-nov", **labels})

    assert (value("ccswitch_dialer_lines_in_flight"), value("ccswitch_dialer_abandon_ratio")) == (0, 0)
    assert value("ccswitch_dialer_answer_ratio") is None  # nothing dialled yet
    assert value("ccswitch_dialer_lost_ratio") is None  # no share of people lost before 100 answers
    assert value("ccswitch_dialer_campaign_state", state="not_loaded") == 1
    originate = rig.dial_one()
    assert value("ccswitch_dialer_lines_in_flight") == 1
    assert value("ccswitch_dialer_campaign_state", state="running") == 1
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "MACHINE", "MAXWORDS"), MONDAY_10AM + 7)
    clock[0] = MONDAY_10AM + 8
    assert value("ccswitch_dialer_calls_total", outcome="machine") == 1
    assert value("ccswitch_dialer_calls_total", outcome="busy") == 0
    assert (value("ccswitch_dialer_machine_ratio"), value("ccswitch_dialer_answer_ratio")) == (1.0, 0.0)
    assert value("ccswitch_dialer_abandon_limit_ratio") == 0.03


def test_a_person_the_engine_refuses_is_hung_up_and_counted_abandoned(rig: Rig, monkeypatch: pytest.MonkeyPatch
                                                                       ) -> None:
    def refuse(*_args: object) -> None:
        raise UnknownNameError("unknown queue 'sales'")

    monkeypatch.setattr(rig.engine, "take_outbound", refuse)
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "HUMAN", "HUMAN"), MONDAY_10AM + 7)
    assert rig.effects.take() == [Hangup(originate.leg)]
    assert rig.lead("+447700900001").last_outcome is DialOutcome.ABANDONED and rig.dialer.lines == {}


def test_a_blast_person_goes_to_the_ivr_menu_after_the_prompt(config: Config) -> None:
    rig = rig_with(config, mode="blast", blast=Blast("campaigns/machine", "main"), abandon_message=None)
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "HUMAN", "HUMAN"), MONDAY_10AM + 7)
    (play,) = rig.effects.take()
    assert isinstance(play, Play)
    rig.handle(AppCompleted(originate.leg, "playback", play.tag, "", None), MONDAY_10AM + 12)
    (menu,) = rig.effects.take()
    assert isinstance(menu, CollectDigits) and menu.path.endswith("ivr/main_menu.wav")
    assert rig.engine.calls[originate.leg].campaign == "promo-nov" and rig.dialer.lines == {}


def test_a_blast_without_a_menu_hangs_up_after_the_prompt(config: Config) -> None:
    rig = rig_with(config, mode="blast", blast=Blast("campaigns/machine", None), abandon_message=None)
    originate = rig.dial_one()
    detect = rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(AmdCompleted(originate.leg, detect.tag, "HUMAN", "HUMAN"), MONDAY_10AM + 7)
    (play,) = rig.effects.take()
    rig.handle(AppCompleted(originate.leg, "playback", play.tag, "", None), MONDAY_10AM + 12)
    assert rig.effects.take() == [Hangup(originate.leg)] and rig.dialer.lines == {}


def test_a_reload_takes_new_limits_and_keeps_the_campaigns_figures(rig: Rig) -> None:
    originate = rig.dial_one()
    stricter = replace(rig.config, campaigns=MappingProxyType(
        {"promo-nov": replace(rig.config.campaigns["promo-nov"], abandon_limit=0.01)}))
    rig.dialer.reload(stricter, MONDAY_10AM + 1)
    assert rig.dialer.campaigns["promo-nov"].ledger.limit == 0.01
    assert rig.dialer.lines[originate.leg].state is LineState.RINGING
