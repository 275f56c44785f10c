"""Inbound call path: how fast the controller routes parked calls to agents through the simulator.

The simulator (SimSwitch + EslServer on the wall clock) runs in a subprocess (this script with --serve) so its
CPU does not count against the controller, which runs here with a MemoryStore and a generated config: 1,000
agents user/2000..2999 in one queue with no wrap-up, and DID 88005550556 sent straight to that queue (no IVR),
so the path is park -> route -> enqueue -> offer -> ConnectAgent. Phones answer after 1 s and agents talk 20 s;
callers never give up. At 100 calls/s the agents are all busy after ~10 s and calls queue up behind them.

Product code is not changed: the controller's ESL connection is wrapped to time each event as the reader hands
it over and each command as the executor sends it. Two latencies:

- on arrival: the call found a free agent; its CHANNEL_PARK received -> its ConnectAgent
  (``api uuid_transfer <uuid> 'm:^:...bridge...'``) written;
- queued: the call waited; the CHANNEL_HANGUP_COMPLETE that freed the agent received -> the ConnectAgent to
  that agent written.

Calls arrive (Poisson) at two simulated nodes by default, each its own process: one node's placing loop alone
falls a few % short of 100 calls/s on a busy 2-vCPU box.

    /work/venv/bin/python bench/inbound_path.py [--rates 100 20] [--seconds 30] [--nodes 2] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import logging
import math
import pstats
import re
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import gevent
import gevent.subprocess
from gevent.socket import wait_read

from ccswitch.clock import WallClock
from ccswitch.config import load_config
from ccswitch.controller import Controller
from ccswitch.effects import ConnectAgent, Effect
from ccswitch.esl.connection import EslConnection, PendingReply
from ccswitch.esl.event import Event
from ccswitch.esl.protocol import Frame
from ccswitch.sim import AgentPhone, CallerScript, EslServer, SimSwitch, poisson_arrivals
from ccswitch.sim.limits import SwitchLimits
from ccswitch.store.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
DID = "88005550556"
QUEUE = "bench"
AGENT_IDS = tuple(str(extension) for extension in range(2000, 3000))
ANSWER_S = 1.0
TALK_S = 20.0
PATIENCE_S = 3600.0
DRAIN_S = 5.0  # after the last arrival: queued calls keep reaching agents as earlier calls end
TARGET_P99_MS = 5.0
SAMPLE_S = 0.05
CONNECT_AGENT = re.compile(  # esl/commands.py connect_agent (one leg: longest-idle), sent as api
    r"^api uuid_transfer (?P<call>\S+) 'm:\^:.*\bbridge:\{[^}]*\}\[origination_uuid=(?P<leg>[^,\]]+),"
    r"[^\]]*\bcc_agent=(?P<agent>[^,\]]+)"
)


# -- the simulator (a separate process) -------------------------------------------------------------------


class NoDelayEslServer(EslServer):
    """Like FreeSWITCH (mod_event_socket.c, listener_run: SWITCH_SO_TCP_NODELAY), Nagle off on each client: with
    it on, small replies and events wait for the controller's delayed ACK (~40 ms on loopback)."""

    def _handle(self, sock: socket.socket, address: tuple[str, int]) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super()._handle(sock, address)


