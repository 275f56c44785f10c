"""A contact centre on loopback: the simulator's ESL server, the controller connected to it over TCP, shipped config.

Time runs on a ScaledClock (x20) that starts on Monday 23 Nov 2026 at 10:00 Moscow time, inside business hours.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import gevent
import pytest
from store.redis_server import RedisServer, has_redis_server

from ccswitch.clock import ScaledClock
from ccswitch.config import Config, load_config
from ccswitch.controller import Controller
from ccswitch.engine import Record
from ccswitch.sim import AgentPhone, EslServer, SimSwitch
from ccswitch.sim.limits import SwitchLimits
from ccswitch.sim.switch import DEFAULT_MODULES
from ccswitch.store.base import Store
from ccswitch.store.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")).timestamp()
SPEED = 20.0


def api_call(url: str, method: str, body: object = None, content_type: str = "application/json",
             data: bytes | None = None) -> tuple[int, dict[str, object], dict[str, str]]:
    """One request to the HTTP API over real TCP: (status, JSON reply, reply headers). ``body`` is sent as JSON
    (``data`` as raw bytes instead) with ``content_type``; a POST sends ``{}`` when given nothing, GET and DELETE
    send nothing."""
    if data is None and (body is not None or method == "POST"):
        data = json.dumps({} if body is None else body).encode()
    headers = {"Content-Type": content_type} if data is not None else {}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc), dict(exc.headers)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Poll ``condition`` (real seconds) until true; fail with ``what`` on timeout."""
    with gevent.Timeout(timeout, AssertionError(f"timed out waiting for {what}")):
        while not condition():
            gevent.sleep(0.005)


@dataclass
class ContactCentre:
    switch: SimSwitch
    server: EslServer
    controller: Controller
    clock: ScaledClock

    def start_controller(self) -> None:
        self.controller.start()
        wait_until(lambda: all(c.connected for c in self.controller.connections.values()), what="ESL connected")
        # The first reconcile runs on a channel list fetched at connect; a call placed before it is applied could be
        # taken for one that ended while away (test_reconcile.py), so tests start once it has been.
        wait_until(lambda: not self.controller.engine._unreconciled, what="the first reconcile")


def build(start: float = MONDAY_10AM, phones: tuple[AgentPhone, ...] | None = None,
          configure: Callable[[Config], Config] | None = None, record: Record | None = None,
          modules: Iterable[str] = DEFAULT_MODULES, store: Store | None = None,
          limits: SwitchLimits | None = None, speed: float = SPEED) -> ContactCentre:
    """The shipped config (changed by ``configure``, if given) on a fresh simulator with ``modules`` loaded and
    ``limits`` (FreeSWITCH's defaults if not given); ``record`` receives the history records (contacts, agent
    states) as the controller writes them; the store is a MemoryStore unless given (a store outage ends within
    50 ms of it answering again). ``speed``: simulated seconds per real second."""
    clock = ScaledClock(speed, start=start)
    switch = SimSwitch(clock=clock, modules=modules, limits=limits)
    server = EslServer(switch, "127.0.0.1", 0, password="ClueCon")
    server.start()
    config = load_config(ROOT / "config" / "ccswitch.yaml", env={})
    if configure is not None:
        config = configure(config)
    for agent in config.agents.values():
        extension = agent.contact.removeprefix("user/")
        switch.add_phone(AgentPhone(extension=extension, answer_after_s=2.0, talk_s=60.0))
    for phone in phones or ():
        switch.set_phone(phone)
    node = replace(config.nodes[0], host="127.0.0.1", port=server.port)
    controller = Controller(replace(config, nodes=(node,)), store or MemoryStore(), clock, tick_s=0.02, record=record,
                            store_probe_s=0.05)
    return ContactCentre(switch, server, controller, clock)


@pytest.fixture
def centre_factory() -> Iterator[Callable[..., ContactCentre]]:
    built: list[ContactCentre] = []

    def factory(**kwargs: object) -> ContactCentre:
        centre = build(**kwargs)  # type: ignore[arg-type]
        centre.start_controller()
        built.append(centre)
        return centre

    yield factory
    for centre in built:
        centre.controller.stop()
        centre.server.stop()
        centre.switch.shutdown()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A private ``redis-server`` of the test's own (tests/store/redis_server.py)."""
    if not has_redis_server():
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    yield server.url
    server.stop()


@pytest.fixture
def centre(centre_factory: Callable[..., ContactCentre]) -> ContactCentre:
    return centre_factory()
