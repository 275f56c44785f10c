"""Outbound campaigns end to end: the controller dials through the simulator over TCP (bgapi originate with the
campaign's caller ID and per-lead variables), mod_amd tells people from machines, people are bridged to agents or
hear the abandon message, machines get the message or a hang-up, retries are scheduled, DNC and calling windows are
respected, every line leaves its history record, and a restarted controller resumes without dialling finished leads
again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from ccswitch.acd.agents import AgentState, TakeBreak
from ccswitch.cli import main
from ccswitch.config import Config
from ccswitch.config.model import HourRange
from ccswitch.controller import Controller
from ccswitch.dialer import DialOutcome, Lead, LeadState, RunCommand
from ccswitch.history import ContactRecord, HistoryRecord
from ccswitch.http import serve_http
from ccswitch.media.recording import RecordingMode, RecordingPolicy
from ccswitch.sim import AgentPhone, GatewayCallee
from ccswitch.sim.dialstring import AppCall
from ccswitch.store.base import Store

from .conftest import SPEED, ContactCentre, wait_until
from .test_monitoring import call

CAMPAIGN = "promo-nov"
SALES = ("1000", "1001", "1002", "1003")
HOUR = 3600.0
# The 2 s connect deadline is 100 ms of real time at x20: agents answer at once, so a loaded machine does not
# turn a connected call into an abandoned one.
QUICK_AGENTS = tuple(AgentPhone(ext, answer_after_s=0.05, talk_s=20.0) for ext in SALES)


def lead(number: int, **changes: object) -> Lead:
    return replace(Lead(CAMPAIGN, f"+4477009000{number:02d}", name=f"Lead {number}"), **changes)


def callee(**outcomes: str) -> GatewayCallee:
    """Fixed outcomes per lead number (``n1="person"``); any other number is not answered."""
    numbers = tuple((lead(int(key[1:])).phone, outcome) for key, outcome in outcomes.items())
    return GatewayCallee(person_probability=0.0, machine_probability=0.0, busy_probability=0.0, numbers=numbers,
                         answer_after_s=3.0, amd_s=1.5, talk_s=30.0, machine_s=30.0, busy_after_s=1.0)


def campaign_centre(centre_factory: Callable[..., ContactCentre], gateway: GatewayCallee,
                    phones: tuple[AgentPhone, ...] = QUICK_AGENTS, records: list[HistoryRecord] | None = None,
                    store: Store | None = None, speed: float = SPEED, **changes: object) -> ContactCentre:
    """``records``, if given, receives the history records the controller writes; ``store``: the controller's
    (a MemoryStore if not given); ``speed``: simulated seconds per real second."""
    def configure(config: Config) -> Config:
        promo = replace(config.campaigns[CAMPAIGN], mode="progressive", max_lines_per_agent=1, days=frozenset(),
                        hours=(HourRange(0, 1440),))
        return replace(config, campaigns=MappingProxyType({CAMPAIGN: replace(promo, **changes)}))

    record = records.append if records is not None else None
    centre = centre_factory(configure=configure, phones=phones, record=record, store=store, speed=speed)
    centre.switch.gateway_callee = gateway
    return centre


def start(centre: ContactCentre, *leads: Lead) -> None:
    centre.controller.campaign_leads(CAMPAIGN, list(leads))
    centre.controller.campaign_command(CAMPAIGN, RunCommand.START)


def stored(centre: ContactCentre, phone: str) -> Lead:
    found = centre.controller.engine.store.get_lead(CAMPAIGN, phone)
    assert found is not None
    return found


def settled(centre: ContactCentre, phone: str, *states: LeadState) -> Callable[[], bool]:
    return lambda: stored(centre, phone).state in states


def contacts(records: list[HistoryRecord]) -> dict[str, ContactRecord]:
    return {record.call_uuid: record for record in records if isinstance(record, ContactRecord)}


def apps(centre: ContactCentre, uuid: str | None) -> list[str]:
    assert uuid is not None
    return [call.app for call in centre.switch.apps_on(uuid)]


@pytest.fixture
def person_centre(centre_factory: Callable[..., ContactCentre]) -> ContactCentre:
    # A quarter of the usual speed: the person must be bridged to an agent within the 2 simulated seconds the
    # abandon rule allows, 0.1 s of real time at full speed, which a loaded machine misses.
    return campaign_centre(centre_factory, callee(n1="person"), speed=SPEED / 4)


def test_the_lead_is_originated_through_the_gateway_with_caller_id_and_lead_variables_then_bridged_to_an_agent(
    person_centre: ContactCentre,
) -> None:
    centre = person_centre
    start(centre, lead(1))
    wait_until(lambda: stored(centre, lead(1).phone).call is not None, what="the lead to be dialled")
    line = stored(centre, lead(1).phone).call
    assert line is not None
    wait_until(lambda: line in centre.switch.channels, what="the leg")
    leg = centre.switch.channels[line]
    assert leg.name == "sofia/gateway/trunk/+447700900001"
    assert {name: leg.variables.get(name) for name in ("origination_caller_id_number", "origination_caller_id_name",
                                                       "originate_timeout", "ignore_early_media", "cc_campaign",
                                                       "cc_lead")} == {
        "origination_caller_id_number": "88005550556", "origination_caller_id_name": "Example Shop",
        "originate_timeout": "32", "ignore_early_media": "true", "cc_campaign": CAMPAIGN,
        "cc_lead": "+447700900001"}
    engine = centre.controller.engine
    wait_until(lambda: any(a.call == line and a.state is AgentState.ON_CALL for a in engine.agents.values()),
               what="the person to be bridged to an agent")
    assert apps(centre, line)[:4] == ["park", "amd", "multiset", "bridge"]
    answered = stored(centre, lead(1).phone)
    assert (answered.state, answered.last_outcome) == (LeadState.ANSWERED, DialOutcome.PERSON_ANSWERED)
    status = centre.controller.campaign_status(CAMPAIGN)
    assert (status.abandon.answered, status.abandon.abandoned) == (1, 0)

    disposed = centre.controller.campaign_dispose(CAMPAIGN, lead(1).phone, "sale")
    assert (disposed.state, disposed.disposition) == (LeadState.DONE, "sale")
    (originate,) = [c for c in centre.server.commands_received if c.startswith("bgapi originate")]
    assert originate == (
        f"bgapi originate '{{origination_uuid={line},origination_caller_id_number=88005550556,"
        "origination_caller_id_name=Example Shop,originate_timeout=32,ignore_early_media=true,"
        f"cc_campaign=promo-nov,cc_lead=+447700900001}}sofia/gateway/trunk/+447700900001' &park()\nJob-UUID: {line}")


def detected_legs(centre: ContactCentre) -> list[str]:
    """The campaign legs the controller ran answering-machine detection on, in order."""
    return list(dict.fromkeys(run.uuid for run in centre.switch.executed if run.app == "amd"))


def test_a_machine_gets_the_message_then_a_hang_up_and_never_an_agent(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    records: list[HistoryRecord] = []
    centre = campaign_centre(centre_factory, callee(n2="machine"), records=records)
    start(centre, lead(2))
    wait_until(settled(centre, lead(2).phone, LeadState.RETRY), what="the machine to be recognised")
    wait_until(lambda: not centre.controller.dialer.lines, what="the message to be left")
    machine = stored(centre, lead(2).phone)
    assert machine.last_outcome is DialOutcome.MACHINE and machine.next_at is not None
    (leg,) = detected_legs(centre)
    contact = contacts(records)[leg]  # written by the dialler: the engine never had the call
    assert (contact.outcome, contact.direction, contact.campaign, contact.destination, contact.caller_name) == (
        "machine", "outbound", CAMPAIGN, lead(2).phone, "Lead 2")
    assert contact.started_at < contact.ended_at
    assert [record for record in records if isinstance(record, ContactRecord)] == [contact]  # one record per call
    wait_until(lambda: leg not in centre.switch.channels, what="the hang-up")
    assert [(c.app, c.arg.rsplit("/", 1)[-1]) for c in centre.switch.apps_on(leg)] == [
        ("park", ""), ("amd", ""), ("playback", "machine.wav")]
    assert all(agent.calls_handled == 0 and agent.state is AgentState.AVAILABLE
               for agent in centre.controller.engine.agents.values())


def test_a_machine_is_hung_up_on_when_the_campaign_leaves_no_message(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    centre = campaign_centre(centre_factory, callee(n3="machine"), machine_message=None)
    start(centre, lead(3))
    wait_until(settled(centre, lead(3).phone, LeadState.RETRY), what="the machine to be recognised")
    (leg,) = detected_legs(centre)
    wait_until(lambda: leg not in centre.switch.channels, what="the hang-up")
    assert apps(centre, leg) == ["park", "amd"]


def test_a_person_with_no_agent_connected_within_2_s_hears_the_abandon_message(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    slow = tuple(AgentPhone(ext, answer_after_s=5.0, talk_s=20.0) for ext in SALES)
    centre = campaign_centre(centre_factory, callee(n4="person"), phones=slow)
    start(centre, lead(4))
    wait_until(settled(centre, lead(4).phone, LeadState.RETRY), timeout=8, what="the call to be abandoned")
    abandoned = stored(centre, lead(4).phone)
    assert abandoned.last_outcome is DialOutcome.ABANDONED and abandoned.abandoned_at is not None
    (leg,) = detected_legs(centre)
    message = AppCall("playback", centre.controller.config.prompt_path("campaigns/abandoned"))
    # the lead is stored as abandoned when that is decided; the message reaches the switch just after
    wait_until(lambda: message in centre.switch.apps_on(leg), what="the abandon message on the lead's leg")
    status = centre.controller.campaign_status(CAMPAIGN)
    assert (status.abandon.answered, status.abandon.abandoned) == (1, 1)
    # the agent rung meanwhile is released without a miss
    engine = centre.controller.engine
    wait_until(lambda: all(engine.agents[a].state is AgentState.AVAILABLE for a in SALES), what="agents released")
    assert all(engine.agents[a].missed_in_row == 0 for a in SALES)


def test_retries_are_scheduled_per_outcome_and_dnc_and_calling_windows_are_respected(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    records: list[HistoryRecord] = []
    centre = campaign_centre(centre_factory, callee(n5="busy"), records=records, hours=(HourRange(9 * 60, 21 * 60),),
                             do_not_call=frozenset({"447700900007"}))
    night = lead(8, timezone="America/New_York")  # 02:00 there
    start(centre, lead(5), lead(6), lead(7), night)
    wait_until(settled(centre, lead(5).phone, LeadState.RETRY), what="the busy lead")
    wait_until(settled(centre, lead(6).phone, LeadState.RETRY), timeout=8, what="the unanswered lead")
    now = centre.clock.now()
    busy, unanswered = stored(centre, lead(5).phone), stored(centre, lead(6).phone)
    assert busy.last_outcome is DialOutcome.BUSY and busy.next_at is not None
    assert 15 * 60 - 60 < busy.next_at - now <= 15 * 60  # retry busy: 15m
    assert unanswered.last_outcome is DialOutcome.NO_ANSWER and unanswered.next_at is not None
    assert 2 * HOUR - 60 < unanswered.next_at - now <= 2 * HOUR  # no_answer: 2h
    dnc, later = stored(centre, lead(7).phone), stored(centre, night.phone)
    assert (dnc.state, dnc.attempts) == (LeadState.DNC, 0)
    assert (later.state, later.attempts) == (LeadState.PENDING, 0)
    assert not any(night.phone in view.name for view in centre.switch.channels.values())
    wait_until(lambda: len(contacts(records)) == 2, what="the two lines' history records")
    assert {(c.destination, c.outcome) for c in contacts(records).values()} == {
        (lead(5).phone, "busy"), (lead(6).phone, "no_answer")}


def test_a_restarted_controller_resumes_the_campaign_without_dialling_finished_leads_again(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    # A quarter of the usual speed: the person must be bridged to an agent within the 2 simulated seconds the
    # abandon rule allows, 0.1 s of real time at full speed, which a loaded machine misses.
    centre = campaign_centre(centre_factory, callee(n9="person", n10="no_answer"), speed=SPEED / 4)
    old = centre.controller
    for agent_id in SALES[2:]:
        old.agent_action(agent_id, TakeBreak("lunch"))
    start(centre, lead(9), lead(10))
    wait_until(settled(centre, lead(9).phone, LeadState.ANSWERED), timeout=15, what="the person to be answered")
    old.campaign_dispose(CAMPAIGN, lead(9).phone, "sale")
    assert stored(centre, lead(10).phone).state is LeadState.DIALLING  # still ringing (22 s)
    # A lead the store says is being dialled, on a call no node has (its controller died mid-dial).
    lost = replace(lead(11), state=LeadState.DIALLING, attempts=1, call="00000000-dead-4000-8000-000000000000")
    old.engine.store.put_leads(CAMPAIGN, [lost])

    old.stop()
    centre.controller = Controller(old.config, old.engine.store, centre.clock, tick_s=0.02)
    centre.start_controller()
    assert centre.controller.campaign_status(CAMPAIGN).state == "running"
    wait_until(settled(centre, lost.phone, LeadState.RETRY), what="the lost dial to fail")
    assert stored(centre, lost.phone).last_outcome is DialOutcome.FAILED
    wait_until(settled(centre, lead(10).phone, LeadState.RETRY), timeout=8, what="the ringing lead's outcome")
    assert stored(centre, lead(10).phone).last_outcome is DialOutcome.NO_ANSWER  # followed by the new controller
    finished = stored(centre, lead(9).phone)
    assert (finished.state, finished.attempts) == (LeadState.DONE, 1)
    assert len([leg for leg in detected_legs(centre)]) == 1  # lead 9 was never dialled again


@pytest.fixture
def url(centre_factory: Callable[..., ContactCentre]) -> Iterator[tuple[ContactCentre, str]]:
    centre = campaign_centre(centre_factory, callee())  # nobody answers
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller)
    yield centre, f"http://127.0.0.1:{server.server_port}"
    server.stop()


@pytest.mark.usefixtures("host_in_new_york")  # times shown in the configured zone, not the host's
def test_campaigns_are_loaded_started_paused_shown_and_disposed_over_the_cli_and_http(
    url: tuple[ContactCentre, str],
) -> None:
    centre, base = url

    def cli(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(main, ["campaign", *args, "--url", base])
        assert result.exit_code == code, result.output
        return result.output

    assert cli("load", CAMPAIGN) == "promo-nov: 10 leads added (10 in all, 1 on a do-not-call list)\n"
    assert cli("load", CAMPAIGN).startswith("promo-nov: 0 leads added (10 in all")
    assert cli("start", CAMPAIGN) == "promo-nov: running\n"
    wait_until(lambda: centre.controller.dialer.lines_in_flight(CAMPAIGN) == 4, what="a line per free agent")
    shown = cli("status", CAMPAIGN).splitlines()
    assert shown[0].startswith("campaign   promo-nov (progressive, queue sales): running since ")
    assert shown[1] == "leads      pending 5, dialling 4, dnc 1"
    assert shown[2] == "lines      4 in flight (ringing 4)"
    assert shown[4] == "abandoned  0 of 0 answered = - (limit 3.0% over 24h, 0 left)"
    assert "promo-nov" in cli("status")
    status, view = call(f"{base}/api/campaigns/{CAMPAIGN}", "GET")
    assert status == 200 and view["state"] == "running" and view["lines_in_flight"] == 4
    since = datetime.fromtimestamp(float(str(view["since"])), ZoneInfo("Europe/Moscow"))
    assert shown[0].endswith(f"running since {since:%Y-%m-%d %H:%M:%S}")
    document = json.loads(cli("status", CAMPAIGN, "--json"))
    assert document["since"] == since.isoformat(timespec="milliseconds")
    assert [item["name"] for item in json.loads(cli("status", "--json"))] == [CAMPAIGN]
    assert cli("pause", CAMPAIGN) == "promo-nov: paused\n"
    assert "Error: campaign promo-nov has no lead +440000" in cli("dispose", CAMPAIGN, "+440000", "sale", code=1)
    assert "cannot pause while paused" in cli("pause", CAMPAIGN, code=1)
    assert call(f"{base}/api/campaigns/promo-dec", "GET")[0] == 404
    assert call(f"{base}/api/campaigns/{CAMPAIGN}/dispositions", "POST", {"phone": "+447700900001"})[0] == 400


def test_a_preview_campaign_shows_the_agent_a_lead_and_dials_it_from_their_phone_when_they_say_so(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    records: list[HistoryRecord] = []
    centre = campaign_centre(centre_factory, callee(n1="person", n2="busy"), records=records, mode="preview",
                             abandon_message=None, recording=RecordingPolicy(RecordingMode.ALL))
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller)
    base = f"http://127.0.0.1:{server.server_port}"

    def cli(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(main, ["campaign", *args, "--url", base])
        assert result.exit_code == code, result.output
        return result.output

    try:
        start(centre, lead(1, extra=(("plan", "gold"),)), lead(2))
        engine = centre.controller.engine
        assert "previews no lead of campaign promo-nov" in cli("dial", CAMPAIGN, "--agent", "1000", code=1)
        assert cli("preview", CAMPAIGN, "--agent", "1000") == (
            "lead       +447700900001 Lead 1 (pending, 0 attempts)\nplan       gold\n")
        assert engine.agents["1000"].state is AgentState.RESERVED
        assert not [leg for leg in centre.switch.channels.values() if leg.name.startswith("sofia/gateway/")]
        assert cli("dial", CAMPAIGN, "--agent", "1000").startswith(
            "lead       +447700900001 Lead 1 (dialling, 1 attempts)")
        line = stored(centre, lead(1).phone).call
        wait_until(lambda: engine.agents["1000"].state is AgentState.ON_CALL and engine.agents["1000"].call == line,
                   what="the agent to talk to the lead they dialled")
        assert line is not None and centre.switch.channels[line].name == "sofia/gateway/trunk/+447700900001"
        agent_leg = engine.calls[line].agent_leg
        assert agent_leg is not None and centre.switch.channels[agent_leg].variables.get("sip_auto_answer") == "true"
        assert stored(centre, lead(1).phone).state is LeadState.ANSWERED
        lead_leg = centre.switch.channel(line)
        assert lead_leg is not None  # the campaign's recording policy: the lead's leg, from the bridge
        wait_until(lambda: lead_leg.recording is not None, what="the campaign's recording to start")
        assert lead_leg.recording is not None and lead_leg.recording.endswith(f"/sales/{line}.wav")
        wait_until(lambda: line in contacts(records), timeout=8, what="the call to end and be recorded")
        record = contacts(records)[line]
        assert (record.direction, record.outcome, record.campaign, record.agent) == (
            "outbound", "answered", CAMPAIGN, "1000")

        status, shown = call(f"{base}/api/campaigns/{CAMPAIGN}/preview", "POST", {"agent": "1001"})
        assert (status, shown["phone"]) == (200, lead(2).phone)
        assert call(f"{base}/api/campaigns/{CAMPAIGN}/dial", "POST", {"agent": "1001"})[0] == 200
        wait_until(settled(centre, lead(2).phone, LeadState.RETRY), what="the busy lead's retry")
        assert stored(centre, lead(2).phone).last_outcome is DialOutcome.BUSY
        wait_until(lambda: engine.agents["1001"].state is AgentState.AVAILABLE, what="the agent to be free again")
        assert call(f"{base}/api/campaigns/{CAMPAIGN}/skip", "POST", {})[0] == 400
    finally:
        server.stop()


def test_a_predictive_campaign_hangs_up_lines_that_rang_the_minimum_when_no_agent_will_be_free_for_them(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    # Lines ring 40 s, longer than the campaign's minimum (20 s + 2 s of set-up); nobody answers. Four lines ring for
    # four agents, who all go on a break: from 22 s on the pacer hangs the lines up, well before they ring out.
    records: list[HistoryRecord] = []
    centre = campaign_centre(centre_factory, callee(), records=records, mode="predictive", ring_timeout_s=38)
    numbers = range(1, 5)
    start(centre, *(lead(n) for n in numbers))
    wait_until(lambda: all(stored(centre, lead(n).phone).call is not None for n in numbers), what="four lines")
    dialled = centre.clock.now()
    for agent_id in SALES:
        centre.controller.agent_action(agent_id, TakeBreak("lunch"))
    for n in numbers:
        wait_until(settled(centre, lead(n).phone, LeadState.RETRY), timeout=8, what=f"lead {n} to be hung up")
    assert 22.0 <= centre.clock.now() - dialled < 40.0
    assert {stored(centre, lead(n).phone).last_outcome for n in numbers} == {DialOutcome.NO_ANSWER}
    wait_until(lambda: len(contacts(records)) == 4, what="the four lines' history records")
    assert {(c.outcome, c.hangup_cause) for c in contacts(records).values()} == {("no_answer", "ORIGINATOR_CANCEL")}
    assert all(22.0 <= c.ended_at - c.started_at < 40.0 for c in contacts(records).values())
    status = centre.controller.campaign_status(CAMPAIGN)
    assert (status.abandon.answered, status.abandon.abandoned) == (0, 0)
