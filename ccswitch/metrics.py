"""Prometheus metrics: the only module that names them.

Theory of operation. Three sources, none of which costs anything per event beyond a counter increment:

- **outcomes** (offered, answered, abandoned, talk and wrap-up time, handle time, first response…) arrive from
  ``Stats``, which forwards each one as it counts it (``Metrics`` is its ``sink``). They feed counters, the wait,
  handle-time and first-response histograms, and an ``OutcomeLedger`` from which the service level (three variants,
  counted by ``QueueFigures`` as ``Stats`` counts them), ASA, abandon rate, AHT and mean first response over the
  last ``window_s`` and since local midnight are computed at scrape time. Every queue figure has a ``channel``
  label (voice, chat …) and each channel is measured against its own service-level threshold
  (``ccswitch.stats.service_level_threshold``).
- **state** (calls waiting, longest wait, agents by state, occupancy, contacts agents hold by channel) is read at
  scrape time by ``EngineCollector`` from an ``EngineView`` (what the engine shows of itself; this module does not
  import it): nothing is updated as calls move.
- **controller health** (ESL connection per node, events, command latency, store latency, errors and outages) comes
  from small calls the controller makes (``esl_connected``, ``esl_event``, ``command_latency``,
  ``store_availability``) and ``InstrumentedStore``.
- **the dialler** (lines in flight, calls by outcome, answer / machine / abandon ratios over each campaign's
  regulatory window and its limit) is read from the ``Dialer`` at scrape time by ``DialerCollector``.

Each controller has its own ``CollectorRegistry``. Labels are bounded: queue, channel, node, event name, store
operation, agent state, campaign and dial outcome; ``agent`` only when ``per_agent`` is set. No call, caller or lead
ever becomes a label.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import ParamSpec, Protocol, TypeVar
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from ccswitch.acd import Agent, Channel, QueueEntry
from ccswitch.acd.agents import AgentState, count_by_state
from ccswitch.admission import SWITCH_DROP_CAUSES, Capacity, Limit, NodeLoad
from ccswitch.config import Config
from ccswitch.config._fields import HANGUP_CAUSES
from ccswitch.dialer import CampaignRun, DialOutcome, Lead, RunState
from ccswitch.dialer.runner import Dialer
from ccswitch.effects import Effect
from ccswitch.errors import StoreError
from ccswitch.stats import (
    QueueFigures,
    answered_within,
    channel_thresholds,
    channels_in_use,
    is_short_abandon,
    service_level_threshold,
    service_level_thresholds,
    short_abandon_thresholds,
)
from ccswitch.store.base import Store

# Around the usual 20 s service-level threshold, up to the longest queue wait worth telling apart.
WAIT_BUCKETS = (5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0)
# ESL commands answer in about a millisecond on a LAN; seconds mean a stalled switch.
COMMAND_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A handled contact: a short call is a minute or two, a chat can run half an hour.
HANDLE_BUCKETS = (30.0, 60.0, 120.0, 180.0, 300.0, 450.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0)
STORE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)

# An agent who cannot take a call because they are handling one (ringing counts: the phone is busy).
BUSY_STATES = frozenset({AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP})
STAFFED_STATES = BUSY_STATES | {AgentState.AVAILABLE}
# A caller whose agent's phone is ringing is still waiting.
STORE_OPERATIONS = ("get_agent", "agents", "put_agent", "update_agent", "add_entry", "remove_entry", "entries",
                    "all_entries", "next_seq", "put_leads", "get_lead", "leads", "update_lead", "get_campaign_run",
                    "update_campaign_run", "ping")

_P = ParamSpec("_P")
_R = TypeVar("_R")


# ---------------------------------------------------------------------------------------------- pure figures
class OutcomeKind(Enum):
    ANSWERED = "answered"  # seconds: the wait
    ABANDONED = "abandoned"  # seconds: the wait
    OVERFLOWED = "overflowed"
    TALKED = "talked"  # seconds: bridge to hang-up; one handled call
    WRAPPED_UP = "wrapped_up"  # seconds: time in wrap-up
    HANDLED = "handled"  # seconds: a text contact's whole handle time (a call's comes as TALKED + WRAPPED_UP)
    FIRST_RESPONSE = "first_response"  # seconds: accepted to the agent's first message


@dataclass(frozen=True, slots=True)
class Outcome:
    at: float
    queue: str
    kind: OutcomeKind
    seconds: float = 0.0
    channel: Channel = Channel.VOICE


QueueChannel = tuple[str, Channel]


@dataclass(slots=True)
class PeriodFigures:
    """One queue's contacts of one channel over a period, counted as ``Stats`` counts them, plus handle time for
    AHT."""

    calls: QueueFigures = field(default_factory=QueueFigures)
    handled: int = 0
    handle_seconds: float = 0.0  # talk + wrap-up (no hold yet)

    def add(self, outcome: Outcome, service_level_s: float, short_abandon_s: float) -> None:
        if outcome.kind is OutcomeKind.ANSWERED:
            self.calls.record_answer(outcome.seconds, service_level_s)
        elif outcome.kind is OutcomeKind.ABANDONED:
            self.calls.record_abandon(outcome.seconds, short_abandon_s)
        elif outcome.kind is OutcomeKind.OVERFLOWED:
            self.calls.record_overflow()
        elif outcome.kind is OutcomeKind.FIRST_RESPONSE:
            self.calls.record_first_response(outcome.seconds)
        else:
            self.handle_seconds += outcome.seconds
            if outcome.kind is not OutcomeKind.WRAPPED_UP:
                self.handled += 1

    @property
    def aht(self) -> float | None:
        return self.handle_seconds / self.handled if self.handled else None


class OutcomeLedger:
    """Recent outcomes and running figures since local midnight, per queue and channel. Pure: every time is an
    argument."""

    def __init__(self, window_s: float, thresholds: Mapping[str, float], short_abandon_thresholds: Mapping[str, float],
                 timezone: ZoneInfo, channel_thresholds: Mapping[Channel, float] | None = None) -> None:
        self.window_s = window_s
        self.thresholds = thresholds  # queue -> service-level threshold
        self.short_abandon_thresholds = short_abandon_thresholds  # queue -> short-abandon threshold
        self.channel_thresholds = channel_thresholds or {}  # channel -> its own service-level threshold
        self.timezone = timezone
        self._recent: deque[Outcome] = deque()
        self._day: date | None = None
        self._today: defaultdict[QueueChannel, PeriodFigures] = defaultdict(PeriodFigures)

    def record(self, outcome: Outcome) -> None:
        self._recent.append(outcome)
        day = self._local_day(outcome.at)
        if day != self._day:
            self._day = day
            self._today.clear()
        self._add(self._today[outcome.queue, outcome.channel], outcome)

    def window(self, now: float) -> dict[QueueChannel, PeriodFigures]:
        """Per queue and channel, the outcomes of the last ``window_s`` seconds."""
        while self._recent and self._recent[0].at < now - self.window_s:
            self._recent.popleft()
        figures: defaultdict[QueueChannel, PeriodFigures] = defaultdict(PeriodFigures)
        for outcome in self._recent:
            self._add(figures[outcome.queue, outcome.channel], outcome)
        return dict(figures)

    def today(self, now: float) -> dict[QueueChannel, PeriodFigures]:
        """Per queue and channel, the outcomes since local midnight (nothing yet when the day has just turned)."""
        return dict(self._today) if self._local_day(now) == self._day else {}

    def service_level_threshold(self, queue: str, channel: Channel) -> float:
        return service_level_threshold(self.thresholds[queue], channel, self.channel_thresholds)

    def _add(self, figures: PeriodFigures, outcome: Outcome) -> None:
        figures.add(outcome, self.service_level_threshold(outcome.queue, outcome.channel),
                    self.short_abandon_thresholds[outcome.queue])

    def _local_day(self, at: float) -> date:
        return datetime.fromtimestamp(at, tz=self.timezone).date()


def waiting_by_queue(entries: Iterable[QueueEntry], queues: Iterable[str], now: float,
                     channel: Channel | None = None) -> dict[str, tuple[int, float]]:
    """Per queue: how many contacts (of ``channel``, or of every one) wait and the longest wait so far (0 when
    none)."""
    result = dict.fromkeys(queues, (0, 0.0))
    for entry in entries:
        if channel is not None and entry.channel is not channel:
            continue
        count, longest = result[entry.queue]
        result[entry.queue] = (count + 1, max(longest, now - entry.enqueued_at))
    return result


def occupancy(counts: Mapping[AgentState, int]) -> float | None:
    """Busy agents / staffed agents right now; ``None`` when nobody is staffed."""
    staffed = sum(counts[state] for state in STAFFED_STATES)
    return sum(counts[state] for state in BUSY_STATES) / staffed if staffed else None


def contacts_held(agents: Iterable[Agent]) -> Tally[tuple[str, Channel]]:
    """Per agent and channel: the contacts the agent holds now (offered, active or in wrap-up)."""
    return Tally((agent.id, contact.channel) for agent in agents for contact in agent.held())


# ---------------------------------------------------------------------------------------------- the shell
class Metrics:
    """One controller's metrics: the ``Stats`` sink, the controller-health API and the registry to serve."""

    def __init__(self, config: Config, now: Callable[[], float], per_agent: bool = False,
                 window_s: float = 900.0) -> None:
        self.now = now
        self.per_agent = per_agent
        self.registry = CollectorRegistry()
        self.ledger = OutcomeLedger(window_s, service_level_thresholds(config), short_abandon_thresholds(config),
                                    config.timezone, channel_thresholds(config))
        self.esl_up: dict[str, bool] = {node.name: False for node in config.nodes}
        self._ever_up: set[str] = set()
        self._agent_queue: dict[str, str] = {}  # the queue of the agent's current or last call

        def counter(name: str, doc: str, labels: tuple[str, ...] = ("queue", "channel")) -> Counter:
            return Counter(name, doc, labels, registry=self.registry)

        def histogram(name: str, doc: str, buckets: Sequence[float]) -> Histogram:
            return Histogram(name, doc, ("queue", "channel"), buckets=buckets, registry=self.registry)

        # The names say calls, as they did before there were channels; a chat is counted in them with channel="chat".
        self.offered = counter("ccswitch_queue_calls_offered", "Contacts that left the queue: answered, abandoned "
                               "or overflowed.")
        self.answered_calls = counter("ccswitch_queue_calls_answered", "Contacts answered: calls bridged to an agent, "
                                      "text contacts accepted.")
        self.answered_in_threshold = counter("ccswitch_queue_calls_answered_within_threshold",
                                             "Contacts answered within their channel's service-level threshold.")
        self.abandoned_calls = counter("ccswitch_queue_calls_abandoned", "Customers who left while waiting.")
        self.short_abandoned_calls = counter("ccswitch_queue_calls_short_abandoned", "Abandoned contacts that "
                                             "waited less than the short-abandon threshold (also counted as "
                                             "abandoned).")
        self.overflowed_calls = counter("ccswitch_queue_calls_overflowed", "Contacts sent to the overflow step.")
        self.handled_calls = counter("ccswitch_queue_calls_handled", "Answered contacts that have ended (a call: "
                                     "its talk).")
        self.talk_seconds = counter("ccswitch_queue_talk_seconds", "Agents' talk time, bridge to hang-up (calls).")
        self.wrap_up_seconds = counter("ccswitch_queue_wrap_up_seconds", "Agents' time in wrap-up after a call.")
        self.answer_wait = histogram("ccswitch_queue_answer_wait_seconds", "Wait of answered contacts, queue entry "
                                     "to bridge or acceptance.", WAIT_BUCKETS)
        self.handle_time = histogram("ccswitch_queue_handle_seconds", "Handle time of ended contacts: talk (a text "
                                     "contact: accepted to closed) plus the wrap-up it earned.", HANDLE_BUCKETS)
        self.first_response_time = histogram("ccswitch_queue_first_response_seconds", "Text contacts: from the "
                                             "agent accepting to their first message.", WAIT_BUCKETS)
        agent_labels = ("agent",) if per_agent else ()
        self.agent_handled = counter("ccswitch_agent_calls_handled", "Calls handled (talk ended).", agent_labels)
        self.agent_talk_seconds = counter("ccswitch_agent_talk_seconds", "Talk time, bridge to hang-up.",
                                          agent_labels)
        self.agent_missed = counter("ccswitch_agent_offers_missed", "Offers an agent did not answer.", agent_labels)
        self.esl_connected_gauge = Gauge("ccswitch_esl_connected", "1 while the event socket to the node is up.",
                                         ("node",), registry=self.registry)
        self.esl_reconnects = counter("ccswitch_esl_reconnects", "Event socket re-established after a loss.",
                                      ("node",))
        self.esl_events = counter("ccswitch_esl_events_received", "Events received, by name.", ("node", "event"))
        self.command_seconds = Histogram("ccswitch_esl_command_seconds", "ESL command round trip.", ("node",),
                                         buckets=COMMAND_BUCKETS, registry=self.registry)
        self.store_seconds = Histogram("ccswitch_store_operation_seconds", "Store operation latency.",
                                       ("operation",), buckets=STORE_BUCKETS, registry=self.registry)
        self.store_errors = counter("ccswitch_store_errors", "Store operations that failed.", ("operation",))
        self.module_missing = Gauge("ccswitch_switch_module_missing", "1 while a module the configuration needs "
                                    "is not loaded on the node (asked at connect), 0 once it is.",
                                    ("node", "module"), registry=self.registry)
        self.command_failures = counter("ccswitch_esl_command_failures", "Commands the switch answered -ERR (by "
                                        "effect: Answer, ConnectAgent, StartMusic …).", ("node", "command"))
        self.originate_failures = counter("ccswitch_originate_failures", "Originates (bgapi) that failed, by "
                                          "FreeSWITCH's cause (other: a reply that names none).", ("node", "cause"))
        self.store_available = Gauge("ccswitch_store_available", "1 while the shared store answers; 0 during an "
                                     "outage, while the controller carries on with its own view and makes no offers.",
                                     registry=self.registry)
        self.store_outages = counter("ccswitch_store_outages", "Store outages, counted as they begin.", ())
        self.store_outage_seconds = counter("ccswitch_store_outage_seconds", "Time spent in store outages, added "
                                            "as each ends (on the controller's clock).", ())
        self.store_unavailable_since: float | None = None  # for /healthz
        self.service_level_threshold = Gauge("ccswitch_queue_service_level_threshold_seconds", "Answered within "
                                             "this (inclusive) counts towards the queue's service level (the "
                                             "channel's own threshold, else the queue's).", ("queue", "channel"),
                                             registry=self.registry)
        self.short_abandon_threshold = Gauge("ccswitch_queue_short_abandon_threshold_seconds", "Abandoned before "
                                             "this (exclusive) is a short abandon.", ("queue",),
                                             registry=self.registry)
        self.reconfigure(config)
        for node in self.esl_up:
            self.esl_connected_gauge.labels(node).set(0)
            self.esl_reconnects.labels(node)
            self.command_seconds.labels(node)
            self.command_failures.labels(node, "Answer")  # the one that turns a caller away
        self.store_available.set(1)
        for operation in STORE_OPERATIONS:
            self.store_seconds.labels(operation)
            self.store_errors.labels(operation)
        self.registry.register(_LedgerCollector(self.ledger, now))

    def reconfigure(self, config: Config) -> None:
        """Per-queue thresholds and series for the configuration (again after a reload: a removed queue's
        threshold series go; its counters stay, as counters must)."""
        self.ledger.thresholds = service_level_thresholds(config)
        self.ledger.short_abandon_thresholds = short_abandon_thresholds(config)
        self.ledger.channel_thresholds = channel_thresholds(config)
        channels = channels_in_use(config)  # every queue has series of these from the start
        for gauge in (self.service_level_threshold, self.short_abandon_threshold):
            gauge.clear()
        for queue in config.queues:
            for channel in channels:
                self.service_level_threshold.labels(queue, channel).set(
                    self.ledger.service_level_threshold(queue, channel))
            self.short_abandon_threshold.labels(queue).set(self.ledger.short_abandon_thresholds[queue])
        # Every series exists from the start, so rate() and the dashboard see zeros, not gaps.
        for queue in config.queues:
            for channel in channels:
                for family in (self.offered, self.answered_calls, self.answered_in_threshold, self.abandoned_calls,
                               self.short_abandoned_calls, self.overflowed_calls, self.handled_calls,
                               self.answer_wait, self.handle_time):
                    family.labels(queue, channel)
                if channel is not Channel.VOICE:
                    self.first_response_time.labels(queue, channel)
            for family in (self.talk_seconds, self.wrap_up_seconds):
                family.labels(queue, Channel.VOICE)
        for agent in config.agents if self.per_agent else ():
            for family in (self.agent_handled, self.agent_talk_seconds, self.agent_missed):
                family.labels(agent)

    def watch(self, engine: EngineView) -> None:
        """Expose the engine's live state (calls waiting, agents by state…) at every scrape."""
        self.registry.register(EngineCollector(engine, self.now, self.per_agent))

    def watch_dialer(self, dialer: Dialer) -> None:
        """Expose the dialler's campaigns (lines in flight, outcomes, ratios, the abandon ledger) at every scrape."""
        self.registry.register(DialerCollector(dialer, self.now))

    def instrument(self, store: Store) -> Store:
        """``store`` with each operation's latency and failures measured."""
        return InstrumentedStore(store, self)

    # -- the Stats sink --------------------------------------------------------------------------------------
    def answered(self, queue: str, agent: str, wait_s: float, channel: Channel = Channel.VOICE) -> None:
        if channel is Channel.VOICE:
            self._agent_queue[agent] = queue
        self.offered.labels(queue, channel).inc()
        self.answered_calls.labels(queue, channel).inc()
        if answered_within(wait_s, self.ledger.service_level_threshold(queue, channel)):
            self.answered_in_threshold.labels(queue, channel).inc()
        self.answer_wait.labels(queue, channel).observe(wait_s)
        self._record(queue, OutcomeKind.ANSWERED, wait_s, channel)

    def abandoned(self, queue: str, wait_s: float, channel: Channel = Channel.VOICE) -> None:
        self.offered.labels(queue, channel).inc()
        self.abandoned_calls.labels(queue, channel).inc()
        if is_short_abandon(wait_s, self.ledger.short_abandon_thresholds[queue]):
            self.short_abandoned_calls.labels(queue, channel).inc()
        self._record(queue, OutcomeKind.ABANDONED, wait_s, channel)

    def overflowed(self, queue: str, channel: Channel = Channel.VOICE) -> None:
        self.offered.labels(queue, channel).inc()
        self.overflowed_calls.labels(queue, channel).inc()
        self._record(queue, OutcomeKind.OVERFLOWED, channel=channel)

    def handled(self, queue: str, handle_s: float, channel: Channel = Channel.VOICE) -> None:
        """Every channel's handle time goes to the histogram. A call's handled count, talk and wrap-up (what the
        period AHT uses) are counted as they happen (``talked``, ``wrapped_up``); a text contact's arrive here."""
        self.handle_time.labels(queue, channel).observe(handle_s)
        if channel is not Channel.VOICE:
            self.handled_calls.labels(queue, channel).inc()
            self._record(queue, OutcomeKind.HANDLED, handle_s, channel)

    def first_response(self, queue: str, channel: Channel, seconds: float) -> None:
        self.first_response_time.labels(queue, channel).observe(seconds)
        self._record(queue, OutcomeKind.FIRST_RESPONSE, seconds, channel)

    def missed(self, agent: str) -> None:
        self._agent_child(self.agent_missed, agent).inc()

    def talked(self, agent: str, seconds: float) -> None:
        self._agent_child(self.agent_handled, agent).inc()
        self._agent_child(self.agent_talk_seconds, agent).inc(seconds)
        queue = self._agent_queue.get(agent)
        if queue is not None:
            self.handled_calls.labels(queue, Channel.VOICE).inc()
            self.talk_seconds.labels(queue, Channel.VOICE).inc(seconds)
            self._record(queue, OutcomeKind.TALKED, seconds)

    def wrapped_up(self, agent: str, seconds: float) -> None:
        queue = self._agent_queue.get(agent)
        if queue is not None:
            self.wrap_up_seconds.labels(queue, Channel.VOICE).inc(seconds)
            self._record(queue, OutcomeKind.WRAPPED_UP, seconds)

    # -- controller health -----------------------------------------------------------------------------------
    def esl_connected(self, node: str, connected: bool) -> None:
        """Call on every connection change; a node coming up again after having been up counts a reconnect."""
        if connected and node in self._ever_up:
            self.esl_reconnects.labels(node).inc()
        if connected:
            self._ever_up.add(node)
        self.esl_up[node] = connected
        self.esl_connected_gauge.labels(node).set(int(connected))

    def modules_checked(self, node: str, needed: Iterable[str], missing: Iterable[str]) -> None:
        """What the node said at connect about the modules the configuration needs."""
        absent = set(missing)
        for module in needed:
            self.module_missing.labels(node, module).set(int(module in absent))

    def store_availability(self, available: bool, since: float) -> None:
        """Call when a store outage begins (``available`` false) and when it ends; ``since``: the moment."""
        if not available:
            self.store_outages.inc()
            self.store_unavailable_since = since
        elif self.store_unavailable_since is not None:
            self.store_outage_seconds.inc(max(0.0, since - self.store_unavailable_since))
            self.store_unavailable_since = None
        self.store_available.set(int(available))

    def esl_event(self, node: str, name: str) -> None:
        self.esl_events.labels(node, name).inc()

    def command_latency(self, node: str, seconds: float) -> None:
        self.command_seconds.labels(node).observe(seconds)

    def command_failed(self, node: str, effect: Effect) -> None:
        self.command_failures.labels(node, type(effect).__name__).inc()

    def job_failed(self, node: str, reason: str) -> None:
        cause = reason.split(" ", 1)[0]
        self.originate_failures.labels(node, cause if cause in HANGUP_CAUSES else "other").inc()

    # -- helpers ---------------------------------------------------------------------------------------------
    def _record(self, queue: str, kind: OutcomeKind, seconds: float = 0.0,
                channel: Channel = Channel.VOICE) -> None:
        self.ledger.record(Outcome(self.now(), queue, kind, seconds, channel))

    def _agent_child(self, family: Counter, agent: str) -> Counter:
        return family.labels(agent) if self.per_agent else family


