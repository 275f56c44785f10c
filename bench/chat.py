"""Voice and chat on the same agents: routing decision time with mixed channels waiting, and how soon an agent
hears of a customer's message with 10,000 conversations open.

(a) Routing (the incremental ``Router``, in this process): 10,000 contacts waiting, half of them chats, in 10 queues;
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

(b) Message to agent, in one process as ``ccswitch run`` has them: the controller (memory store, connected to the
simulator, no calls), the ``ChatService`` with its conversation log in a new SQLite history, and 500 agents of the
same capacity in one queue. 10,000 customers open a conversation (a topic that queues straight); every agent
accepts each offer at once, so 1,500 are with an agent and 8,500 wait. Then customers with an agent send messages
at ``--rate`` for ``--seconds``; each agent's greenlet follows their feed, as their event stream does. Timed: from
just before ``ChatService.post`` to the agent's greenlet waking with the message (on the way: the log's durable
write, and the controller's answer to who holds the conversation).

    .venv/bin/python bench/chat.py [--contacts 10000] [--agents 500] [--queues 10] [--chat-share 0.5]
                                   [--decisions 3000] [--conversations 10000] [--rate 200] [--seconds 10]
                                   [--only routing|messages]
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from types import MappingProxyType  # noqa: E402

import gevent  # noqa: E402
import gevent.pool  # noqa: E402
from router import SKILLS, Centre, Timer  # noqa: E402  # bench/router.py: its centre, skills and timing

from ccswitch.acd import (  # noqa: E402
    VOICE_ONLY,
    Agent,
    AgentCapacity,
    AgentState,
    Channel,
    Dispatch,
    HeldText,
    Phase,
    QueueEntry,
    Router,
)
from ccswitch.chat.messages import Customer  # noqa: E402
from ccswitch.clock import WallClock  # noqa: E402
from ccswitch.config import load_config  # noqa: E402
from ccswitch.controller import Controller  # noqa: E402
from ccswitch.sim import EslServer, SimSwitch  # noqa: E402
from ccswitch.store.memory import MemoryStore  # noqa: E402
from ccswitch.webchat import ChatService, open_chat  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

CHAT_BESIDE_VOICE = AgentCapacity(total=3, costs=MappingProxyType({Channel.VOICE: 3, Channel.CHAT: 1}))


class MixedCentre(Centre):
    """``bench/router.py``'s queues and agents, and a stream of contacts; ``chat_share`` of the contacts are chats
    (0: a voice-only centre whose agents are voice-only)."""

    def __init__(self, rng: random.Random, queues: int, agents: int, chat_share: float) -> None:
        super().__init__(rng, queues, agents)
        self.chat_share = chat_share
        capacity = CHAT_BESIDE_VOICE if chat_share > 0 else VOICE_ONLY
        self.routing = Router(self.members, self.rules, self.skills, dict.fromkeys(self.agent_ids, capacity))
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
        self.routing.update_agent(agent)

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
            self.routing.add_call(self.contact())
        self.taken(self.routing.next_offers(self.now))

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
            self.routing.add_call(self.contact(entry.channel))


def run(centre: MixedCentre, contacts: int, decisions: int) -> dict[str, tuple[Timer, int]]:
    centre.start_busy(contacts)
    gc.freeze()  # as the controller does once started
    timings = {kind: (Timer(), 0) for kind in ("chat ends", "call ends", "contact arrives")}

    def decide(kind: str, change: Agent | QueueEntry) -> None:
        timer, matched = timings[kind]
        with timer:
            if isinstance(change, Agent):
                centre.routing.update_agent(change)
            else:
                centre.routing.add_call(change)
            plan = centre.routing.next_offers(centre.now)
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


# ---------------------------------------------------------------------------------------------------- (b) messages
def write_config(directory: Path, agents: int, port: int) -> Path:
    """ccswitch.yaml with one chat topic queueing straight into ``chat``, its agents of capacity 3."""
    (directory / "dialplans").mkdir()
    (directory / "ivr").mkdir()
    (directory / "dialplans" / "main.yaml").write_text("default: {hangup: UNALLOCATED_NUMBER}\nrules: []\n")
    (directory / "queues.yaml").write_text("chat: {max_wait_s: 86400, wrap_up_s: 0}\n")
    (directory / "agents.yaml").write_text("".join(
        f'"a{n}": {{name: Agent {n}, contact: user/a{n}, queues: [chat], login: available, '
        f'capacity: {{total: 3, cost: {{voice: 3, chat: 1}}}}}}\n' for n in range(agents)))
    main = directory / "ccswitch.yaml"
    main.write_text(
        f"freeswitch: {{nodes: [{{name: fs1, host: 127.0.0.1, port: {port}, password: ClueCon}}]}}\n"
        "timezone: Europe/Moscow\ndialplan: main\n"
        f"paths: {{dialplans: dialplans, ivr: ivr, queues: queues.yaml, agents: agents.yaml, "
        f"sounds: {ROOT / 'sounds'}}}\n"
        "chat: {offer_timeout_s: 600, requeue_unanswered_s: 3600, topics: [{name: help, label: Help, queue: chat}]}\n")
    return main


class Desks:
    """Every agent's feed followed by a greenlet of its own: offers accepted at once, customer messages timed."""

    def __init__(self, service: ChatService, agents: list[str]) -> None:
        self.service, self.accepted = service, 0
        self.sent: dict[str, float] = {}  # message text → when its post started
        self.latencies: list[float] = []
        self.active: list[str] = []
        self._greenlets = gevent.pool.Group()
        for agent in agents:
            self._greenlets.spawn(self._follow, agent)

    def _follow(self, agent: str) -> None:
        feed, cursor = self.service.agent_feed(agent), 0
        while True:
            for item in feed.wait(cursor, 5.0):
                cursor = item.cursor
                if item.event == "offer":
                    self._greenlets.spawn(self._accept, agent, item.data["id"])
                elif item.event == "message" and item.data["sender"] == "customer":
                    started = self.sent.pop(item.data["text"], None)
                    if started is not None:
                        self.latencies.append(time.perf_counter() - started)

    def _accept(self, agent: str, conversation: str) -> None:
        self.service.agent_act(agent, conversation, "accept")
        self.accepted += 1
        self.active.append(conversation)

    def stop(self) -> None:
        self._greenlets.kill()


