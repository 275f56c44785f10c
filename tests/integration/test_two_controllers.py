"""Two controllers, each driving its own FreeSWITCH node, share one real Redis: agents are shared, reservation is
atomic, so no agent is ever offered two calls, and agents freed by one controller are used by the other."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import gevent

from ccswitch.clock import ScaledClock
from ccswitch.config import Config, load_config
from ccswitch.controller import Controller
from ccswitch.sim import AgentPhone, CallerScript, EslServer, SimSwitch
from ccswitch.store.redis_store import RedisStore

from .conftest import MONDAY_10AM, SPEED, wait_until

ROOT = Path(__file__).resolve().parents[2]
CALLS_PER_NODE = 8


def node_config(config: Config, name: str, port: int) -> Config:
    return replace(config, nodes=(replace(config.nodes[0], name=name, host="127.0.0.1", port=port),))


@contextmanager
def two_controllers(redis_urls: tuple[str, str], clock: ScaledClock, config: Config | None = None,
                    **controller_options: Any) -> Iterator[tuple[Config, list[SimSwitch], list[Controller]]]:
    """Two switches, each driven by its own controller, the controllers on one Redis (reached at ``redis_urls``,
    one each: the same, or one through a link that can be cut); every agent's phone answers on either switch
    (after 1 s, talking 10 s). Started and connected. ``config``: the shipped one unless given."""
    config = config or load_config(ROOT / "config" / "ccswitch.yaml", env={})
    switches, servers, controllers = [], [], []
    for name, redis_url in zip(("a", "b"), redis_urls, strict=True):
        switch = SimSwitch(clock=clock)
        for agent in config.agents.values():  # every agent's phone answers on either node
            switch.add_phone(AgentPhone(agent.contact.removeprefix("user/"), answer_after_s=1.0, talk_s=10.0))
        server = EslServer(switch, "127.0.0.1", 0, password="ClueCon")
        server.start()
        controller = Controller(node_config(config, name, server.port), RedisStore(redis_url, "two:"), clock,
                                tick_s=0.02, **controller_options)
        switches.append(switch), servers.append(server), controllers.append(controller)
    try:
        for controller in controllers:
            controller.start()
            wait_until(lambda c=controller: all(x.connected for x in c.connections.values()), what="connected")
        yield config, switches, controllers
    finally:
        for controller in controllers:
            controller.stop()
        for server, switch in zip(servers, switches, strict=True):
            server.stop()
            switch.shutdown()


def watch_double_offers(switches: list[SimSwitch]) -> tuple[gevent.Greenlet, list[str]]:
    """A greenlet noting every agent with more than one leg (ringing or talking) across the switches at once."""
    overlaps: list[str] = []

    def watch() -> None:
        while True:
            ringing_or_talking: dict[str, int] = {}
            for switch in switches:
                for channel in switch.channels.values():
                    agent = channel.variables.get("cc_agent")
                    if agent:
                        ringing_or_talking[agent] = ringing_or_talking.get(agent, 0) + 1
            overlaps.extend(agent for agent, legs in ringing_or_talking.items() if legs > 1)
            gevent.sleep(0.002)

    return gevent.spawn(watch), overlaps


def test_two_controllers_on_one_redis_never_offer_one_agent_two_calls(redis_url: str) -> None:
    clock = ScaledClock(SPEED, start=MONDAY_10AM)
    with two_controllers((redis_url, redis_url), clock) as (config, switches, controllers):
        watcher, overlaps = watch_double_offers(switches)
        for switch in switches:
            for _ in range(CALLS_PER_NODE):
                switch.place_call(CallerScript(dtmf=("2",), patience_s=3600, talk_s=10.0))

        def answered() -> int:
            return sum(c.engine.stats.queues["support"].answered for c in controllers)

        wait_until(lambda: answered() == 2 * CALLS_PER_NODE, timeout=30, what="every call to be answered")
        watcher.kill()
        assert overlaps == []
        by_controller = [c.engine.stats.queues["support"].answered for c in controllers]
        assert by_controller == [CALLS_PER_NODE, CALLS_PER_NODE]
        # Five support agents served sixteen calls from two controllers: they were passed back and forth.
        handled = {agent_id: sum(c.engine.stats.agents[agent_id].answered for c in controllers)
                   for agent_id in config.members("support")}
        assert sum(handled.values()) == 2 * CALLS_PER_NODE and max(handled.values()) >= 3
