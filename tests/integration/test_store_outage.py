"""A Redis outage mid-traffic loses nothing: the controller, against the simulator over TCP and a private
``redis-server`` killed and started again (empty) on the same port, keeps taking, answering and queuing calls on its
own view, makes no offer until Redis is back, then writes its view through and drains the queue.

Time on the switch runs ``SPEED`` times faster than real time, Redis is down in real time: an outage of
``outage_s`` switch seconds (what callers, phones, ring timeouts, wrap-ups and the dialplan's fallback timer live
through) is ``outage_s / SPEED`` real seconds of Redis being away. ``bench/faults.py`` runs 5 s and 30 s outages
in real time at the bench's traffic.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import gevent
import pytest
from gevent.server import StreamServer
from metrics.conftest import http_get
from store.redis_server import RedisServer, has_redis_server

from ccswitch.acd import Agent, AgentState
from ccswitch.clock import ScaledClock
from ccswitch.config import load_config
from ccswitch.controller import Controller
from ccswitch.dialer import Lead, LeadState
from ccswitch.http import serve_http
from ccswitch.sim import AgentPhone, CallerScript, EslServer, SimSwitch
from ccswitch.store.redis_store import RedisStore

from .conftest import MONDAY_10AM, ContactCentre, wait_until
from .switch_log import SwitchLog, at
from .test_dialer import CAMPAIGN, callee, campaign_centre, lead, start
from .test_two_controllers import two_controllers, watch_double_offers

ROOT = Path(__file__).resolve().parents[2]
SPEED = 20.0
CALL_EVERY_S = 5.0  # switch seconds between arrivals: about what support's five agents handle
FALLBACK_S = 10.0  # the dialplan's sched_transfer (README): a call the controller has not taken by then is lost
AFTER_RETURN_S = 30.0  # agents are judged this long (switch time) after Redis is back
STORE_TIMEOUT_S = 0.2  # real seconds: 4 s of switch time, within the dialplan's fallback (a hung Redis costs this)


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    if not has_redis_server():
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    yield server
    server.stop()


@pytest.mark.parametrize(("outage_s", "hangs"), [(5.0, False), (30.0, False), (5.0, True)],
                         ids=["dies-5s", "dies-30s", "hangs-5s"])
def test_given_redis_dies_mid_traffic_then_no_call_is_lost_no_agent_is_stuck_and_health_tells(
    redis: RedisServer, outage_s: float, hangs: bool
) -> None:
    """``hangs``: Redis freezes (SIGSTOP) instead of dying, and comes back with its data: the first command to meet
    it waits for the client's timeout (``STORE_TIMEOUT_S``), once; the calls of the outage are answered from the
    controller's view without waiting."""
    clock = ScaledClock(SPEED, start=MONDAY_10AM)
    switch = SimSwitch(clock=clock)
    log = SwitchLog(switch)
    server = EslServer(switch, "127.0.0.1", 0, password="ClueCon")
    server.start()
    config = load_config(ROOT / "config" / "ccswitch.yaml", env={})
    for agent in config.agents.values():
        switch.add_phone(AgentPhone(agent.contact.removeprefix("user/"), answer_after_s=2.0, talk_s=10.0))
    config = replace(config, nodes=(replace(config.nodes[0], host="127.0.0.1", port=server.port),))
    controller = Controller(config, RedisStore(redis.url, "outage:", timeout_s=STORE_TIMEOUT_S), clock,
                            tick_s=0.02, store_probe_s=0.05)
    http = serve_http(controller.metrics, "127.0.0.1", 0, controller)
    engine = controller.engine
    placed: list[str] = []

    def arrivals() -> None:
        while True:
            placed.append(switch.place_call(CallerScript(dtmf=("2",), patience_s=3600)))
            gevent.sleep(CALL_EVERY_S / SPEED)

    def health() -> tuple[int, dict[str, object]]:
        status, body = http_get(f"http://127.0.0.1:{http.server_port}/healthz")
        return status, json.loads(body)

    def bridged(call: str) -> bool:
        return bool(log.of(call, "CHANNEL_BRIDGE"))

    feeder = None
    try:
        controller.start()
        wait_until(lambda: all(c.connected for c in controller.connections.values()), what="ESL connected")
        wait_until(lambda: not engine._unreconciled, what="the first reconcile")
        feeder = gevent.spawn(arrivals)
        wait_until(lambda: sum(map(bridged, placed)) >= 2, timeout=10, what="calls answered before the outage")

        if hangs:
            redis.hang()
        else:
            redis.stop()
        down_at, before = clock.now(), len(placed)
        wait_until(lambda: health()[0] == 503, timeout=5, what="/healthz to say degraded")
        reasons = health()[1]["reasons"]
        assert isinstance(reasons, list) and any(r.startswith("store unavailable since") for r in reasons)
        wait_until(lambda: clock.now() >= down_at + outage_s, timeout=outage_s / SPEED + 5, what="the outage")
        feeder.kill()  # what queued meanwhile is enough to drain
        during = placed[before:]
        assert during, "no call arrived during the outage"
        if hangs:
            redis.wake()  # with everything it held
        else:
            redis.start()  # empty: the restarted Redis has lost everything
        back_at = clock.now()
        wait_until(lambda: health()[0] == 200, timeout=5, what="/healthz to say ok again")

        wait_until(lambda: clock.now() >= back_at + AFTER_RETURN_S, timeout=AFTER_RETURN_S / SPEED + 5,
                   what="30 s after the return")

        def stuck() -> dict[str, str | None]:
            return {agent.id: agent.call for agent in engine.agents.values()
                    if agent.state in (AgentState.RESERVED, AgentState.ON_CALL) and agent.call not in switch.channels}

        # A stuck agent stays stuck; one whose call's hang-up is still on its way (a loaded machine's controller
        # lags the switch by a second or two) is freed within the wait.
        with contextlib.suppress(AssertionError):
            wait_until(lambda: not stuck(), timeout=5, what="no agent on a call the switch no longer has")
        assert stuck() == {}

        wait_until(lambda: all(map(bridged, placed)), timeout=30, what="every caller to reach an agent")
        for call in placed:  # taken (fallback cancelled, answered) before the dialplan's fallback would fire
            created, answered = log.of(call, "CHANNEL_CREATE"), log.of(call, "CHANNEL_ANSWER")
            assert answered and at(answered[0]) - at(created[0]) < FALLBACK_S, call

        # Everything ends; the restarted Redis holds what the controller holds (written through, then kept up).
        wait_until(lambda: not switch.channels and all(a.state is AgentState.AVAILABLE
                                                       for a in engine.agents.values()),
                   timeout=30, what="every call to end and every agent to be available")
        shared = RedisStore(redis.url, "outage:")
        try:
            assert {a.id: a for a in shared.agents()} == engine.agents
            assert shared.all_entries() == {}
        finally:
            shared.close()
        metrics = controller.metrics.registry
        assert metrics.get_sample_value("ccswitch_store_outages_total") == 1
        assert metrics.get_sample_value("ccswitch_store_available") == 1
    finally:
        if feeder is not None:
            feeder.kill()
        http.stop()
        controller.stop()
        server.stop()
        switch.shutdown()


