"""The campaign core with hand-computed cases: calling windows in each lead's own time zone, retries per outcome,
attempts, the 72-hour rule after an abandoned call, do-not-call lists, dispositions, and the run-state table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from ccswitch.config import CampaignConfig, Disposition, HourRange, RetryDelays
from ccswitch.dialer import (
    ABANDONED_REDIAL_SECONDS,
    CampaignRun,
    DialOutcome,
    Lead,
    LeadState,
    RunCommand,
    RunState,
    admit,
    apply_command,
    dialable,
    new_run,
    next_leads,
    on_dial,
    on_disposition,
    on_outcome,
)
from ccswitch.errors import InvalidTransition, UnknownNameError

HOUR = 3600.0
MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3 all year
VLADIVOSTOK = "Asia/Vladivostok"  # UTC+10 all year

CAMPAIGN = CampaignConfig(
    name="promo",
    caller_id_number="88005550556",
    caller_id_name="Example Shop",
    gateway="trunk",
    queue="sales",
    mode="predictive",
    timezone=MOSCOW,
    days=frozenset(range(5)),  # mon-fri
    hours=(HourRange(9 * 60, 21 * 60),),  # 09:00-21:00
    max_attempts=3,
    retry=RetryDelays(no_answer=2 * 3600, busy=15 * 60, machine=None, failed=30 * 60),
    abandon_limit=0.03,
    abandon_window_s=86400,
    min_ring_s=15,
    ring_timeout_s=30,
    max_lines_per_agent=3,
    abandon_message="campaigns/abandoned",
    dispositions=MappingProxyType(
        {
            "sale": Disposition("sale"),
            "callback": Disposition("callback", retry_after_s=86400),
            "do_not_call": Disposition("do_not_call", do_not_call=True),
        }
    ),
    do_not_call=frozenset({"79160000000"}),
)


def utc(day: int, hour: int, minute: int = 0) -> float:
    """A time in November 2026: the 23rd is a Monday, the 27th a Friday, the 28th and 29th the weekend."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC).timestamp()


MONDAY_NOON = utc(23, 9)  # 12:00 in Moscow, 19:00 in Vladivostok


def lead(phone: str = "+79161234567", position: int = 0, **changes: object) -> Lead:
    return replace(Lead("promo", phone, position=position), **changes)


def dialling(attempts: int = 1, **changes: object) -> Lead:
    return lead(state=LeadState.DIALLING, attempts=attempts, call="leg-1", **changes)


def phones(leads: list[Lead]) -> list[str]:
    return [each.phone for each in leads]


# --- calling windows, in the lead's own time zone ---

MOSCOW_LEAD = lead("+74950000001", 0, timezone="Europe/Moscow")
VLADIVOSTOK_LEAD = lead("+74232000002", 1, timezone=VLADIVOSTOK)
NO_ZONE_LEAD = lead("+74950000003", 2)  # the campaign's zone: Moscow


@pytest.mark.parametrize(
    ("now", "callable_now"),
    [
        # Monday 05:30 UTC: Moscow 08:30 (before 09:00), Vladivostok 15:30.
        (utc(23, 5, 30), ["+74232000002"]),
        # Monday 06:00 UTC: Moscow opens at 09:00 sharp; Vladivostok 16:00.
        (utc(23, 6), ["+74950000001", "+74232000002", "+74950000003"]),
        # Monday 10:59 UTC: Vladivostok 20:59, its last minute; Moscow 13:59.
        (utc(23, 10, 59), ["+74950000001", "+74232000002", "+74950000003"]),
        # Monday 11:00 UTC: Vladivostok 21:00, closed (the end is excluded); Moscow 14:00.
        (utc(23, 11), ["+74950000001", "+74950000003"]),
        # Monday 18:00 UTC: Moscow 21:00, closed; Vladivostok Tuesday 04:00.
        (utc(23, 18), []),
        # Friday 15:00 UTC: Moscow Friday 18:00; Vladivostok already Saturday 01:00.
        (utc(27, 15), ["+74950000001", "+74950000003"]),
        # Saturday 08:00 UTC: Moscow Saturday 11:00 and Vladivostok Saturday 18:00: good hours, weekend.
        (utc(28, 8), []),
        # Sunday 23:30 UTC: Vladivostok is in Monday 09:30 already; Moscow Monday 02:30.
        (utc(29, 23, 30), ["+74232000002"]),
    ],
)
def test_leads_are_called_on_weekdays_and_hours_of_their_own_time_zone(now: float, callable_now: list[str]) -> None:
    assert phones(next_leads(CAMPAIGN, [MOSCOW_LEAD, VLADIVOSTOK_LEAD, NO_ZONE_LEAD], now, 10)) == callable_now