class _LedgerCollector:
    """Service level (three variants), ASA, abandon rate, AHT and mean first response per queue and channel, over
    the sliding window and since local midnight. The variants are separate metrics, not a label: averaging or
    summing across them means nothing."""

    def __init__(self, ledger: OutcomeLedger, now: Callable[[], float]) -> None:
        self.ledger = ledger
        self.now = now

    def collect(self) -> Iterator[Metric]:
        labels = ["queue", "channel", "period"]
        families = {
            "service_level": GaugeMetricFamily("ccswitch_queue_service_level_ratio", "Answered within the "
                                               "threshold / offered, over the period.", labels=labels),
            "service_level_excluding_short_abandons": GaugeMetricFamily(
                "ccswitch_queue_service_level_excluding_short_abandons_ratio", "Answered within the threshold / "
                "(offered - short abandons), over the period.", labels=labels),
            "service_level_of_answered": GaugeMetricFamily(
                "ccswitch_queue_service_level_of_answered_ratio", "Answered within the threshold / answered, over "
                "the period.", labels=labels),
            "asa": GaugeMetricFamily("ccswitch_queue_asa_seconds", "Average speed of answer over the period.",
                                     labels=labels),
            "abandon_rate": GaugeMetricFamily("ccswitch_queue_abandon_ratio", "Abandoned / offered over the "
                                              "period.", labels=labels),
            "aht": GaugeMetricFamily("ccswitch_queue_aht_seconds", "Average handle time (talk + wrap-up) over "
                                     "the period.", labels=labels),
            "first_response": GaugeMetricFamily("ccswitch_queue_average_first_response_seconds", "Text contacts: "
                                                "mean time from acceptance to the agent's first message over the "
                                                "period.", labels=labels),
        }
        now = self.now()
        window = f"{self.ledger.window_s / 60:g}m"
        for period, per_queue in ((window, self.ledger.window(now)), ("today", self.ledger.today(now))):
            for (queue, channel), figures in sorted(per_queue.items()):
                values = {
                    "service_level": figures.calls.service_level,
                    "service_level_excluding_short_abandons": figures.calls.service_level_excluding_short_abandons,
                    "service_level_of_answered": figures.calls.service_level_of_answered,
                    "asa": figures.calls.asa,
                    "abandon_rate": figures.calls.abandon_rate,
                    "aht": figures.aht,
                    "first_response": figures.calls.average_first_response,
                }
                for key, value in values.items():
                    if value is not None:  # undefined (nothing offered or answered yet): no sample, not a fake 0
                        families[key].add_metric([queue, channel, period], value)
        yield from families.values()