def messages_bench(conversations: int, agents: int, rate: float, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        switch = SimSwitch(clock=WallClock())
        server = EslServer(switch, "127.0.0.1", 0, password="ClueCon")
        server.start()
        config = load_config(write_config(Path(tmp), agents, server.port), env={})
        controller = Controller(config, MemoryStore(), WallClock())
        opened = open_chat(controller)  # as ``ccswitch run`` does: the log in the history database
        assert opened is not None
        service, log = opened
        controller.start()
        desks = Desks(service, list(config.agents))
        try:
            started = time.perf_counter()
            openers = gevent.pool.Pool(100)
            for n in range(conversations):
                openers.spawn(service.start, "help", Customer(name=f"Customer {n}"))
            openers.join()
            opened_s = time.perf_counter() - started
            deadline = time.perf_counter() + 30
            while desks.accepted < min(conversations, 3 * agents) and time.perf_counter() < deadline:
                gevent.sleep(0.1)
            print(f"messages: {conversations} conversations opened in {opened_s:.1f} s, {desks.accepted} accepted by "
                  f"{agents} agents in {time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.2f}")
            gc.freeze()  # as the controller does once started
            rng, posters = random.Random(3), gevent.pool.Group()
            begin, cpu = time.perf_counter(), time.process_time()
            for n in range(int(rate * seconds)):
                gevent.sleep(max(0.0, begin + n / rate - time.perf_counter()))
                text = f"message {n}"
                desks.sent[text] = time.perf_counter()
                posters.spawn(service.post, rng.choice(desks.active), text)
            posters.join()
            gevent.sleep(1.0)  # the last ones reach their agents
            wall = time.perf_counter() - begin
            print(f"customer message -> agent notified ({len(desks.latencies)} of {int(rate * seconds)} messages, "
                  f"{len(desks.latencies) / (wall - 1.0):.0f}/s, {len(desks.sent)} not seen): "
                  f"{milliseconds(desks.latencies)}; this process {(time.process_time() - cpu) / wall:.0%} of a core")
        finally:
            desks.stop()
            service.close()
            controller.stop()
            log.close()
            server.stop()


def milliseconds(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1e3:.1f} p90 {cuts[89] * 1e3:.1f} p99 {cuts[98] * 1e3:.1f} max {max(samples) * 1e3:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--queues", type=int, default=10)
    parser.add_argument("--chat-share", type=float, default=0.5)
    parser.add_argument("--decisions", type=int, default=3_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0, help="customer messages per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=("routing", "messages"))
    args = parser.parse_args()
    if args.only != "messages":
        print(f"routing: {args.contacts} waiting contacts, {args.agents} agents (capacity 3: voice 3, chat 1), "
              f"{args.queues} queues, skills; {args.decisions} changes; {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.2f} at start")
        for label, share in (("voice only", 0.0), (f"{args.chat_share:.0%} chats", args.chat_share)):
            for kind, (timer, matched) in run(MixedCentre(random.Random(7), args.queues, args.agents, share),
                                              args.contacts, args.decisions).items():
                if timer.cpu:
                    print(f"{label:<10} {kind:<16} {len(timer.cpu):5} decisions, {matched:5} offers  {timer.report()}")
    if args.only != "routing":
        messages_bench(args.conversations, args.agents, args.rate, args.seconds)


if __name__ == "__main__":
    main()