def test_a_lead_without_a_zone_follows_the_campaign_zone() -> None:
    vladivostok_campaign = replace(CAMPAIGN, timezone=ZoneInfo(VLADIVOSTOK))

    assert not dialable(CAMPAIGN, NO_ZONE_LEAD, utc(23, 5, 30))  # Moscow 08:30
    assert dialable(vladivostok_campaign, NO_ZONE_LEAD, utc(23, 5, 30))  # Vladivostok 15:30


def test_window_with_several_ranges_and_no_days_given_is_every_day() -> None:
    split = replace(CAMPAIGN, days=frozenset(), hours=(HourRange(10 * 60, 13 * 60), HourRange(14 * 60, 20 * 60)))

    assert dialable(split, NO_ZONE_LEAD, utc(28, 7))  # Saturday 10:00 in Moscow
    assert not dialable(split, NO_ZONE_LEAD, utc(28, 10, 30))  # 13:30: the lunch gap
    assert dialable(split, NO_ZONE_LEAD, utc(29, 16, 59))  # Sunday 19:59


# --- which leads, in which order ---


def test_due_retries_go_first_oldest_first_then_new_leads_in_import_order() -> None:
    leads = [
        lead("+79160000010", 0),
        lead("+79160000011", 1, state=LeadState.RETRY, attempts=1, next_at=MONDAY_NOON - 60),
        lead("+79160000012", 2),
        lead("+79160000013", 3, state=LeadState.RETRY, attempts=1, next_at=MONDAY_NOON - 600),
        lead("+79160000014", 4, state=LeadState.RETRY, attempts=1, next_at=MONDAY_NOON + 1),  # not yet
    ]

    assert phones(next_leads(CAMPAIGN, reversed(leads), MONDAY_NOON, 10)) == [
        "+79160000013", "+79160000011", "+79160000010", "+79160000012"
    ]
    assert phones(next_leads(CAMPAIGN, leads, MONDAY_NOON, 3)) == ["+79160000013", "+79160000011", "+79160000010"]
    assert next_leads(CAMPAIGN, leads, MONDAY_NOON, 0) == []


def test_a_retry_is_due_at_its_next_at() -> None:
    retry = lead(state=LeadState.RETRY, attempts=1, next_at=MONDAY_NOON)

    assert not dialable(CAMPAIGN, retry, MONDAY_NOON - 1)
    assert dialable(CAMPAIGN, retry, MONDAY_NOON)


@pytest.mark.parametrize("state", [LeadState.DIALLING, LeadState.ANSWERED, LeadState.DONE, LeadState.DNC])
def test_leads_in_progress_or_finished_are_not_dialled(state: LeadState) -> None:
    assert next_leads(CAMPAIGN, [lead(state=state, attempts=1)], MONDAY_NOON, 10) == []


def test_a_lead_with_its_attempts_used_up_is_not_dialled() -> None:
    """E.g. after max_attempts was lowered: a retry from before is left alone."""
    retry = lead(state=LeadState.RETRY, attempts=3, next_at=MONDAY_NOON - HOUR)

    assert not dialable(CAMPAIGN, retry, MONDAY_NOON)
    assert dialable(replace(CAMPAIGN, max_attempts=4), retry, MONDAY_NOON)


# --- do-not-call ---


def test_numbers_on_the_do_not_call_list_are_dnc_from_the_start_and_never_dialled() -> None:
    listed, listed_plus, free = lead("79160000000"), lead("+79160000000", 1), lead("+79160000001", 2)

    admitted = admit(CAMPAIGN, [listed, listed_plus, free])

    assert [each.state for each in admitted] == [LeadState.DNC, LeadState.DNC, LeadState.PENDING]
    # a number listed after the leads came in is still skipped
    assert phones(next_leads(CAMPAIGN, [listed, listed_plus, free], MONDAY_NOON, 10)) == ["+79160000001"]


# --- the 72-hour rule after an abandoned call ---