class EngineView(Protocol):
    """What metrics read of the engine (``ccswitch.engine.Engine`` provides it), all of it read-only."""

    @property
    def config(self) -> Config: ...

    @property
    def agents(self) -> Mapping[str, Agent]: ...

    def members(self, queue: str) -> tuple[str, ...]: ...

    def queued_entries(self) -> list[QueueEntry]: ...

    def callbacks_pending(self) -> dict[str, int]: ...

    @property
    def stuck_offers_repaired(self) -> int: ...

    @property
    def offer_failures(self) -> Mapping[tuple[str, str], int]: ...  # (fault, cause) -> failed offers

    @property
    def capacities(self) -> Mapping[str, Capacity]: ...  # node -> its limits

    def node_load(self, node: str) -> NodeLoad: ...  # the channels and media ports the engine holds on ``node``

    @property
    def overload_overflows(self) -> Mapping[tuple[str, Limit], int]: ...  # (node, limit) -> callers turned away

    @property
    def dropped_by_switch(self) -> Mapping[tuple[str, str], int]: ...  # (node, hang-up cause) -> callers

    @property
    def channel_deferrals(self) -> Mapping[str, int]: ...  # node -> new channels put off for its per-second budget


class EngineCollector:
    """The engine's live state, read at scrape time (the engine is only touched by its own greenlet, and a
    scrape does no I/O while reading, so it sees a consistent moment)."""

    def __init__(self, engine: EngineView, now: Callable[[], float], per_agent: bool = False) -> None:
        self.engine = engine
        self.now = now
        self.per_agent = per_agent

    def collect(self) -> Iterator[Metric]:
        config = self.engine.config
        now = self.now()
        entries = self.engine.queued_entries()
        in_use = channels_in_use(config)  # these have series at 0; another channel once it has contacts
        waiting = GaugeMetricFamily("ccswitch_queue_calls_waiting", "Contacts waiting in the queue now (ringing "
                                    "an agent or offered included).", labels=["queue", "channel"])
        longest = GaugeMetricFamily("ccswitch_queue_longest_wait_seconds", "Longest current wait in the queue.",
                                    labels=["queue", "channel"])
        queued = {entry.channel for entry in entries}
        for channel in (channel for channel in Channel if channel in in_use or channel in queued):
            for queue, (count, wait) in waiting_by_queue(entries, config.queues, now, channel).items():
                waiting.add_metric([queue, channel], count)
                longest.add_metric([queue, channel], wait)
        by_state = GaugeMetricFamily("ccswitch_queue_agents", "Agents serving the queue, by state (an agent in "
                                     "several queues counts in each).", labels=["queue", "state"])
        occupied = GaugeMetricFamily("ccswitch_queue_occupancy_ratio", "Busy (ringing, on a call, wrap-up) / "
                                     "staffed agents of the queue now.", labels=["queue"])
        for queue in config.queues:
            counts = count_by_state(self.engine.agents, self.engine.members(queue), queue)
            for state, count in counts.items():
                by_state.add_metric([queue, state.value], count)
            ratio = occupancy(counts)
            if ratio is not None:
                occupied.add_metric([queue], ratio)
        callbacks = GaugeMetricFamily("ccswitch_queue_callbacks_pending", "Callbacks asked for and not yet "
                                      "connected (waiting for an agent, being dialled, or waiting to retry).",
                                      labels=["queue"])
        for queue, count in self.engine.callbacks_pending().items():
            callbacks.add_metric([queue], count)
        repaired = CounterMetricFamily("ccswitch_stuck_offers_repaired", "Offers that neither bridged nor failed "
                                       "in time and were taken back (lost events, an unresponsive switch).")
        repaired.add_metric([], self.engine.stuck_offers_repaired)
        failures = CounterMetricFamily("ccswitch_offer_failures", "Offers to agents that failed, by whose fault "
                                       "(agent, caller, network) and FreeSWITCH's cause (OTHER for one not known).",
                                       labels=["fault", "cause"])
        for (fault, cause), count in sorted(self.engine.offer_failures.items()):
            failures.add_metric([fault, cause], count)
        yield from (waiting, longest, by_state, occupied, callbacks, repaired, failures, *self._nodes(),
                    *self._held(in_use))
        if self.per_agent:
            agent_state = GaugeMetricFamily("ccswitch_agent_state", "1 for the agent's current state.",
                                            labels=["agent", "state"])
            for agent in self.engine.agents.values():
                for state in AgentState:
                    agent_state.add_metric([agent.id, state.value], int(agent.state is state))
            yield agent_state

    def _held(self, in_use: Sequence[Channel]) -> Iterator[Metric]:
        """Concurrency: contacts agents hold now by channel, and how many agents hold them (contacts / agents is
        the mean concurrency of the agents busy on that channel); per agent when ``per_agent`` is set."""
        held = contacts_held(self.engine.agents.values())
        contacts: Tally[Channel] = Tally()
        agents: Tally[Channel] = Tally()
        for (_agent, channel), count in held.items():
            contacts[channel] += count
            agents[channel] += 1
        shown = [channel for channel in Channel if channel in in_use or channel in contacts]
        total = GaugeMetricFamily("ccswitch_contacts_held", "Contacts agents hold now (offered, active or in "
                                  "wrap-up), by channel.", labels=["channel"])
        holding = GaugeMetricFamily("ccswitch_agents_holding_contacts", "Agents holding at least one contact of "
                                    "the channel now.", labels=["channel"])
        for channel in shown:
            total.add_metric([channel], contacts[channel])
            holding.add_metric([channel], agents[channel])
        yield from (total, holding)
        if self.per_agent:
            per_agent = GaugeMetricFamily("ccswitch_agent_contacts_held", "Contacts the agent holds now (offered, "
                                          "active or in wrap-up), by channel.", labels=["agent", "channel"])
            for agent in self.engine.agents:
                for channel in shown:
                    per_agent.add_metric([agent, channel], held[agent, channel])
            yield per_agent

    def _nodes(self) -> Iterator[Metric]:
        """Per switch node: what the controller holds there, its capacity, the callers admission turned away or
        the switch dropped (every limit and known cause has a series from the start), and the channels pacing put
        off."""
        channels = GaugeMetricFamily("ccswitch_node_channels", "Channels the controller holds on the node: callers "
                                     "and their agents' legs.", labels=["node"])
        media = GaugeMetricFamily("ccswitch_node_media_ports", "Of them, those holding an RTP port (answered "
                                  "callers, agent legs).", labels=["node"])
        capacity = GaugeMetricFamily("ccswitch_node_capacity", "The node's limits: max sessions, sessions per "
                                     "second, media ports.", labels=["node", "limit"])
        overflows = CounterMetricFamily("ccswitch_admission_overflows", "New callers sent to the overload step "
                                        "because the node neared a limit (the cause).", labels=["node", "cause"])
        dropped = CounterMetricFamily("ccswitch_calls_dropped_by_switch", "Callers FreeSWITCH itself hung up for "
                                      "want of capacity (no RTP port to answer with …), by hang-up cause.",
                                      labels=["node", "cause"])
        deferred = CounterMetricFamily("ccswitch_channel_deferrals", "New channels the controller put off to a "
                                       "later tick (agent legs, customers' dials, the dialler's lines) because the "
                                       "node's per-second budget, less the headroom kept for callers, was spent; "
                                       "each try counts.", labels=["node"])
        for node, limits in self.engine.capacities.items():
            deferred.add_metric([node], self.engine.channel_deferrals.get(node, 0))
            load = self.engine.node_load(node)
            channels.add_metric([node], load.sessions)
            media.add_metric([node], load.media)
            for limit, value in ((Limit.SESSIONS, limits.max_sessions), (Limit.RATE, limits.sessions_per_second),
                                 (Limit.MEDIA, limits.media_ports)):
                capacity.add_metric([node, limit.value], value)
                overflows.add_metric([node, limit.value], self.engine.overload_overflows.get((node, limit), 0))
            for cause in SWITCH_DROP_CAUSES:
                dropped.add_metric([node, cause], self.engine.dropped_by_switch.get((node, cause), 0))
        yield from (channels, media, capacity, overflows, dropped, deferred)