def serve(rate: float, seconds: float, seed: int) -> None:
    """Print the ESL port; on a line from stdin place ``rate`` calls/s for ``seconds``; print a JSON summary."""
    # A node configured for this load (switch.conf.xml max-sessions, sessions-per-second): the bench measures the
    # controller, not FreeSWITCH's defaults (1000, 30), which would refuse most of it.
    switch = SimSwitch(clock=WallClock(), limits=SwitchLimits(max_sessions=20_000, sessions_per_second=1_000))
    for extension in AGENT_IDS:
        switch.add_phone(AgentPhone(extension, answer_after_s=ANSWER_S, talk_s=TALK_S))
    server = NoDelayEslServer(switch).start()
    print(server.port, flush=True)
    wait_read(sys.stdin.fileno())  # the controller is connected and subscribed: go
    sys.stdin.readline()
    peaks = {"peak_channels": 0, "peak_calls": 0}

    def sample() -> None:
        while True:
            channels = switch.live_channels()
            peaks["peak_channels"] = max(peaks["peak_channels"], len(channels))
            peaks["peak_calls"] = max(peaks["peak_calls"], sum(ch.direction == "inbound" for ch in channels))
            gevent.sleep(SAMPLE_S)

    sampler = gevent.spawn(sample)
    scripts = [CallerScript(destination=DID, caller_number=f"7916{n:07d}", patience_s=PATIENCE_S) for n in range(97)]
    arrivals = poisson_arrivals(rate, seconds, scripts, seed)
    started, cpu = time.monotonic(), time.process_time()
    for at, script in arrivals:
        # Each call at its own offset from the start (sim.run_load sleeps offset to offset, so every wake-up's
        # lateness adds up: ~25% fewer calls per second at this rate).
        gevent.sleep(max(0.0, started + at - time.monotonic()))
        switch.place_call(script)
    placing_s = time.monotonic() - started
    cpu = (time.process_time() - cpu) / placing_s
    gevent.sleep(DRAIN_S)
    sampler.kill()
    summary = {"placed": len(arrivals), "placing_s": placing_s, "cpu": cpu, **peaks}
    print(json.dumps(summary), flush=True)
    wait_read(sys.stdin.fileno())  # until the bench closes our stdin
    server.stop()


# -- the controller side ----------------------------------------------------------------------------------


ARRIVAL = "on arrival: PARK -> ConnectAgent written"
ARRIVAL_DECIDED = "  of which PARK -> engine emitted it"
QUEUED = "queued: agent freed -> ConnectAgent written"
QUEUED_DECIDED = "  of which freed -> engine emitted it"
DELIVERY = "switch -> controller: PARK delivery"
ROUND_TRIP = "any command: written -> reply received"


