"""What is read at scrape time: the ledger's period figures, the engine's state through ``EngineView`` (the engine
is not imported), the dialler's campaigns."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from ccswitch.acd import Agent, Channel, QueueEntry
from ccswitch.acd.agents import AgentState, count_by_state
from ccswitch.admission import SWITCH_DROP_CAUSES, Capacity, Limit, NodeLoad
from ccswitch.config import Config
from ccswitch.dialer import DialOutcome, RunState
from ccswitch.dialer.runner import Dialer
from ccswitch.metrics.figures import OutcomeLedger, contacts_held, occupancy, waiting_by_queue
from ccswitch.stats import channels_in_use


class LedgerCollector:
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
    def kept_for_outbound(self) -> frozenset[str]: ...  # available agents offered only campaigns' people now

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
        kept = GaugeMetricFamily("ccswitch_queue_agents_kept_for_outbound", "Available agents of the queue that the "
                                 "dialler keeps for the people its campaigns' lines may bring: offered no inbound "
                                 "call or chat meanwhile (counted in ccswitch_queue_agents as available too).",
                                 labels=["queue"])
        kept_now = self.engine.kept_for_outbound
        for queue in config.queues:
            counts = count_by_state(self.engine.agents, self.engine.members(queue), queue)
            for state, count in counts.items():
                by_state.add_metric([queue, state.value], count)
            kept.add_metric([queue], sum(agent_id in kept_now for agent_id in self.engine.members(queue)))
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
        yield from (waiting, longest, by_state, occupied, kept, callbacks, repaired, failures, *self._nodes(),
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
        lost = GaugeMetricFamily("ccswitch_dialer_lost_ratio", "People the lines the pacer hung up unanswered would "
                                 "have brought / person-answered calls, over the campaign's abandon window (absent "
                                 "before 100 answers).", labels=labels)
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
            if status.lost_ratio is not None:
                lost.add_metric([name], status.lost_ratio)
            abandon.add_metric([name], status.abandon.rate)
            limit.add_metric([name], status.abandon.limit)
            for run_state in (*(s.value for s in RunState), "not_loaded"):
                state.add_metric([name, run_state], int(status.state == run_state))
        missing = CounterMetricFamily("ccswitch_switch_application_missing", "Calls FreeSWITCH hung up because it "
                                      "had no application the controller ran on them (its module not loaded).",
                                      labels=["node", "application"])
        for (node, application), count in sorted(self.dialer.applications_missing.items()):
            missing.add_metric([node, application], count)
        yield from (lines, calls, answer, machine, lost, abandon, limit, state, missing)