class CuttableLink:
    """A TCP relay to Redis that can be cut and mended: what a network partition does to the controller that
    reaches Redis through it (its connections reset, new ones closed at once), while others still reach Redis."""

    def __init__(self, port: int) -> None:
        self._target = ("127.0.0.1", port)
        self._sockets: list[socket.socket] = []
        self._cut = False
        self._server = StreamServer(("127.0.0.1", 0), self._relay)
        self._server.start()
        self.url = f"redis://127.0.0.1:{self._server.server_port}/0"

    def cut(self) -> None:
        self._cut = True
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._sockets.clear()

    def mend(self) -> None:
        self._cut = False

    def close(self) -> None:
        self.cut()
        self._server.stop()

    def _relay(self, client: socket.socket, _address: object) -> None:
        if self._cut:
            client.close()
            return
        upstream = socket.create_connection(self._target)
        self._sockets += [client, upstream]
        gevent.joinall([gevent.spawn(_pump, client, upstream), gevent.spawn(_pump, upstream, client)])
        client.close()
        upstream.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_RDWR)


@pytest.mark.parametrize("partition", [False, True], ids=["redis-dies", "one-controller-cut-off"])
def test_given_two_controllers_share_redis_when_it_goes_away_for_one_or_both_then_no_agent_is_offered_two_calls(
    redis: RedisServer, partition: bool
) -> None:
    link = CuttableLink(redis.port)
    # Redis dies for both controllers, or the first one alone loses it while the second goes on with it.
    urls, (fail, recover) = ((link.url, redis.url), (link.cut, link.mend)) if partition else (
        (redis.url, redis.url), (redis.stop, redis.start))
    clock = ScaledClock(SPEED, start=MONDAY_10AM)
    with contextlib.closing(link), two_controllers(urls, clock, store_probe_s=0.05) as (_, switches, controllers):
        cut_off = controllers[:1] if partition else controllers
        watcher, overlaps = watch_double_offers(switches)
        placed: list[str] = []

        def arrivals() -> None:
            for turn in itertools.count():  # the two switches take turns
                placed.append(switches[turn % 2].place_call(CallerScript(dtmf=("2",), patience_s=3600)))
                gevent.sleep(CALL_EVERY_S / SPEED)

        def answered() -> int:
            return sum(c.engine.stats.queues["support"].answered for c in controllers)

        feeder = gevent.spawn(arrivals)
        try:
            wait_until(lambda: answered() >= 2, timeout=10, what="calls answered before the outage")
            fail()
            down_at, before = clock.now(), len(placed)
            wait_until(lambda: not any(c.store.available for c in cut_off), timeout=5,
                       what="the controllers cut off to notice")
            wait_until(lambda: clock.now() >= down_at + 30, timeout=30 / SPEED + 5, what="the outage")
            assert all(c.store.available for c in controllers if c not in cut_off)
            recover()
            wait_until(lambda: all(c.store.available for c in controllers), timeout=5, what="Redis back for all")
        finally:
            feeder.kill()
        assert len(placed) > before, "no call arrived during the outage"
        wait_until(lambda: answered() == len(placed), timeout=30, what="every call to be answered")
        wait_until(lambda: not any(s.channels for s in switches) and all(
            a.state is AgentState.AVAILABLE for c in controllers for a in c.engine.agents.values()),
                   timeout=30, what="every call to end and every agent to be available")
        watcher.kill()
        assert overlaps == []
        shared = RedisStore(redis.url, "two:")
        try:
            stored = {a.id: a for a in shared.agents()}
        finally:
            shared.close()
        assert [c.engine.agents for c in controllers] == [stored, stored]


