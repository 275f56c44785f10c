"""``Metrics``: the Prometheus families of one controller, fed by ``Stats`` (outcomes, as its ``sink``) and by the
controller (health), and the collectors it registers for what is read at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ccswitch.acd import Channel
from ccswitch.config import Config
from ccswitch.config._fields import HANGUP_CAUSES
from ccswitch.dialer.runner import Dialer
from ccswitch.effects import Effect
from ccswitch.metrics.collectors import DialerCollector, EngineCollector, EngineView, LedgerCollector
from ccswitch.metrics.figures import Outcome, OutcomeKind, OutcomeLedger
from ccswitch.metrics.store import InstrumentedStore
from ccswitch.stats import (
    answered_within,
    channel_thresholds,
    channels_in_use,
    is_short_abandon,
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

# The store's operations whose latency and errors are labelled from the start (so that a dashboard shows 0, not
# nothing, for one that has not run yet).
STORE_OPERATIONS = ("get_agent", "agents", "put_agent", "update_agent", "add_entry", "remove_entry", "entries",
                    "all_entries", "next_seq", "put_leads", "get_lead", "leads", "update_lead", "get_campaign_run",
                    "update_campaign_run", "ping")


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

        self.documents_sent = counter("ccswitch_documents_sent", "Documents agents sent callers by SIP MESSAGE, by "
                                      "outcome: sent, or not_sent (FreeSWITCH refused or the phone did not take it).",
                                      ("outcome",))
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
        self.registry.register(LedgerCollector(self.ledger, now))

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