def test_an_abandoned_person_is_called_again_within_72_hours_only_with_an_agent_reserved() -> None:
    abandoned = on_outcome(CAMPAIGN, dialling(), DialOutcome.ABANDONED, MONDAY_NOON)
    assert (abandoned.state, abandoned.next_at, abandoned.abandoned_at) == (
        LeadState.RETRY, MONDAY_NOON, MONDAY_NOON
    )

    # Thursday 11:59 Moscow, 71 h 59 min later: still inside the 72 hours
    almost = MONDAY_NOON + ABANDONED_REDIAL_SECONDS - 60
    assert next_leads(CAMPAIGN, [abandoned], almost, 1) == []
    assert next_leads(CAMPAIGN, [abandoned], almost, 1, agent_reserved=True) == [abandoned]
    assert next_leads(CAMPAIGN, [abandoned], MONDAY_NOON + ABANDONED_REDIAL_SECONDS, 1) == [abandoned]


def test_the_72_hour_rule_outlives_later_attempts() -> None:
    """Abandoned on Monday, no answer on Tuesday: the Monday abandon still holds the number until Thursday."""
    abandoned = on_outcome(CAMPAIGN, dialling(), DialOutcome.ABANDONED, MONDAY_NOON)
    tuesday = MONDAY_NOON + 24 * HOUR
    redialled = on_dial(abandoned, "leg-2")
    no_answer = on_outcome(CAMPAIGN, redialled, DialOutcome.NO_ANSWER, tuesday)

    assert no_answer.abandoned_at == MONDAY_NOON
    assert not dialable(CAMPAIGN, no_answer, tuesday + 3 * HOUR)
    assert dialable(CAMPAIGN, no_answer, tuesday + 3 * HOUR, agent_reserved=True)


# --- outcomes ---


def test_dialling_counts_an_attempt_and_remembers_the_call() -> None:
    retry = lead(state=LeadState.RETRY, attempts=1, next_at=MONDAY_NOON)

    assert on_dial(retry, "leg-2") == replace(retry, state=LeadState.DIALLING, attempts=2, next_at=None, call="leg-2")


@pytest.mark.parametrize(
    ("outcome", "delay"),
    [(DialOutcome.NO_ANSWER, 2 * HOUR), (DialOutcome.BUSY, 15 * 60), (DialOutcome.FAILED, 30 * 60)],
)
def test_each_outcome_retries_after_its_own_delay(outcome: DialOutcome, delay: float) -> None:
    after = on_outcome(CAMPAIGN, dialling(), outcome, MONDAY_NOON)

    assert after == replace(
        dialling(), state=LeadState.RETRY, next_at=MONDAY_NOON + delay, call=None, last_outcome=outcome
    )


def test_an_outcome_whose_retry_is_never_ends_the_lead() -> None:
    after = on_outcome(CAMPAIGN, dialling(), DialOutcome.MACHINE, MONDAY_NOON)

    assert (after.state, after.next_at, after.call, after.last_outcome) == (
        LeadState.DONE, None, None, DialOutcome.MACHINE
    )


@pytest.mark.parametrize(
    "outcome", [DialOutcome.NO_ANSWER, DialOutcome.BUSY, DialOutcome.FAILED, DialOutcome.ABANDONED]
)
def test_the_last_attempt_ends_the_lead_whatever_the_outcome(outcome: DialOutcome) -> None:
    third = dialling(attempts=3)

    after = on_outcome(CAMPAIGN, third, outcome, MONDAY_NOON)

    assert (after.state, after.next_at, after.last_outcome) == (LeadState.DONE, None, outcome)
    assert on_outcome(CAMPAIGN, dialling(attempts=2), outcome, MONDAY_NOON).state is LeadState.RETRY


def test_a_person_who_answers_goes_to_an_agent_and_the_lead_waits_for_the_disposition() -> None:
    after = on_outcome(CAMPAIGN, dialling(), DialOutcome.PERSON_ANSWERED, MONDAY_NOON)

    assert (after.state, after.call, after.last_outcome) == (LeadState.ANSWERED, "leg-1", DialOutcome.PERSON_ANSWERED)
    assert next_leads(CAMPAIGN, [after], MONDAY_NOON, 1) == []


def test_in_a_blast_a_person_who_answers_is_done() -> None:
    blast = replace(CAMPAIGN, mode="blast")

    after = on_outcome(blast, dialling(), DialOutcome.PERSON_ANSWERED, MONDAY_NOON)

    assert (after.state, after.call) == (LeadState.DONE, None)


