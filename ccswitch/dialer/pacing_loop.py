"""The pacing loop: each tick, for every RUNNING campaign, how many lines to launch, which leads, and the
originates; for predictive campaigns, which ringing lines to cancel. The maths is ``pacing``'s; this reads the
ACD's agents and waiting calls (and changes none of them: it only tells the ACD which to keep, below) and the lines
in flight.

How many: *progressive* one per free agent of the campaign's queue not already held by a line ringing or being
classified, or by an inbound call waiting for them (blended agents: inbound goes first); *predictive* what the pacer
says (``pacing.lines_to_dial``, spending the campaign's ``AbandonLedger``), at least the progressive number and at
most ``max_lines_per_agent`` lines in flight per staffed agent; *blast* ``max_lines_per_agent`` lines per staffed
agent of its queue, none while calls wait there; *preview* none: agents dial the leads they are shown
(``dialer.preview``).

Keeping agents (predictive and progressive campaigns with ``keep_agents``, the default): blended agents take an
inbound call or a chat first, so one arriving while a line rings would take the agent the line was dialled for, and
the person answering it would be abandoned. Each tick the loop tells the ACD which free agents of the queue to offer
only people a campaign reached (``Acd.keep_for_outbound``): as many as the lines ringing or being classified may
still bring, but for a 1% chance (``pacing.agents_to_hold``).

Each line is a new channel on its node: launched only as the node's per-second budget allows (``Acd.take_channels``,
shared with the ACD's agent legs and the callers); the rest wait for the next tick.

Which: ``campaign.next_leads``' leads (retries due first, DNC, calling window and the 72-hour rule applied), read from
the front of the campaign's ``lead_queue.LeadQueue`` (not from all its leads); each lead
moves to DIALLING with the store's compare-and-set (so no two controllers dial one lead for one attempt) and is
originated::

    bgapi originate {origination_uuid=<line>,origination_caller_id_number=<campaign number>,
        origination_caller_id_name=<campaign name>,originate_timeout=<ring_timeout_s + 2>,ignore_early_media=true,
        cc_campaign=<name>,cc_lead=<phone>}sofia/gateway/<gateway>/<phone> &park()

Cancelling (predictive, and only when the campaign's lines ring longer than its minimum, ``pacing_policy``; paused
or stopped campaigns too, while their lines ring): before launching, and from the same look at the agents and lines
(as ``pacing.pace``), the pacer may hang up lines that rang ``min_ring_s`` (plus call set-up) and that it expects no
agent to be free for (``pacing.lines_to_cancel``);
``Hangup(ORIGINATOR_CANCEL)``, then the leg's hang-up settles the lead as no answer (retried later). Nobody
answered, so it is no abandoned call; the estimators count what it would have been (``pacing.unseen_outcome``).
"""

from __future__ import annotations

import logging
import math
import uuid as uuidlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ccswitch.acd.agents import Agent, AgentState
from ccswitch.acd.capacity import VOICE_ONLY, AgentCapacity, Channel
from ccswitch.dialer.campaign import on_dial
from ccswitch.dialer.campaign_state import CampaignState, DialerState, pacing_policy
from ccswitch.dialer.estimators import ArrivalEstimator
from ccswitch.dialer.leads import Lead
from ccswitch.dialer.lines import IN_FLIGHT, Line, LineEvent, LineState, move
from ccswitch.dialer.pacing import (
    PacerInput,
    PacingPolicy,
    agents_to_hold,
    lines_to_cancel,
    lines_to_dial,
    progressive_lines,
)
from ccswitch.effects import Hangup, Originate

log = logging.getLogger(__name__)

PICK_IDLE_S = 5.0  # a pick that found fewer leads than lines wanted: no launch (pacer, pick) again before this


@dataclass(frozen=True, slots=True)
class AgentSupply:
    """The agents of a campaign's queue now, as the pacer needs them."""

    free_agents: tuple[str, ...]  # who can take a call now, in the queue's order
    talking_for: tuple[float, ...]  # per agent on a call: seconds so far
    wrap_up_left: tuple[float, ...]  # per agent in wrap-up: seconds left
    staffed: int  # logged in to the queue and not on break
    held_by_inbound: int  # free agents whom calls already waiting in their queues will take first
    inbound_per_second: float = 0.0  # inbound calls expected to take these agents, per second

    @property
    def free(self) -> int:
        return len(self.free_agents)


