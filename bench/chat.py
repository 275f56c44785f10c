"""Voice and chat on the same agents: routing decision time with mixed channels waiting.

Routing (the incremental ``Router``, in this process): 10,000 contacts waiting, half of them chats, in 10 queues;
500 agents of capacity 3 (one call costs 3, one chat 1), each in 1-3 queues with 2-4 skills; contacts require 0-2
skills. Every agent starts busy: on a call, or holding three chats. A decision is one ``next_offers`` after one
change, as the engine makes it, and each kind is timed apart:

* chat ends: an agent holding three chats closes one → which chat (if any) fills the place;
* call ends: an agent's call is over → a call, or chats one by one (each offer reported back is a change too);
* contact arrives: a call or a chat joins the 10,000 → which agent (if any).

Offered contacts are accepted at once and the queues are kept full. The same centre with voice only (every contact
a call, every agent voice-only, as ``bench/router.py`` but 500 agents) runs first, for comparison: the chat core
must leave it as it was. Each decision is timed as ``bench/router.py`` does (CPU of this thread and wall clock,
``gc.freeze()`` after set-up).

    .venv/bin/python bench/chat.py [--contacts 10000] [--agents 500] [--queues 10] [--chat-share 0.5]
                                   [--decisions 3000]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
from dataclasses import replace
from types import MappingProxyType

from router import SKILLS, Timer  # bench/router.py: its timing, and its skills

from ccswitch.acd import (
    STRATEGIES,
    VOICE_ONLY,
    Agent,
    AgentCapacity,
    AgentState,
    Channel,
    Dispatch,
    HeldText,
    Member,
    Phase,
    QueueEntry,
    QueueRules,
    Router,
)

CHAT_BESIDE_VOICE = AgentCapacity(total=3, costs=MappingProxyType({Channel.VOICE: 3, Channel.CHAT: 1}))


class MixedCentre:
    """Queues, agents and a stream of contacts; ``chat_share`` of the contacts are chats (0: a voice-only centre
    whose agents are voice-only)."""

    def __init__(self, rng: random.Random, queues: int, agents: int, chat_share: float) -> None:
        self.rng, self.chat_share = rng, chat_share
        self.now, self.seq = 100_000.0, 0
        names = sorted(STRATEGIES)
        self.queues = [f"q{n}" for n in range(queues)]
        self.rules = {queue: QueueRules(strategy=names[n % len(names)], aging_s=60.0 if n % 2 else None,
                                        tier_rules_apply=n % 3 == 0, tier_wait_s=30)
                      for n, queue in enumerate(self.queues)}
        self.members: dict[str, list[Member]] = {queue: [] for queue in self.queues}
        self.skills: dict[str, dict[str, int]] = {}
        self.agent_ids = [f"agent{n}" for n in range(agents)]
        for n, agent_id in enumerate(self.agent_ids):
            for queue in rng.sample(self.queues, rng.randint(1, 3)):
                self.members[queue].append(Member(agent_id, rng.choice((1, 1, 2)), n + 1))
            self.skills[agent_id] = {skill: rng.randint(1, 5) for skill in rng.sample(SKILLS, rng.randint(2, 4))}
        capacity = CHAT_BESIDE_VOICE if chat_share > 0 else VOICE_ONLY
        self.router = Router(self.members, self.rules, self.skills, dict.fromkeys(self.agent_ids, capacity))
        self.agents: dict[str, Agent] = {}

    def contact(self, channel: Channel | None = None) -> QueueEntry:
        self.seq += 1
        if channel is None:
            channel = Channel.CHAT if self.rng.random() < self.chat_share else Channel.VOICE
        skills = {skill: self.rng.randint(1, 4) for skill in self.rng.sample(SKILLS, self.rng.randint(0, 2))}
        return QueueEntry(f"c{self.seq}", self.rng.choice(self.queues), self.rng.choice((0, 0, 0, 5)),
                          self.now - self.rng.random() * 20, self.seq, skills=skills, channel=channel)

    def chat(self, contact: str, phase: Phase = Phase.ACTIVE) -> HeldText:
        return HeldText(contact, Channel.CHAT, phase, self.now)

    def report(self, agent: Agent) -> None:
        self.agents[agent.id] = agent
        self.router.update_agent(agent)

    def start_busy(self, contacts: int) -> None:
        for agent_id in self.agent_ids:
            base = Agent(id=agent_id, state=AgentState.AVAILABLE, since=self.now,
                         idle_since=self.now - self.rng.random(), calls_handled=self.rng.randint(0, 50),
                         talk_time_s=self.rng.random() * 3600)
            if self.chat_share > 0 and self.rng.random() < 0.5:
                self.report(replace(base, texts=tuple(self.chat(f"{agent_id}-start{n}") for n in range(3))))
            else:
                self.report(replace(base, state=AgentState.ON_CALL, call=f"{agent_id}-start"))
        for _ in range(contacts):
            self.router.add_call(self.contact())
        self.taken(self.router.next_offers(self.now))

    def taken(self, plan: list[Dispatch]) -> None:
        """The offers are accepted at once (by the first agent rung), and a new contact of the same channel keeps
        the queues full."""
        for dispatch in plan:
            entry, agent = dispatch.entry, self.agents[dispatch.agents[0]]
            if entry.channel is Channel.VOICE:
                self.report(replace(agent, state=AgentState.ON_CALL, call=entry.call))
            else:
                self.report(replace(agent, texts=(*agent.texts, self.chat(entry.call))))
            for other in dispatch.agents[1:]:  # ring-all: the others stop ringing
                self.report(self.agents[other])
            self.router.add_call(self.contact(entry.channel))


def run(centre: MixedCentre, contacts: int, decisions: int) -> dict[str, tuple[Timer, int]]:
    centre.start_busy(contacts)
    gc.freeze()  # as the controller does once started
    timings = {kind: (Timer(), 0) for kind in ("chat ends", "call ends", "contact arrives")}

    def decide(kind: str, change: Agent | QueueEntry) -> None:
        timer, matched = timings[kind]
        with timer:
            if isinstance(change, Agent):
                centre.router.update_agent(change)
            else:
                centre.router.add_call(change)
            plan = centre.router.next_offers(centre.now)
        timings[kind] = (timer, matched + len(plan))
        if isinstance(change, Agent):
            centre.agents[change.id] = change
        centre.taken(plan)

    for _ in range(decisions):
        centre.now += 0.05
        agent = centre.agents[centre.rng.choice(centre.agent_ids)]
        if agent.texts:
            decide("chat ends", replace(agent, texts=agent.texts[1:]))
        elif agent.state is AgentState.ON_CALL:
            decide("call ends", replace(agent, state=AgentState.AVAILABLE, call=None, idle_since=centre.now))
        decide("contact arrives", centre.contact())
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--queues", type=int, default=10)
    parser.add_argument("--chat-share", type=float, default=0.5)
    parser.add_argument("--decisions", type=int, default=3_000)
    args = parser.parse_args()
    print(f"routing: {args.contacts} waiting contacts, {args.agents} agents (capacity 3: voice 3, chat 1), "
          f"{args.queues} queues, skills; {args.decisions} changes; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f} at start")
    for label, share in (("voice only", 0.0), (f"{args.chat_share:.0%} chats", args.chat_share)):
        for kind, (timer, matched) in run(MixedCentre(random.Random(7), args.queues, args.agents, share),
                                          args.contacts, args.decisions).items():
            if timer.cpu:
                print(f"{label:<10} {kind:<16} {len(timer.cpu):5} decisions, {matched:5} offers  {timer.report()}")


if __name__ == "__main__":
    main()