@dataclass
class Probe:
    """Times taken around the controller (perf_counter seconds): events as its ESL reader hands them over, effects
    as the engine emits them, commands as the executor writes them and their replies."""

    parked: dict[str, float] = field(default_factory=dict)  # caller uuid -> its first CHANNEL_PARK received
    freed: dict[str, float] = field(default_factory=dict)  # agent id -> the hang-up ending its last call received
    decided: dict[str, float] = field(default_factory=dict)  # caller uuid -> its ConnectAgent emitted
    legs: dict[str, tuple[str, str]] = field(default_factory=dict)  # either leg of a connect -> (agent, other leg)
    inbox_ahead: list[int] = field(default_factory=list)  # messages in the controller's inbox before a freeing event
    samples: dict[str, list[float]] = field(
        default_factory=lambda: {row: [] for row in (ARRIVAL, ARRIVAL_DECIDED, QUEUED, QUEUED_DECIDED, DELIVERY,
                                                     ROUND_TRIP)}
    )

    def attach(self, controller: Controller) -> None:
        emit = controller.engine.emit

        def timed_emit(node: str, effects: Sequence[Effect]) -> None:
            now = time.perf_counter()
            for effect in effects:
                if isinstance(effect, ConnectAgent):
                    self.decided[effect.call] = now
            emit(node, effects)

        controller.engine.emit = timed_emit
        for connection in controller.connections.values():
            self._attach_connection(connection, controller.inbox.qsize)

    def _attach_connection(self, connection: EslConnection, inbox_depth: Callable[[], int]) -> None:
        on_event = connection._on_event
        write = connection.write

        def timed_event(event: Event) -> None:
            self._event(event, inbox_depth())
            on_event(event)

        def timed_write(command: str) -> PendingReply:
            written = time.perf_counter()
            self._command(command, written)
            reply = write(command)
            result = reply.result

            def timed_result(timeout: float | None = None) -> Frame:
                frame = result(timeout)
                self.samples[ROUND_TRIP].append(time.perf_counter() - written)
                return frame

            reply.result = timed_result  # type: ignore[method-assign]
            return reply

        connection._on_event = timed_event
        connection.write = timed_write  # type: ignore[method-assign]  # measured from outside, product code as is

    def _event(self, event: Event, inbox_depth: int) -> None:
        now = time.perf_counter()
        uuid = event.unique_id
        if uuid is None:
            return
        if event.name == "CHANNEL_PARK" and event.get("Call-Direction") == "inbound" and uuid not in self.parked:
            self.parked[uuid] = now
            stamp = event.get("Event-Date-Timestamp")
            if stamp:
                self.samples[DELIVERY].append(time.time() - int(stamp) / 1e6)
        elif event.name == "CHANNEL_HANGUP_COMPLETE" and uuid in self.legs:
            # Either leg's hang-up ends the call for the engine, whichever it receives first.
            agent, other = self.legs.pop(uuid)
            self.legs.pop(other, None)
            self.freed[agent] = now
            self.inbox_ahead.append(inbox_depth)

    def _command(self, command: str, now: float) -> None:
        match = CONNECT_AGENT.match(command)
        if match is None:
            return
        call, leg, agent = match["call"], match["leg"], match["agent"]
        self.legs[call] = (agent, leg)
        self.legs[leg] = (agent, call)
        parked, decided = self.parked.get(call), self.decided.pop(call, None)
        freed = self.freed.pop(agent, None)
        if parked is None or decided is None:
            return
        if freed is not None and freed > parked:
            self.samples[QUEUED].append(now - freed)
            self.samples[QUEUED_DECIDED].append(decided - freed)
        else:
            self.samples[ARRIVAL].append(now - parked)
            self.samples[ARRIVAL_DECIDED].append(decided - parked)

    @property
    def connects(self) -> int:
        return len(self.samples[ARRIVAL]) + len(self.samples[QUEUED])


@dataclass
class LoopWatch:
    """Samples the controller's inbox depth and how late a 10 ms timer wakes (event-loop stalls); times the
    garbage collector's pauses."""

    controller: Controller
    max_inbox: int = 0
    max_lag: float = 0.0
    gc_pauses: dict[int, list[float]] = field(default_factory=lambda: {0: [], 1: [], 2: []})  # by generation
    tracked_objects: int = 0  # what a full collection walks, at the end of the run
    _gc_started: float = 0.0

    def on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_pauses[info["generation"]].append(time.perf_counter() - self._gc_started)

    def run(self) -> None:
        while True:
            due = time.perf_counter() + 0.010
            gevent.sleep(0.010)
            self.max_lag = max(self.max_lag, time.perf_counter() - due)
            self.max_inbox = max(self.max_inbox, self.controller.inbox.qsize())


@dataclass(frozen=True)
class Result:
    rate: float
    nodes: int
    placed: int
    placing_s: float
    peak_calls: int
    peak_channels: int
    parks: int
    window_s: float
    cpu: float
    sim_cpu: tuple[float, ...]
    probe: Probe
    watch: LoopWatch