class DialerCollector:
    """Per campaign, read at scrape time like ``EngineCollector``. The ratios are over the campaign's own
    ``abandon_window`` (the regulator's: 24 h for Ofcom), so the abandon ratio is the one the limit applies to; it is
    0 while no person has answered in the window. Answer and machine ratios have no sample while nothing was dialled
    in the window. Calls by outcome count since this controller started (use ``increase()`` for any range)."""

    def __init__(self, dialer: Dialer, now: Callable[[], float]) -> None:
        self.dialer = dialer
        self.now = now

    def collect(self) -> Iterator[Metric]:
        now = self.now()
        labels = ["campaign"]
        lines = GaugeMetricFamily("ccswitch_dialer_lines_in_flight", "Lines dialled and not yet done: ringing, "
                                  "being classified, waiting for an agent or hearing a message.", labels=labels)
        calls = CounterMetricFamily("ccswitch_dialer_calls", "Dialled calls by outcome (person_answered: connected "
                                    "to an agent or, in a blast, the message played).", labels=["campaign", "outcome"])
        answer = GaugeMetricFamily("ccswitch_dialer_answer_ratio", "Calls answered by a person (connected or "
                                   "abandoned) / calls dialled, over the campaign's abandon window.", labels=labels)
        machine = GaugeMetricFamily("ccswitch_dialer_machine_ratio", "Calls answered by a machine / calls dialled, "
                                    "over the campaign's abandon window.", labels=labels)
        abandon = GaugeMetricFamily("ccswitch_dialer_abandon_ratio", "Abandoned / person-answered calls over the "
                                    "campaign's abandon window (the regulator's rate).", labels=labels)
        limit = GaugeMetricFamily("ccswitch_dialer_abandon_limit_ratio", "The campaign's abandon-rate limit.",
                                  labels=labels)
        state = GaugeMetricFamily("ccswitch_dialer_campaign_state", "1 for the campaign run's current state.",
                                  labels=["campaign", "state"])
        for name in sorted(self.dialer.campaigns):
            if name not in self.dialer.config.campaigns:
                continue
            status = self.dialer.status(name, now)
            lines.add_metric([name], status.lines_in_flight)
            for outcome in DialOutcome:
                calls.add_metric([name, outcome.value], status.outcomes[outcome.value])
            if status.answer_ratio is not None:
                answer.add_metric([name], status.answer_ratio)
            if status.machine_ratio is not None:
                machine.add_metric([name], status.machine_ratio)
            abandon.add_metric([name], status.abandon.rate)
            limit.add_metric([name], status.abandon.limit)
            for run_state in (*(s.value for s in RunState), "not_loaded"):
                state.add_metric([name, run_state], int(status.state == run_state))
        missing = CounterMetricFamily("ccswitch_switch_application_missing", "Calls FreeSWITCH hung up because it "
                                      "had no application the controller ran on them (its module not loaded).",
                                      labels=["node", "application"])
        for (node, application), count in sorted(self.dialer.applications_missing.items()):
            missing.add_metric([node, application], count)
        yield from (lines, calls, answer, machine, abandon, limit, state, missing)