def agent_supply(agents: Mapping[str, Agent], members: Mapping[str, Sequence[str]], waiting: Mapping[str, int],
                 queue: str, now: float, capacities: Mapping[str, AgentCapacity] | None = None,
                 arriving: Mapping[str, float] | None = None) -> AgentSupply:
    """The agents of ``queue`` (``members``: the agent ids of every queue; ``waiting``: calls waiting per queue;
    ``arriving``: inbound calls joining each queue per second). A free agent is one whose capacity (``capacities``;
    one call at a time without it) lets a call in now: with the default rules, not while they hold chats.

    A free agent is held by inbound when a call waits in any queue they serve: each waiting call holds one such
    agent, queues taken in name order, agents in the queue's order (blended agents serve inbound first). Of the
    calls arriving in a queue, these agents are expected to take the share of its serving agents they are (an
    inbound call goes to whichever of them is free first, and blended agents take it before an outbound answer)."""
    serving = [agents[agent_id] for agent_id in members[queue] if agent_id in agents and agents[agent_id].serves(queue)]
    free = [agent for agent in serving
            if agent.can_take(Channel.VOICE, (capacities or {}).get(agent.id, VOICE_ONLY), now)]
    talking = tuple(now - agent.since for agent in serving if agent.state is AgentState.ON_CALL)
    wrapping = tuple(max(0.0, (agent.wrap_until or now) - now) for agent in serving
                     if agent.state is AgentState.WRAP_UP)
    staffed = sum(1 for agent in serving if agent.state not in (AgentState.LOGGED_OUT, AgentState.ON_BREAK))
    ours = {agent.id for agent in serving}
    inbound_per_second = 0.0
    for name, rate in (arriving or {}).items():
        theirs = [agent_id for agent_id in members.get(name, ()) if agent_id in agents and agents[agent_id].serves(name)
                  and agents[agent_id].state is not AgentState.ON_BREAK]
        if theirs:
            inbound_per_second += rate * sum(agent_id in ours for agent_id in theirs) / len(theirs)
    unheld = {agent.id for agent in free}
    held = 0
    for name in sorted(waiting):
        calls = waiting[name]
        for agent_id in members.get(name, ()):
            if calls <= 0:
                break
            if agent_id in unheld and agents[agent_id].serves(name):
                unheld.discard(agent_id)
                held += 1
                calls -= 1
    return AgentSupply(tuple(agent.id for agent in free), talking, wrapping, staffed, held, inbound_per_second)