def write_config(directory: Path, ports: Sequence[int]) -> Path:
    """ccswitch.yaml + one queue, 1,000 agents, no IVR, a dialplan sending the DID to the queue; shipped sounds."""
    (directory / "dialplans").mkdir()
    (directory / "ivr").mkdir()
    rule = f'{{name: queue, did: "{DID}", then: {{queue: {QUEUE}}}}}'
    (directory / "dialplans" / "main.yaml").write_text(f"default: {{hangup: UNALLOCATED_NUMBER}}\nrules: [{rule}]\n")
    (directory / "queues.yaml").write_text(
        f"{QUEUE}: {{max_wait_s: 86400, wrap_up_s: 0, ring_timeout_s: 15, overflow: {{hangup: NORMAL_CLEARING}}}}\n"
    )
    (directory / "agents.yaml").write_text("".join(
        f'"{agent}": {{name: Agent {agent}, contact: user/{agent}, queues: [{QUEUE}], login: available}}\n'
        for agent in AGENT_IDS
    ))
    nodes = ", ".join(f"{{name: fs{n}, host: 127.0.0.1, port: {port}, password: ClueCon}}"
                      for n, port in enumerate(ports, 1))
    main = directory / "ccswitch.yaml"
    main.write_text(
        f"freeswitch: {{nodes: [{nodes}]}}\n"
        "timezone: Europe/Moscow\n"
        "dialplan: main\n"
        f"paths: {{dialplans: dialplans, ivr: ivr, queues: queues.yaml, agents: agents.yaml, "
        f"sounds: {ROOT / 'sounds'}}}\n"
    )
    return main