class InstrumentedStore:
    """A ``Store`` that times every operation and counts ``StoreError``s, then passes them on unchanged."""

    def __init__(self, store: Store, metrics: Metrics) -> None:
        self._store = store
        self._metrics = metrics

    def _timed(self, operation: str, call: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        except StoreError:
            self._metrics.store_errors.labels(operation).inc()
            raise
        finally:
            self._metrics.store_seconds.labels(operation).observe(time.perf_counter() - started)

    def get_agent(self, agent_id: str) -> Agent | None:
        return self._timed("get_agent", self._store.get_agent, agent_id)

    def agents(self) -> list[Agent]:
        return self._timed("agents", self._store.agents)

    def put_agent(self, agent: Agent) -> Agent:
        return self._timed("put_agent", self._store.put_agent, agent)

    def restore_agent(self, agent: Agent) -> Agent:
        return self._timed("restore_agent", self._store.restore_agent, agent)

    def update_agent(self, old: Agent, new: Agent) -> Agent | None:
        return self._timed("update_agent", self._store.update_agent, old, new)

    def add_entry(self, entry: QueueEntry) -> None:
        self._timed("add_entry", self._store.add_entry, entry)

    def remove_entry(self, queue: str, call: str) -> bool:
        return self._timed("remove_entry", self._store.remove_entry, queue, call)

    def entries(self, queue: str) -> list[QueueEntry]:
        return self._timed("entries", self._store.entries, queue)

    def all_entries(self) -> dict[str, list[QueueEntry]]:
        return self._timed("all_entries", self._store.all_entries)

    def next_seq(self) -> int:
        return self._timed("next_seq", self._store.next_seq)

    def put_leads(self, campaign: str, leads: Sequence[Lead]) -> list[Lead]:
        return self._timed("put_leads", self._store.put_leads, campaign, leads)

    def get_lead(self, campaign: str, phone: str) -> Lead | None:
        return self._timed("get_lead", self._store.get_lead, campaign, phone)

    def leads(self, campaign: str) -> list[Lead]:
        return self._timed("leads", self._store.leads, campaign)

    def dialling_leads(self, campaign: str) -> list[Lead]:
        return self._timed("dialling_leads", self._store.dialling_leads, campaign)

    def update_lead(self, old: Lead, new: Lead) -> Lead | None:
        return self._timed("update_lead", self._store.update_lead, old, new)

    def get_campaign_run(self, campaign: str) -> CampaignRun | None:
        return self._timed("get_campaign_run", self._store.get_campaign_run, campaign)

    def update_campaign_run(self, old: CampaignRun, new: CampaignRun) -> CampaignRun | None:
        return self._timed("update_campaign_run", self._store.update_campaign_run, old, new)

    def add_answer(self, campaign: str, at: float, abandoned: bool, call: str) -> None:
        self._timed("add_answer", self._store.add_answer, campaign, at, abandoned, call)

    def answers(self, campaign: str, since: float) -> list[tuple[float, bool]]:
        return self._timed("answers", self._store.answers, campaign, since)

    def trim_answers(self, campaign: str, before: float) -> int:
        return self._timed("trim_answers", self._store.trim_answers, campaign, before)

    def ping(self) -> None:
        self._timed("ping", self._store.ping)

    def close(self) -> None:
        self._store.close()