class PacingLoop:
    def __init__(self, state: DialerState) -> None:
        self.state = state
        self._arrivals: dict[str, ArrivalEstimator] = {}  # queue -> inbound calls joining it per second
        self._joined: dict[str, int] = {}  # queue -> the ACD's count of calls joined, at the last tick
        self._kept: frozenset[str] = frozenset()  # free agents the ACD offers only campaigns' people (last told)

    def tick(self, now: float) -> None:
        """Every campaign's turn: its figures kept to the window, cancels, then new lines if it runs."""
        self._watch_inbound(now)
        kept: set[str] = set()
        for campaign in self.state.campaigns.values():
            if campaign.estimates.refresh(now):  # once a minute: the store forgets what left the window
                self.state.store.trim_answers(campaign.config.name, now - campaign.config.abandon_window_s)
            if campaign.config.mode in ("predictive", "progressive"):  # (paused or stopped too: its lines ring)
                kept |= self._pace(campaign, now)
            elif self._launching(campaign, now):
                self._launch(campaign, self.lines_wanted(campaign, now), now)
        if kept != self._kept:
            self._kept = frozenset(kept)
            self.state.acd.keep_for_outbound(self._kept, now)

    def lines_wanted(self, campaign: CampaignState, now: float) -> int:
        """How many lines the campaign should launch now (see the module docstring)."""
        config = campaign.config
        acd = self.state.acd
        supply = self._supply(campaign, now)
        if config.mode == "blast":
            if len(acd.waiting.get(config.queue, ())):
                return 0  # blended: callers wait for these agents
            in_flight = sum(1 for line in self.state.lines.values()
                            if line.campaign == config.name and line.state in IN_FLIGHT)
            return max(0, config.max_lines_per_agent * supply.staffed - in_flight)
        inp, _ = self._pacer_input(campaign, supply, now)
        return self._paced_lines(campaign, inp, supply, pacing_policy(config))

    def _paced_lines(self, campaign: CampaignState, inp: PacerInput, supply: AgentSupply,
                     policy: PacingPolicy) -> int:
        """Progressive: ``pacing.progressive_lines``; predictive: the pacer's lines, at most ``max_lines_per_agent``
        in flight per staffed agent."""
        config = campaign.config
        if config.mode == "progressive":
            return progressive_lines(inp)
        in_flight = sum(1 for line in self.state.lines.values()
                        if line.campaign == config.name and line.state in (LineState.RINGING, LineState.DETECTING))
        cap = config.max_lines_per_agent * supply.staffed - in_flight
        return max(0, min(lines_to_dial(inp, policy), cap))

    @staticmethod
    def _launching(campaign: CampaignState, now: float) -> bool:
        return campaign.running and not campaign.preview and now >= campaign.idle_until

    def _launch(self, campaign: CampaignState, wanted: int, now: float) -> int:
        """Dial up to ``wanted`` of the campaign's next leads; how many lines were launched."""
        if wanted <= 0:
            return 0
        picked = campaign.queue.pick(now, wanted)
        if len(picked) < wanted:
            campaign.idle_until = now + PICK_IDLE_S
        launched = 0
        for lead in picked:
            node = self.state.quietest_node()
            if not self.state.acd.take_channels(node, 1, now):
                break  # the node's per-second budget is spent (the ACD's legs and callers share it): next tick
            launched += self._dial(campaign, lead, node, now)
        return launched

    def _pace(self, campaign: CampaignState, now: float) -> frozenset[str]:
        """Predictive: hang up the campaign's lines that rang the minimum and that the pacer says no agent will be
        free for (``pacing.lines_to_cancel``; only when the campaign rings longer than its minimum), then launch
        what it says for the lines left (``pacing.lines_to_dial``): one look at the agents and lines for both, as
        ``pacing.pace`` takes, so that bench/dialer.py measures what this does. Progressive: launch its lines
        (``pacing.progressive_lines``). Returns the free agents of its queue to keep for the people the lines
        ringing or being classified may bring (``pacing.agents_to_hold``; none without ``keep_agents``)."""
        policy = pacing_policy(campaign.config)
        name = campaign.config.name
        launching = self._launching(campaign, now)
        mine = [line.state for line in self.state.lines.values() if line.campaign == name]
        cancelling = policy.cancel_risk != math.inf and LineState.RINGING in mine
        holding = policy.hold_risk > 0.0 and (launching or LineState.RINGING in mine or LineState.DETECTING in mine)
        if not (launching or cancelling or holding):
            return frozenset()
        supply = self._supply(campaign, now)
        inp, ringing = self._pacer_input(campaign, supply, now)
        if cancelling:
            # Another campaign's line on the same queue stays: that campaign decides (its own minimum and people lost).
            going = [index for index in lines_to_cancel(inp, policy) if ringing[index].campaign == name]
            self._give_up(campaign, [ringing[index] for index in going], policy.ring_timeout, now)
            inp = replace(inp, ringing_for=tuple(age for index, age in enumerate(inp.ringing_for)
                                                 if index not in going))
        launched = 0
        if launching:
            launched = self._launch(campaign, self._paced_lines(campaign, inp, supply, policy), now)
        if not holding:
            return frozenset()
        inp = replace(inp, ringing_for=inp.ringing_for + (0.0,) * launched)
        return frozenset(supply.free_agents[:agents_to_hold(inp, policy)])

    def _give_up(self, campaign: CampaignState, going: list[Line], ring_timeout: float, now: float) -> None:
        """Hang these lines up unanswered. Their outcomes are never seen: the estimators take what each would have
        been, as the model expects."""
        persons = campaign.estimates.given_up(now, [now - line.dialled_at for line in going], ring_timeout)
        for line, would_person in zip(going, persons, strict=True):
            log.info("line %s (%s): rang %.0f s, no agent expected for it: hung up", line.uuid, line.phone,
                     now - line.dialled_at)
            campaign.record_given_up(now, would_person)
            cancelled = move(line, LineEvent.CANCELLED)
            assert cancelled is not None
            self.state.lines[line.uuid] = cancelled
            self.state.emit(line.node, [Hangup(line.uuid, "ORIGINATOR_CANCEL")])

    def _pacer_input(self, campaign: CampaignState, supply: AgentSupply,
                     now: float) -> tuple[PacerInput, list[Line]]:
        """What the pacer sees of the campaign's queue now, and the ringing lines in ``ringing_for``'s order."""
        config = campaign.config
        same_queue = [line for line in self.state.lines.values()
                      if self.state.campaigns[line.campaign].config.queue == config.queue]
        ringing = [line for line in same_queue if line.state is LineState.RINGING]
        detecting = sum(1 for line in same_queue if line.state is LineState.DETECTING)
        inp = campaign.estimates.pacer_input(
            now,
            agents_free=supply.free,
            talking_for=supply.talking_for,
            wrap_up_left=supply.wrap_up_left,
            ringing_for=tuple(now - line.dialled_at for line in ringing),
            detecting=detecting,
            wrap_up_seconds=float(self.state.config.queues[config.queue].wrap_up_s),
            budget=campaign.ledger.pacing_budget(now),
            lost_share=campaign.ledger.lost_share(now),
            inbound_waiting=supply.held_by_inbound,
            inbound_per_second=supply.inbound_per_second,
        )
        return inp, ringing

    def _watch_inbound(self, now: float) -> None:
        """The inbound calls that joined each queue since the last tick, into its arrival rate (blended agents take
        them before an outbound answer, so the pacer counts them out of its supply)."""
        for queue, joined in self.state.acd.joined.items():
            before = self._joined.get(queue)
            self._joined[queue] = joined
            if before is None:  # first seen: watched from now (a call that made the count before was not watched)
                self._arrivals[queue] = ArrivalEstimator.starting(now)
            else:
                self._arrivals[queue] = self._arrivals[queue].record(now, max(0, joined - before))

    def arriving(self, now: float) -> dict[str, float]:
        """Queue -> inbound calls joining it per second, as blended pacing counts them."""
        return {queue: estimator.per_second(now) for queue, estimator in self._arrivals.items()}

    def _supply(self, campaign: CampaignState, now: float) -> AgentSupply:
        return agent_supply(self.state.acd.agents, self._members(), self._waiting(), campaign.config.queue, now,
                            self._capacities(), self.arriving(now))

    def _members(self) -> dict[str, Sequence[str]]:
        return {queue: self.state.acd.members(queue) for queue in self.state.config.queues}

    def _capacities(self) -> dict[str, AgentCapacity]:
        return {agent_id: agent.capacity for agent_id, agent in self.state.config.agents.items()}

    def _waiting(self) -> dict[str, int]:
        return {queue: len(calls) for queue, calls in self.state.acd.waiting.items() if calls}

    def _dial(self, campaign: CampaignState, lead: Lead, node: str, now: float) -> bool:
        """Originate a line to ``lead``; False if another controller dialled it first."""
        config = campaign.config
        call = str(uuidlib.uuid4())
        if campaign.write_lead(lead, on_dial(lead, call)) is None:
            return False
        self.state.lines[call] = Line(call, node, config.name, lead.phone, LineState.RINGING, now)
        variables = (
            ("origination_caller_id_number", config.caller_id_number),
            ("origination_caller_id_name", config.caller_id_name),
            ("originate_timeout", str(campaign.ring_s)),
            ("ignore_early_media", "true"),
            ("cc_campaign", config.name),
            ("cc_lead", lead.phone),
        )
        log.info("campaign %s: dialling %s (attempt %d) as line %s", config.name, lead.phone, lead.attempts + 1, call)
        self.state.emit(node, [Originate(call, call, f"sofia/gateway/{config.gateway}/{lead.phone}", variables, "park",
                                         "")])
        return True