# --- dispositions ---


def answered(attempts: int = 1) -> Lead:
    return on_outcome(CAMPAIGN, dialling(attempts), DialOutcome.PERSON_ANSWERED, MONDAY_NOON - 300)


def test_a_final_disposition_ends_the_lead() -> None:
    after = on_disposition(CAMPAIGN, answered(), "sale", MONDAY_NOON)

    assert (after.state, after.disposition, after.call, after.next_at) == (LeadState.DONE, "sale", None, None)


def test_a_retry_disposition_schedules_the_next_call() -> None:
    after = on_disposition(CAMPAIGN, answered(), "callback", MONDAY_NOON)

    assert (after.state, after.disposition, after.next_at) == (LeadState.RETRY, "callback", MONDAY_NOON + 86400)
    assert next_leads(CAMPAIGN, [after], MONDAY_NOON + 86399, 1) == []
    assert next_leads(CAMPAIGN, [after], MONDAY_NOON + 86400, 1) == [after]  # Tuesday 12:00 in Moscow


def test_a_retry_disposition_on_the_last_attempt_ends_the_lead() -> None:
    after = on_disposition(CAMPAIGN, answered(attempts=3), "callback", MONDAY_NOON)

    assert (after.state, after.disposition) == (LeadState.DONE, "callback")


def test_a_do_not_call_disposition_marks_the_lead_dnc() -> None:
    after = on_disposition(CAMPAIGN, answered(), "do_not_call", MONDAY_NOON)

    assert (after.state, after.disposition, after.call) == (LeadState.DNC, "do_not_call", None)


def test_an_unknown_disposition_is_refused() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown disposition 'sold' \(known: sale, callback, do_not_call\)"):
        on_disposition(CAMPAIGN, answered(), "sold", MONDAY_NOON)


# --- illegal moves ---

LEGAL = {
    (LeadState.PENDING, "dial"),
    (LeadState.RETRY, "dial"),
    (LeadState.DIALLING, "outcome"),
    (LeadState.ANSWERED, "disposition"),
}


@pytest.mark.parametrize("state", list(LeadState))
@pytest.mark.parametrize("move", ["dial", "outcome", "disposition"])
def test_every_move_the_table_does_not_allow_raises(state: LeadState, move: str) -> None:
    current = lead(state=state, attempts=1)

    def make_move() -> Lead:
        if move == "dial":
            return on_dial(current, "leg-2")
        if move == "outcome":
            return on_outcome(CAMPAIGN, current, DialOutcome.BUSY, MONDAY_NOON)
        return on_disposition(CAMPAIGN, current, "sale", MONDAY_NOON)

    if (state, move) in LEGAL:
        assert make_move().state is not state
    else:
        with pytest.raises(InvalidTransition, match=f"no {move} while {state.value}"):
            make_move()


# --- campaign runs ---

RUN_TABLE = {
    (RunState.LOADED, RunCommand.START): RunState.RUNNING,
    (RunState.LOADED, RunCommand.STOP): RunState.STOPPED,
    (RunState.RUNNING, RunCommand.PAUSE): RunState.PAUSED,
    (RunState.RUNNING, RunCommand.STOP): RunState.STOPPED,
    (RunState.PAUSED, RunCommand.RESUME): RunState.RUNNING,
    (RunState.PAUSED, RunCommand.STOP): RunState.STOPPED,
    (RunState.STOPPED, RunCommand.START): RunState.RUNNING,
}


def test_a_new_run_is_loaded() -> None:
    assert new_run("promo", MONDAY_NOON) == CampaignRun("promo", RunState.LOADED, MONDAY_NOON)


@pytest.mark.parametrize("state", list(RunState))
@pytest.mark.parametrize("command", list(RunCommand))
def test_every_run_state_and_command(state: RunState, command: RunCommand) -> None:
    run = CampaignRun("promo", state, MONDAY_NOON, version=4)
    expected = RUN_TABLE.get((state, command))

    if expected is None:
        with pytest.raises(InvalidTransition, match=f"campaign promo: cannot {command.value} while {state.value}"):
            apply_command(run, command, MONDAY_NOON + 1)
    else:
        assert apply_command(run, command, MONDAY_NOON + 1) == CampaignRun("promo", expected, MONDAY_NOON + 1, 4)