@contextmanager
def simulators(count: int, rate: float, seconds: float) -> Iterator[list[gevent.subprocess.Popen]]:
    """``count`` simulated FreeSWITCH nodes, each placing an equal share of ``rate``."""
    processes = [
        gevent.subprocess.Popen(
            [sys.executable, __file__, "--serve", "--rate", str(rate / count), "--seconds", str(seconds),
             "--seed", str(seed)],
            stdin=gevent.subprocess.PIPE, stdout=gevent.subprocess.PIPE,
        )
        for seed in range(1, count + 1)
    ]
    try:
        yield processes
    finally:
        for process in processes:
            process.stdin.close()
        for process in processes:
            try:
                process.wait(timeout=5)
            except gevent.subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def run(rate: float, seconds: float, nodes: int, profiler: cProfile.Profile | None) -> Result:
    with tempfile.TemporaryDirectory() as tmp, simulators(nodes, rate, seconds) as sims:
        ports = [int(sim.stdout.readline()) for sim in sims]
        controller = Controller(load_config(write_config(Path(tmp), ports), env={}), MemoryStore(), WallClock())
        probe = Probe()
        probe.attach(controller)
        controller.start()
        try:
            if not all(c.wait_connected(10) for c in controller.connections.values()):
                raise SystemExit("the controller did not connect to the simulator")
            watch = LoopWatch(controller)
            watcher = gevent.spawn(watch.run)
            gc.callbacks.append(watch.on_gc)
            cpu, wall = time.process_time(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            for sim in sims:
                sim.stdin.write(b"go\n")
                sim.stdin.flush()
            with gevent.Timeout(seconds * 2 + DRAIN_S + 30, SystemExit("the simulator did not finish")):
                summaries = [json.loads(sim.stdout.readline()) for sim in sims]
            if profiler is not None:
                profiler.disable()
            window_s = time.perf_counter() - wall
            cpu = (time.process_time() - cpu) / window_s
            watcher.kill()
            gc.callbacks.remove(watch.on_gc)
            watch.tracked_objects = len(gc.get_objects())
        finally:
            # A controller that fell behind would keep working through its inbox into the next run, and the
            # commands in flight fail as we disconnect: end its greenlets first, quietly.
            logging.disable(logging.WARNING)
            controller._run_greenlet.kill()
            controller.executor.pool.kill()
            controller.stop()
            logging.disable(logging.NOTSET)
    return Result(
        rate=rate,
        nodes=nodes,
        placed=sum(summary["placed"] for summary in summaries),
        placing_s=max(summary["placing_s"] for summary in summaries),
        # Every node ramps up until its last arrival, so their peaks nearly coincide: the sum is a close bound.
        peak_calls=sum(summary["peak_calls"] for summary in summaries),
        peak_channels=sum(summary["peak_channels"] for summary in summaries),
        parks=len(probe.parked),
        window_s=window_s,
        cpu=cpu,
        sim_cpu=tuple(summary["cpu"] for summary in summaries),
        probe=probe,
        watch=watch,
    )


def quantile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank quantile (``p`` = 1.0: the maximum); 0 when there are no samples."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)] if ordered else 0.0


def percentiles(samples: list[float]) -> str:
    if not samples:
        return f"{0:7d}" + "      -" * 4
    return f"{len(samples):7d}" + "".join(f"{quantile(samples, p) * 1000:7.1f}" for p in (0.5, 0.9, 0.99, 1.0))


def report(result: Result, seconds: float) -> None:
    probe, watch = result.probe, result.watch
    print(f"\n{result.rate:g} calls/s for {seconds:g} s + {DRAIN_S:g} s drain, {result.nodes} simulated node(s)")
    print(f"  offered {result.placed / result.placing_s:6.1f} calls/s achieved ({result.placed} calls in "
          f"{result.placing_s:.1f} s); controller received {result.parks} parks, "
          f"wrote {probe.connects} ConnectAgent")
    print(f"  peak {result.peak_calls} concurrent calls, {result.peak_channels} channels; inbox peak "
          f"{watch.max_inbox}; controller timer lag max {watch.max_lag * 1000:.1f} ms")
    pauses = ", ".join(f"gen{generation} {len(times)}x max {max(times, default=0) * 1000:.1f} ms"
                       for generation, times in watch.gc_pauses.items())
    print(f"  controller GC pauses: {pauses}; {watch.tracked_objects:,} tracked objects at the end")
    sim_cpu = " + ".join(f"{cpu:.0%}" for cpu in result.sim_cpu)
    print(f"  CPU (of one core): controller {result.cpu:.0%}, simulator {sim_cpu} while placing calls")
    print(f"  {'latency (ms)':44s}{'n':>7s}{'p50':>7s}{'p90':>7s}{'p99':>7s}{'max':>7s}")
    for row, samples in probe.samples.items():
        print(f"  {row:44s}{percentiles(samples)}")
    ahead = probe.inbox_ahead
    print(f"  inbox messages ahead of a freeing hang-up: p50 {quantile(ahead, 0.5):.0f}, "
          f"p99 {quantile(ahead, 0.99):.0f}, max {quantile(ahead, 1.0):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=float, nargs="+", default=[100.0, 20.0])
    parser.add_argument("--seconds", type=float, default=30.0, help="how long calls arrive, per rate")
    parser.add_argument("--nodes", type=int, default=2, help="simulated FreeSWITCH nodes (processes) sharing the load")
    parser.add_argument("--profile", action="store_true", help="cProfile the controller during the first rate")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=100.0, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.rate, args.seconds, args.seed)
        return
    logging.basicConfig(level=logging.WARNING)
    print(f"{len(AGENT_IDS)} agents in one queue, wrap-up 0 s; phones answer after {ANSWER_S:g} s, talk "
          f"{TALK_S:g} s; simulator in a subprocess, controller here (WallClock, MemoryStore)")
    results = []
    for index, rate in enumerate(args.rates):
        profiler = cProfile.Profile() if args.profile and index == 0 else None
        result = run(rate, args.seconds, args.nodes, profiler)
        report(result, args.seconds)
        results.append(result)
        if profiler is not None:
            print_profile(profiler)
    first = results[0]
    worst = max(quantile(first.probe.samples[row], 0.99) for row in (ARRIVAL, QUEUED)) * 1000
    verdict = "met" if worst < TARGET_P99_MS else "MISSED"
    print(f"\ntarget p99 < {TARGET_P99_MS:g} ms at {first.rate:g} calls/s: {verdict} (worst p99 {worst:.1f} ms)")


def print_profile(profiler: cProfile.Profile, top: int = 25) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    print("\ncontroller profile (tottime; greenlet switches make cumulative times unreliable):")
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


if __name__ == "__main__":
    main()
