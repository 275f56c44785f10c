"""Chats arriving in parallel at two controllers sharing one real Redis: each agent's capacity is reserved by the
compare-and-set of their record, so however the arrivals race no agent ever holds more chats than the capacity
allows, no chat is held by two agents, and every place left is filled once a chat closes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import gevent
import gevent.event

from ccswitch.acd.capacity import AgentCapacity, Channel
from ccswitch.chat.messages import Customer
from ccswitch.clock import ScaledClock
from ccswitch.config import load_config
from ccswitch.controller import Controller
from ccswitch.engine import Accept, Close, TextArrival
from ccswitch.store.redis_store import RedisStore

from .conftest import MONDAY_10AM, SPEED, wait_until
from .test_two_controllers import two_controllers

ROOT = Path(__file__).resolve().parents[2]
THREE_CHATS = AgentCapacity(total=3, costs=MappingProxyType({Channel.VOICE: 3, Channel.CHAT: 1}))
CHAT_AGENTS = ("1004", "1005", "1006", "1007")  # support agents who take chats; 1003 (support too) takes calls only
CHATS_PER_CONTROLLER = 20


def test_parallel_chats_at_two_controllers_never_take_an_agent_past_their_capacity(redis_url: str) -> None:
    shipped = load_config(ROOT / "config" / "ccswitch.yaml", env={})
    config = replace(shipped, agents=MappingProxyType({
        agent_id: replace(agent, capacity=THREE_CHATS) if agent_id in CHAT_AGENTS else agent
        for agent_id, agent in shipped.agents.items()}))
    clock = ScaledClock(SPEED, start=MONDAY_10AM)
    with two_controllers((redis_url, redis_url), clock, config) as (_config, _switches, controllers):
        observer = RedisStore(redis_url, "two:")
        excess: list[str] = []

        def held() -> dict[str, list[str]]:
            return {agent.id: [text.contact for text in agent.texts] for agent in observer.agents()}

        def watch() -> None:
            while True:
                now = held()
                excess.extend(f"{agent}: {texts}" for agent, texts in now.items() if len(texts) > 3)
                contacts = [contact for texts in now.values() for contact in texts]
                excess.extend(f"{contact} held twice" for contact in set(contacts) if contacts.count(contact) > 1)
                gevent.sleep(0.002)

        start, owner = gevent.event.Event(), {}

        def arrive(controller: Controller, contact: str) -> None:
            start.wait()
            controller.text_arrived(TextArrival(contact, Channel.CHAT, "support", Customer(name=contact),
                                                clock.now()))

        watcher = gevent.spawn(watch)
        arrivals = []
        for n in range(CHATS_PER_CONTROLLER):
            for index, controller in enumerate(controllers):
                contact = f"chat-{index}-{n}"
                owner[contact] = controller
                arrivals.append(gevent.spawn(arrive, controller, contact))
        start.set()
        gevent.joinall(arrivals, raise_error=True)
        wait_until(lambda: sum(map(len, held().values())) == 3 * len(CHAT_AGENTS), timeout=10,
                   what="every chat place to be offered")
        gevent.sleep(0.2)  # let any offer decided on a stale record come back refused
        assert excess == [] and sum(map(len, held().values())) == 12
        assert {agent for agent, texts in held().items() if texts} == set(CHAT_AGENTS)

        for agent, texts in held().items():  # each agent closes one chat: the oldest waiting take the places
            if texts:
                owner[texts[0]].text_action(agent, texts[0], Accept())
                owner[texts[0]].text_action(agent, texts[0], Close())
        wait_until(lambda: sum(map(len, held().values())) == 12, timeout=10, what="the freed places filled")
        gevent.sleep(0.2)
        watcher.kill()
        observer.close()
        assert excess == []
        waiting = sum(len(entries) for c in controllers for entries in c.engine.texts.waiting.values())
        assert waiting == 2 * CHATS_PER_CONTROLLER - 12 - len(CHAT_AGENTS)
