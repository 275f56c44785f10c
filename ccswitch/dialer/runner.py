"""The dialler: runs outbound campaigns against the ACD's agents, a line at a time.

Theory of operation
-------------------
The controller greenlet owns a ``Dialer`` as it owns the engine: every event, tick and reconcile goes to the engine
first and then to the dialler, with the same ``now``. The dialler sees the engine only as an ``Acd``
(``acd_port``): it reads the agents and waiting calls (never changes them), hands answered people to it, reserves
agents for previews, and emits its own effects through the same executor. No sockets, no clock reads.

Its parts, each in its own module, share one ``DialerState`` (``campaign_state``: the campaigns as last read or
written, the lines in flight):

- ``pacing_loop``: each tick, for every running campaign, how many lines to launch, which leads, the originates;
  the predictive pacer's cancels;
- ``line_events``: what the switch's events and the lines' deadlines mean for each line (``lines``: its table)
  and its lead; the person handed to the ACD, the machine's message, the blast prompt; history records;
- ``preview``: the leads agents are shown, dial or skip;
- ``module_gate``: campaigns paused while a node lacks a module they need (mod_amd);
- this module: the campaigns' life (start, reload, load leads, start / pause / resume / stop, dispositions,
  status) and the order of a tick.

Restart: runs, leads and their progress live in the store. After every node has reported its live channels, a
lead left DIALLING whose call no node has is FAILED (retried per the campaign's rules); a call still up is followed
again (parked: detection is started again; talking to an agent: answered). DONE and DNC leads are never dialled.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence

from ccswitch.acd.agents import AgentState
from ccswitch.channel_events import ChannelEvent
from ccswitch.config import Config
from ccswitch.dialer.acd_port import Acd, Emit, Record
from ccswitch.dialer.campaign import CampaignRun, RunCommand, RunState, admit, apply_command, new_run, on_disposition
from ccswitch.dialer.campaign_state import CampaignState, DialerState, pacing_policy
from ccswitch.dialer.figures import OutcomeWindow
from ccswitch.dialer.leads import DialOutcome, Lead, LeadState
from ccswitch.dialer.line_events import CONNECT_WITHIN_S, LineKeeper
from ccswitch.dialer.lines import IN_FLIGHT, Line, LineEvent, LineState, history_outcome, move, outcome_of_cause
from ccswitch.dialer.module_gate import ModuleGate
from ccswitch.dialer.pacing_loop import PacingLoop, agent_supply
from ccswitch.dialer.preview import PREVIEW_SKIP_S, Preview, Previews
from ccswitch.dialer.status import CampaignStatus, ImportProgress, ImportState, LoadResult
from ccswitch.errors import InvalidTransition
from ccswitch.history.model import DispositionRecord
from ccswitch.store.base import Store
from ccswitch.switch_modules import Requirement

__all__ = [  # (the names other modules and the tests import from here)
    "CONNECT_WITHIN_S",
    "PREVIEW_SKIP_S",
    "CampaignStatus",
    "Dialer",
    "ImportProgress",
    "ImportState",
    "Line",
    "LineEvent",
    "LineState",
    "LoadResult",
    "OutcomeWindow",
    "agent_supply",
    "history_outcome",
    "move",
    "outcome_of_cause",
    "pacing_policy",
]

log = logging.getLogger(__name__)


class Dialer:
    def __init__(self, config: Config, store: Store, acd: Acd, emit: Emit, record: Record | None = None) -> None:
        # ``record``: the history writer's submit, which never blocks
        self._state = DialerState(config, store, acd, emit, record or (lambda _record: None))
        self._gate = ModuleGate(self._state)
        self._lines = LineKeeper(self._state, self._gate)
        self._pacing = PacingLoop(self._state)
        self._previews = Previews(self._state, self._lines)
        self._unreconciled = {node.name for node in config.nodes}
        self._started = False

    @property
    def config(self) -> Config:
        return self._state.config

    @property
    def campaigns(self) -> dict[str, CampaignState]:
        return self._state.campaigns

    @property
    def lines(self) -> dict[str, Line]:
        """Channel uuid -> line in flight."""
        return self._state.lines

    @property
    def previews(self) -> dict[str, Preview]:
        """Agent id -> the lead they are shown."""
        return self._previews.shown

    @property
    def missing_modules(self) -> dict[str, set[str]]:
        """Node -> required modules it does not have."""
        return self._gate.missing_modules

    @property
    def applications_missing(self) -> Counter[tuple[str, str]]:
        """(node, application) -> calls lost."""
        return self._gate.applications_missing

    # ----------------------------------------------------------------- start-up, configuration
    def start(self, now: float) -> None:
        """Read every configured campaign's run and leads from the store."""
        for name, campaign in self.config.campaigns.items():
            self.campaigns[name] = CampaignState.read(campaign, self._state.store, now)
        self._started = True
        running = [name for name, campaign in self.campaigns.items() if campaign.running]
        log.info("dialler started: %d campaigns (%s running)", len(self.campaigns), ", ".join(running) or "none")

    def reload(self, config: Config, now: float) -> None:
        """New campaign settings (lists, windows, retries, limits); a campaign's figures and lines carry on. A lead
        queue that more attempts or another mode fill again, and the leads of a campaign added, are filled by
        ``fill_step``."""
        self._state.config = config
        for name, campaign in config.campaigns.items():
            known = self.campaigns.get(name)
            if known is None:
                self.campaigns[name] = CampaignState.read(campaign, self._state.store, now, in_steps=True)
            else:
                known.reconfigure(campaign)
        for name in [name for name in self.campaigns if name not in config.campaigns]:
            self._previews.withdraw(name, now)
            if not any(line.campaign == name for line in self.lines.values()):
                del self.campaigns[name]

    @property
    def filling(self) -> bool:
        """Whether a campaign fills its leads or its lead queue after a reload: ``fill_step`` is to be run."""
        return any(campaign.filling for campaign in self.campaigns.values())

    def fill_step(self) -> None:
        """One step of a campaign's fill (``CampaignState.fill_step``: a few thousand leads). The controller runs
        one at a time between its other messages while ``filling``, so that a million leads never hold its greenlet
        for more than a step."""
        campaign = next((campaign for campaign in self.campaigns.values() if campaign.filling), None)
        if campaign is None:
            return
        campaign.fill_step()
        if not campaign.filling:
            campaign.idle_until = 0.0  # leads the fill brought back are looked for at the next tick
            log.info("campaign %s: lead queue filled after the reload (%d leads)", campaign.config.name,
                     len(campaign.leads))

    # ----------------------------------------------------------------- operations
    def load(self, name: str, leads: Sequence[Lead], now: float) -> LoadResult:
        """Import leads (those already stored keep their progress): idempotent. Numbers on a do-not-call list are
        stored as DNC. The run is created (LOADED) if the campaign has none."""
        loaded = self.add_leads(name, leads, now)
        log.info("campaign %s: %d leads added (%d in all, %d on a do-not-call list)", name, loaded.added,
                 loaded.total, loaded.do_not_call)
        return loaded

    def add_leads(self, name: str, leads: Sequence[Lead], now: float) -> LoadResult:
        """``load`` without its log line: one batch of a file's import (``ccswitch.lead_import``), whose work is in
        proportion to the batch, however many leads the campaign has."""
        campaign = self._state.campaign(name)
        admitted = admit(campaign.config, leads)
        added = self._state.store.put_leads(name, admitted)
        for lead in added:
            campaign.keep(lead)
        campaign.idle_until = 0.0
        if campaign.run is None:
            first = new_run(name, now)
            campaign.set_run(first, first)
        dnc = sum(1 for lead in admitted if lead.state is LeadState.DNC)
        return LoadResult(name, len(added), len(campaign.leads), dnc)

    def command(self, name: str, command: RunCommand, now: float) -> CampaignRun:
        """Start, pause, resume or stop a campaign (``start`` on a paused one resumes it). Lines already out finish;
        a stopped or paused campaign launches no new ones."""
        campaign = self._state.campaign(name)
        if campaign.run is None:
            first = new_run(name, now)
            campaign.set_run(first, first)
        run = campaign.run
        assert run is not None
        if command is RunCommand.START and run.state is RunState.PAUSED:
            command = RunCommand.RESUME
        missing = self._gate.missing_for(name)
        if command in (RunCommand.START, RunCommand.RESUME) and missing:
            log.error("campaign %s not started: %s", name, missing)
            raise InvalidTransition(f"campaign {name} cannot run: {missing}")
        stored = campaign.set_run(run, apply_command(run, command, now))
        campaign.idle_until = 0.0
        log.info("campaign %s: %s -> %s", name, command.value, stored.state.value)
        return stored

    def modules_missing(self, node: str, missing: Sequence[Requirement], now: float) -> None:
        """What ``node`` said at connect: the required modules it lacks (``switch_modules``). A running campaign
        that needs one of them is paused."""
        self._gate.node_lacks(node, missing, now)

    def preview(self, name: str, agent_id: str, now: float) -> Lead:
        """Show ``agent_id`` the next lead of preview campaign ``name`` (``Previews.show``)."""
        return self._previews.show(name, agent_id, now)

    def dial(self, name: str, agent_id: str, now: float) -> Lead:
        """The agent dials the lead they preview (``Previews.dial``)."""
        return self._previews.dial(name, agent_id, now)

    def skip(self, name: str, agent_id: str, now: float) -> Lead:
        """The agent skips the lead they preview (``Previews.skip``)."""
        return self._previews.skip(name, agent_id, now)

    def dispose(self, name: str, phone: str, disposition: str, now: float) -> Lead:
        """An agent's disposition for a lead they talked to: final, a retry, or do-not-call (the campaign's list)."""
        campaign = self._state.campaign(name)
        lead = campaign.stored_lead(phone)
        updated = campaign.write_lead(lead, on_disposition(campaign.config, lead, disposition, now))
        if updated is None:
            raise InvalidTransition(f"lead {phone} of campaign {name} was changed by another controller; try again")
        if lead.call is not None:  # the call's contact record, already written, shows it from now on
            self._state.record(DispositionRecord(lead.call, disposition, now))
        log.info("campaign %s: lead %s disposed %s -> %s", name, phone, disposition, updated.state.value)
        return updated

    def status(self, name: str, now: float) -> CampaignStatus:
        campaign = self._state.campaign(name)
        leads = campaign.by_state
        lines = Counter(line.state.value for line in self.lines.values() if line.campaign == name)
        window = campaign.window.counts(now)
        dialled = sum(window.values())
        persons = window[DialOutcome.PERSON_ANSWERED] + window[DialOutcome.ABANDONED]
        run = campaign.run
        return CampaignStatus(
            name=name, mode=campaign.config.mode, queue=campaign.config.queue,
            state=run.state.value if run else "not_loaded", since=run.since if run else None,
            leads={state.value: leads.get(state, 0) for state in LeadState},
            lines={state.value: lines.get(state.value, 0) for state in LineState},
            lines_in_flight=self.lines_in_flight(name),
            dialled=dialled,
            answer_ratio=persons / dialled if dialled else None,
            machine_ratio=window[DialOutcome.MACHINE] / dialled if dialled else None,
            lost_ratio=campaign.ledger.lost_share(now),
            abandon=campaign.ledger.budget(now),
            abandon_window_s=campaign.config.abandon_window_s,
            outcomes={outcome.value: campaign.totals.get(outcome, 0) for outcome in DialOutcome},
        )

    def lines_in_flight(self, name: str) -> int:
        """Lines of the campaign dialled and not yet done: ringing, being classified, waiting for an agent, or
        hearing a message (talking to an agent is the agent's)."""
        return sum(1 for line in self.lines.values() if line.campaign == name and line.state in IN_FLIGHT)

    def lines_wanted(self, name: str, now: float) -> int:
        """How many lines the campaign should launch now (``PacingLoop.lines_wanted``)."""
        return self._pacing.lines_wanted(self._state.campaign(name), now)

    def inbound_arrivals(self, now: float) -> dict[str, float]:
        """Queue -> inbound calls joining it per second (``PacingLoop.arriving``): blended agents take these before
        an outbound answer, so the pacer counts them out of its agents."""
        return self._pacing.arriving(now)

    # ----------------------------------------------------------------- events and ticks
    def handle(self, node: str, event: ChannelEvent, now: float) -> None:
        self._lines.handle(event, now)

    def tick(self, now: float) -> None:
        """After the engine's tick (same ``now``): deadlines of lines, previews due, then new lines for running
        campaigns."""
        self._lines.deadlines(now)
        self._previews.dial_due(now)
        if not self._started or self._unreconciled:
            return  # not before every node has told us which calls live: leads left DIALLING are not settled yet
        self._pacing.tick(now)

    # ----------------------------------------------------------------- reconnect, restart, take-over
    def take_over(self, nodes: Iterable[str], now: float) -> None:
        """This controller runs ``nodes`` now, maybe after another controller that ran them died (its lease lapsed).
        Its campaign lines there are followed as a restart's are (``reconcile``, which comes next for each node),
        so first read again what only it knew: the leads it was dialling, the campaigns' runs (it may have started
        or paused one) and the answers of the abandon windows (its abandons count against the same limit)."""
        self._unreconciled.update(nodes)
        for campaign in self.campaigns.values():
            campaign.read_what_others_changed(now)

    def reconcile(self, node: str, live: Iterable[str], parked_outbound: Iterable[str], now: float) -> None:
        """After (re)connecting to ``node``: lines it no longer has ended while we were away; after a restart, the
        previous run's calls it still has are followed again. Once every node has reported, leads left DIALLING
        whose call is nowhere are FAILED."""
        alive, parked = set(live), set(parked_outbound)
        for line in [line for line in self.lines.values() if line.node == node and line.uuid not in alive]:
            self._lines.gone(line, "LOST_WHILE_DISCONNECTED", now)
        on_call = {agent.call for agent in self._state.acd.agents.values()
                   if agent.call is not None and agent.state is AgentState.ON_CALL}
        for campaign in self.campaigns.values():
            for lead in list(campaign.leads.values()):
                if lead.state is LeadState.DIALLING and lead.call in alive and lead.call not in self.lines:
                    self._lines.follow(campaign, lead, node, lead.call in parked, lead.call in on_call, now)
        self._unreconciled.discard(node)
        if not self._unreconciled:
            self._settle_lost_dials(now)

    def _settle_lost_dials(self, now: float) -> None:
        for campaign in self.campaigns.values():
            for lead in list(campaign.leads.values()):
                if lead.state is LeadState.DIALLING and lead.call not in self.lines:
                    log.info("campaign %s: lead %s was being dialled (%s) when the controller stopped: failed",
                             campaign.config.name, lead.phone, lead.call)
                    campaign.settle(lead, DialOutcome.FAILED, now)
