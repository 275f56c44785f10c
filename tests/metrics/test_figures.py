"""The pure figures behind the metrics: the outcome ledger, waiting calls, agents by state, occupancy; Stats' sink."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ccswitch.acd import QueueEntry
from ccswitch.acd.agents import Agent, AgentState, count_by_state
from ccswitch.acd.capacity import Channel
from ccswitch.metrics import (
    Outcome,
    OutcomeKind,
    OutcomeLedger,
    occupancy,
    waiting_by_queue,
)
from ccswitch.stats import Stats

MOSCOW = ZoneInfo("Europe/Moscow")
ANSWERED, ABANDONED, OVERFLOWED = OutcomeKind.ANSWERED, OutcomeKind.ABANDONED, OutcomeKind.OVERFLOWED
VOICE = Channel.VOICE
TALKED, WRAPPED_UP = OutcomeKind.TALKED, OutcomeKind.WRAPPED_UP


def moscow(hour: int, minute: int, day: int = 23) -> float:
    return datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW).timestamp()


def ledger(*outcomes: Outcome, window_s: float = 900.0) -> OutcomeLedger:
    result = OutcomeLedger(window_s, thresholds={"support": 20.0, "sales": 20.0},
                           short_abandon_thresholds={"support": 5.0, "sales": 0.0}, timezone=MOSCOW)
    for outcome in outcomes:
        result.record(outcome)
    return result


def test_window_keeps_only_the_last_window_s_and_counts_as_stats_does() -> None:
    start = moscow(10, 0)
    book = ledger(
        Outcome(start, "support", ANSWERED, 10.0),  # out of the window by the time we look
        Outcome(start + 100, "support", ABANDONED, 40.0),
        Outcome(start + 500, "support", ANSWERED, 20.0),  # exactly on the threshold: within
        Outcome(start + 600, "support", ANSWERED, 30.0),
        Outcome(start + 700, "support", OVERFLOWED),
        Outcome(start + 800, "sales", ANSWERED, 5.0),
    )
    figures = book.window(start + 1000)
    support = figures["support", VOICE].calls
    assert (support.offered, support.answered, support.abandoned, support.overflowed) == (4, 2, 1, 1)
    assert support.service_level == pytest.approx(1 / 4)
    assert support.asa == pytest.approx(25.0)
    assert support.abandon_rate == pytest.approx(1 / 4)
    assert figures["sales", VOICE].calls.service_level == 1.0
    assert set(book.window(start + 2000)) == set()  # everything aged out


def test_window_counts_short_abandons_against_each_queues_own_threshold() -> None:
    start = moscow(10, 0)
    book = ledger(
        Outcome(start, "support", ANSWERED, 15.0),
        Outcome(start + 10, "support", ABANDONED, 3.0),  # short
        Outcome(start + 20, "support", ABANDONED, 5.0),  # on the threshold: not short
        Outcome(start + 30, "support", OVERFLOWED),
        Outcome(start + 40, "sales", ABANDONED, 0.0),  # sales' threshold is 0: no abandon is short
        Outcome(start + 50, "sales", ANSWERED, 25.0),
    )
    support = book.window(start + 60)["support", VOICE].calls
    assert (support.offered, support.abandoned, support.short_abandoned, support.answered_within_sl) == (4, 2, 1, 1)
    assert support.service_level == pytest.approx(1 / 4)
    assert support.service_level_excluding_short_abandons == pytest.approx(1 / 3)
    assert support.service_level_of_answered == 1.0
    sales = book.today(start + 60)["sales", VOICE].calls
    assert (sales.short_abandoned, sales.service_level, sales.service_level_excluding_short_abandons,
            sales.service_level_of_answered) == (0, 0.0, 0.0, 0.0)


def test_handle_time_is_talk_plus_wrap_up_per_handled_call() -> None:
    now = moscow(10, 0)
    book = ledger(Outcome(now, "sales", TALKED, 100.0), Outcome(now, "sales", WRAPPED_UP, 20.0),
                  Outcome(now, "sales", TALKED, 50.0))
    figures = book.window(now)["sales", VOICE]
    assert (figures.handled, figures.handle_seconds, figures.aht) == (2, 170.0, 85.0)
    assert figures.calls.offered == 0 and figures.calls.service_level is None


def test_today_starts_again_at_local_midnight() -> None:
    book = ledger(Outcome(moscow(23, 59, day=23), "support", ANSWERED, 5.0),
                  Outcome(moscow(0, 1, day=24), "support", ABANDONED, 30.0))
    today = book.today(moscow(0, 2, day=24))["support", VOICE].calls
    assert (today.answered, today.abandoned) == (0, 1)
    # 23:59 Moscow is 20:59 UTC: a UTC day would still hold both.
    assert book.today(moscow(12, 0, day=25)) == {}


def test_today_is_kept_beyond_the_window() -> None:
    book = ledger(Outcome(moscow(9, 0), "support", ANSWERED, 5.0), window_s=60.0)
    assert book.window(moscow(12, 0)) == {}
    assert book.today(moscow(12, 0))["support", VOICE].calls.service_level == 1.0


def test_waiting_by_queue_counts_calls_and_the_longest_wait() -> None:
    entries = [QueueEntry("c1", "sales", 0, 100.0, 1), QueueEntry("c2", "sales", 5, 130.0, 2),
               QueueEntry("c3", "support", 0, 150.0, 3)]
    assert waiting_by_queue(entries, ["sales", "support", "operator"], now=160.0) == {
        "sales": (2, 60.0), "support": (1, 10.0), "operator": (0, 0.0)}


def test_agents_by_state_and_occupancy_count_only_the_queue_members() -> None:
    states = {"a": AgentState.ON_CALL, "b": AgentState.WRAP_UP, "c": AgentState.AVAILABLE,
              "d": AgentState.ON_BREAK, "e": AgentState.RESERVED, "f": AgentState.AVAILABLE}
    agents = {agent_id: Agent(agent_id, state, since=0.0) for agent_id, state in states.items()}
    counts = count_by_state(agents, ["a", "b", "c", "d", "e", "missing"])
    assert counts == {AgentState.LOGGED_OUT: 0, AgentState.AVAILABLE: 1, AgentState.ON_BREAK: 1,
                      AgentState.RESERVED: 1, AgentState.ON_CALL: 1, AgentState.WRAP_UP: 1}
    assert occupancy(counts) == pytest.approx(3 / 4)  # on break is not staffed
    assert occupancy(count_by_state(agents, ["d"])) is None


class RecordingSink:
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def answered(self, queue: str, agent: str, wait_s: float, channel: Channel = Channel.VOICE) -> None:
        self.calls.append(("answered", queue, agent, wait_s, channel))

    def abandoned(self, queue: str, wait_s: float, channel: Channel = Channel.VOICE) -> None:
        self.calls.append(("abandoned", queue, wait_s, channel))

    def overflowed(self, queue: str, channel: Channel = Channel.VOICE) -> None:
        self.calls.append(("overflowed", queue, channel))

    def handled(self, queue: str, handle_s: float, channel: Channel = Channel.VOICE) -> None:
        self.calls.append(("handled", queue, handle_s, channel))

    def first_response(self, queue: str, channel: Channel, seconds: float) -> None:
        self.calls.append(("first_response", queue, channel, seconds))

    def missed(self, agent: str) -> None:
        self.calls.append(("missed", agent))

    def talked(self, agent: str, seconds: float) -> None:
        self.calls.append(("talked", agent, seconds))

    def wrapped_up(self, agent: str, seconds: float) -> None:
        self.calls.append(("wrapped_up", agent, seconds))


def test_stats_forwards_every_outcome_to_its_sink_as_it_counts_it() -> None:
    sink = RecordingSink()
    stats = Stats(service_level_s=20.0, sink=sink)
    stats.answered("sales", "1000", 25.0)
    stats.abandoned("sales", 3.0)
    stats.overflowed("support")
    stats.missed("1001")
    stats.talked("1000", 60.0)
    assert sink.calls == [("answered", "sales", "1000", 25.0, VOICE), ("abandoned", "sales", 3.0, VOICE),
                          ("overflowed", "support", VOICE), ("missed", "1001"), ("talked", "1000", 60.0)]
    assert stats.queues["sales"].answered_within_sl == 0 and stats.queues["sales"].longest_answer_wait == 25.0
    assert stats.queues["sales"].short_abandoned == 1


@pytest.mark.parametrize("after", [AgentState.AVAILABLE, AgentState.ON_BREAK, AgentState.LOGGED_OUT])
def test_leaving_wrap_up_however_it_ends_counts_its_time(after: AgentState) -> None:
    sink = RecordingSink()
    stats = Stats(sink=sink)
    wrapping = Agent("1000", AgentState.WRAP_UP, since=100.0)
    stats.agent_changed(wrapping, Agent("1000", after, since=112.5), now=112.5)
    assert stats.agents["1000"].wrap_up_seconds == 12.5
    assert sink.calls == [("wrapped_up", "1000", 12.5)]


def test_other_transitions_count_no_wrap_up() -> None:
    stats = Stats(sink=(sink := RecordingSink()))
    stats.agent_changed(Agent("1000", AgentState.ON_CALL, 0.0), Agent("1000", AgentState.WRAP_UP, 50.0), now=50.0)
    stats.agent_changed(Agent("1000", AgentState.AVAILABLE, 0.0), Agent("1000", AgentState.RESERVED, 9.0), now=9.0)
    assert stats.agents["1000"].wrap_up_seconds == 0.0 and sink.calls == []
