"""Overload: callers arriving past what a switch node can carry, with and without admission.

The simulator (SimSwitch + EslServer over loopback TCP, in this process) plays a FreeSWITCH node with its limits
(``ccswitch.sim.limits``): 1000 sessions, 30 sessions per second, and an RTP port range of ``--ports`` audio
streams (the issue's box ran out near 100). 20 agents answer after 0.5 s and talk 3 s, no wrap-up; every caller
goes straight to one queue, is answered and waits with music (a port each), and gives up after 60 s. Arrivals
ramp up (Poisson) in 10 s steps from 2 to ``--peak`` calls a second.

Three runs on the same arrivals:

- before: the controller believes the node is boundless (limits configured sky-high, no reserve): it answers
  everyone, and the switch refuses what it cannot carry;
- after: the node's port range configured as the switch's, admission on with the default reserve: callers beyond
  it are hung up unanswered with NORMAL_CIRCUIT_CONGESTION (the overload step); the agent legs are paced within the
  node's per-second budget (``admission.channels_allowed``), as in every run;
- ringing: as after, and the queue keeps callers ringing (``unanswered_wait_s: 50``): a waiting caller holds no
  port, so more of them are taken.

Printed per run: callers, admitted, overflowed on purpose (by limit), refused by the switch (inbound 503, callers
dropped for want of a port, agent legs refused), answered by an agent, and the agent legs pacing put off (each try).
The target is 0 refused by the switch.

    .venv/bin/python bench/overload.py [--peak 20] [--ports 100] [--speed 4]
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import gevent

from ccswitch.admission import Reserve
from ccswitch.clock import ScaledClock
from ccswitch.config import Config, load_config
from ccswitch.config.model import AgentConfig, OverloadConfig, Tier
from ccswitch.controller import Controller
from ccswitch.routing.steps import ToQueue
from ccswitch.sim import AgentPhone, CallerScript, EslServer, SimSwitch, poisson_arrivals
from ccswitch.sim.limits import SwitchLimits
from ccswitch.store.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
QUEUE = "sales"
AGENTS = 20
STEP_S = 10.0
PATIENCE_S = 60.0
DRAIN_S = 15.0
RTP_START = 16384
REFUSED_LEG = "DESTINATION_OUT_OF_ORDER"  # an agent leg the switch could not create or give a port


@dataclass(frozen=True)
class Result:
    callers: int
    overflowed: Counter[str]
    refused_inbound: int
    dropped: int
    legs_refused: int
    answered: int
    deferred: int

    @property
    def refused_by_switch(self) -> int:
        return self.refused_inbound + self.dropped + self.legs_refused

    @property
    def admitted(self) -> int:
        return self.callers - sum(self.overflowed.values()) - self.refused_inbound - self.dropped


def ramp(peak: float) -> list[tuple[float, CallerScript]]:
    """Poisson arrivals in 10 s steps of rising rate, 2 calls/s up to ``peak``."""
    rates = [2.0 + (peak - 2.0) * step / 6 for step in range(7)]
    script = CallerScript(patience_s=PATIENCE_S)
    arrivals: list[tuple[float, CallerScript]] = []
    for index, rate in enumerate(rates):
        arrivals += [(index * STEP_S + at, s) for at, s in poisson_arrivals(rate, STEP_S, [script], seed=index + 1)]
    return arrivals


def configure(config: Config, ports: int, admission: bool, ringing_s: int) -> Config:
    template = next(iter(config.agents.values()))
    agents = {str(ext): replace(template, id=str(ext), name=f"Agent {ext}", contact=f"user/{ext}", queues=(QUEUE,),
                                wrap_up_s=0, login="available", tiers=(Tier(QUEUE, 1, 1),))
              for ext in range(3000, 3000 + AGENTS)}
    queue = replace(config.queues[QUEUE], wrap_up_s=0, max_wait_s=3600, announcements=None,
                    unanswered_wait_s=ringing_s)
    node = config.nodes[0]
    if admission:
        node = replace(node, rtp_start_port=RTP_START, rtp_end_port=RTP_START + 2 * (ports - 1))
        overload = OverloadConfig()
    else:
        node = replace(node, max_sessions=1_000_000, sessions_per_second=100_000)
        overload = OverloadConfig(reserve=Reserve(0, 0, 0))
    return replace(config, nodes=(node,), agents=dict[str, AgentConfig](agents),
                   queues={**config.queues, QUEUE: queue},
                   dialplan=replace(config.dialplan, rules=(), default=ToQueue(QUEUE)), overload=overload)


def run(arrivals: list[tuple[float, CallerScript]], ports: int, speed: float, admission: bool,
        ringing_s: int) -> Result:
    clock = ScaledClock(speed)
    switch = SimSwitch(clock=clock, limits=SwitchLimits(rtp_start_port=RTP_START,
                                                        rtp_end_port=RTP_START + 2 * (ports - 1)))
    for ext in range(3000, 3000 + AGENTS):
        switch.add_phone(AgentPhone(extension=str(ext), answer_after_s=0.5, talk_s=3.0))
    server = EslServer(switch, "127.0.0.1", 0, password="ClueCon").start()
    config = configure(load_config(ROOT / "config" / "ccswitch.yaml", env={}), ports, admission, ringing_s)
    node = replace(config.nodes[0], host="127.0.0.1", port=server.port)
    controller = Controller(replace(config, nodes=(node,)), MemoryStore(), clock, tick_s=0.05)
    controller.start()
    with gevent.Timeout(10):
        while controller.engine._unreconciled:
            gevent.sleep(0.01)
    started = clock.now()
    callers = []
    for at, script in arrivals:
        clock.sleep(max(0.0, started + at - clock.now()))
        callers.append(switch.place_call(script))
    clock.sleep(DRAIN_S)
    engine = controller.engine
    caller_set = set(callers)
    result = Result(
        callers=len(callers),
        overflowed=Counter({limit.value: count for (_node, limit), count in engine.overload_overflows.items()}),
        refused_inbound=len(switch.refused_calls),
        dropped=sum(engine.dropped_by_switch.values()),
        legs_refused=sum(1 for h in switch.hangups if h.uuid not in caller_set and h.cause == REFUSED_LEG),
        answered=engine.stats.queues[QUEUE].answered,
        deferred=sum(engine.channel_deferrals.values()),
    )
    controller.stop()
    server.stop()
    switch.shutdown()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peak", type=float, default=20.0, help="arrivals per second in the last step")
    parser.add_argument("--ports", type=int, default=100, help="the node's RTP ports (audio streams)")
    parser.add_argument("--speed", type=float, default=4.0, help="simulated seconds per real second")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    arrivals = ramp(args.peak)
    print(f"{len(arrivals)} callers over {7 * STEP_S:.0f} s, 2 -> {args.peak:g} calls/s; {AGENTS} agents (3 s talk); "
          f"node: 1000 sessions, 30 sessions/s, {args.ports} RTP ports")
    for name, admission, ringing_s in (("before", False, 0), ("after", True, 0), ("ringing", True, 50)):
        result = run(arrivals, args.ports, args.speed, admission, ringing_s)
        by_limit = ", ".join(f"{limit} {count}" for limit, count in sorted(result.overflowed.items())) or "none"
        print(f"{name:<7} admitted {result.admitted:>4} | overflowed on purpose {sum(result.overflowed.values()):>4} "
              f"({by_limit}) | refused by the switch {result.refused_by_switch:>4} ({result.refused_inbound} "
              f"answered 503, {result.dropped} dropped for want of a port, {result.legs_refused} agent legs) | "
              f"connected to an agent {result.answered:>4} | legs put off {result.deferred}")


if __name__ == "__main__":
    main()