def test_given_redis_dies_while_a_campaign_dials_then_its_calls_settle_and_no_lead_is_dialled_twice(
    centre_factory: Callable[..., ContactCentre], redis: RedisServer,
) -> None:
    leads = [lead(n) for n in range(1, 9)]
    centre = campaign_centre(centre_factory, callee(**{f"n{n}": "person" for n in range(1, 9)}),
                             store=RedisStore(redis.url, "dial:", timeout_s=1.0))
    clock, controller = centre.clock, centre.controller

    def stored_leads() -> list[Lead]:
        shared = RedisStore(redis.url, "dial:")  # (a client of its own: Redis restarts under it)
        try:
            return shared.leads(CAMPAIGN)
        finally:
            shared.close()

    start(centre, *leads)
    wait_until(lambda: any(lead.state is LeadState.DIALLING for lead in stored_leads()), what="a lead being dialled")
    dialling = {lead.phone for lead in stored_leads() if lead.state is LeadState.DIALLING}
    redis.stop()
    down_at = clock.now()
    wait_until(lambda: not controller.store.available, what="the controller to notice the outage")
    wait_until(lambda: clock.now() >= down_at + 30, timeout=30 / SPEED + 5, what="the outage")
    redis.start()  # empty: the campaign must be loaded again, the leads written through come back as they are
    wait_until(lambda: controller.store.available, timeout=5, what="Redis back")
    # Leads the restarted Redis has: those the controller changed during the outage, written through.
    settled = {lead.phone: lead for lead in stored_leads()}
    assert dialling and all(settled[phone].state is not LeadState.DIALLING for phone in dialling), settled
    originates = [c for c in centre.server.commands_received if c.startswith("bgapi originate")]
    for phone, stored in settled.items():  # one originate per attempt: no lead was handed out twice
        assert len([c for c in originates if f"cc_lead={phone}}}" in c]) == stored.attempts, phone



class SlowAgentsStore(RedisStore):
    """A Redis store whose agent listing takes ``delay_s`` once ``slow`` is set: a write-through that waits on Redis
    while the controller's other greenlets run."""

    slow = False
    delay_s = 0.3

    def agents(self) -> list[Agent]:
        if self.slow:
            gevent.sleep(self.delay_s)
        return super().agents()


def test_a_write_through_that_waits_on_redis_is_done_once(
    centre_factory: Callable[..., ContactCentre], redis: RedisServer, caplog: pytest.LogCaptureFixture,
) -> None:
    """The watcher pings every 50 ms; the write-through reads the agents for 300 ms. It used to queue a second
    write-through meanwhile, which then failed in the engine ("no outage to end")."""
    store = SlowAgentsStore(redis.url, "slow:", timeout_s=1.0)
    centre = centre_factory(store=store)
    controller = centre.controller
    redis.stop()
    wait_until(lambda: not controller.store.available, what="the controller to notice the outage")
    store.slow = True
    redis.start()
    wait_until(lambda: controller.store.available, timeout=5, what="Redis back")
    gevent.sleep(5 * SlowAgentsStore.delay_s)  # time for a second write-through to be queued and run, if it was
    assert [r.message for r in caplog.records if r.message.startswith("store available again")][1:] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
            and "store unavailable" not in r.getMessage()] == []
