"""``ccswitch demo``: the bundled FreeSWITCH simulator, the controller over a real ESL socket, a scripted load.

Everything runs on a ``ScaledClock`` that starts at 10:00 on the first day the dialplan has the line open, so the
shipped business-hours rule sends calls into the main IVR, and a 20-minute load plays out in half a minute.

The demo's contacts are simulated and dated on that coming day: they go to a history file of the demo's own (a new
one per run, in a temporary folder unless given), never to the configured history that ``ccswitch run`` and the
reports use. Ctrl-C stops the load and prints the summary so far.
"""

from __future__ import annotations

import random
import shlex
import shutil
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from pathlib import Path

import gevent
import gevent.event

from ccswitch.acd.agents import AgentState, count_by_state
from ccswitch.campaign_files import load_config
from ccswitch.clock import ScaledClock
from ccswitch.config import Config
from ccswitch.controller import Controller
from ccswitch.errors import CcswitchError
from ccswitch.history import HistoryWriter, open_history
from ccswitch.history.storage import SQLITE_PREFIX
from ccswitch.http import serve_http
from ccswitch.routing.dialplan import route
from ccswitch.routing.steps import ToIvr
from ccswitch.sim import AgentPhone, CallerScript, EslServer, SimSwitch, run_load
from ccswitch.sim.people import PhoneBehaviour
from ccswitch.stats import QueueFigures, Stats
from ccswitch.store.memory import MemoryStore
from ccswitch.webchat import open_chat

TOLL_FREE_DID = "88005550556"
Echo = Callable[[str], None]


@dataclass(frozen=True)
class DemoOptions:
    config_path: Path
    calls: int = 80
    minutes: float = 20.0
    speed: float = 60.0
    seed: int = 1
    quiet: bool = False
    http_port: int | None = None  # serve /metrics and /healthz while the demo runs
    history_file: Path | None = None  # a new SQLite file for the demo's contacts; None: in a new temporary folder


@dataclass(frozen=True)
class DemoResult:
    stats: Stats
    history_file: Path
    interrupted: bool  # Ctrl-C ended it before the load was played out


# What simulated callers press at the main menu, and how often: sales, support, opening hours then support,
# nonsense then support, operator, nothing at all (the IVR's on-failure step).
_MENU_CHOICES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("1",), 30), (("2",), 35), (("3", "2"), 10), (("7", "2"), 8), (("0",), 10), ((), 7),
)


def first_open_morning(config: Config, after: float) -> float:
    """Epoch seconds of the first 10:00 (config timezone) after ``after`` at which the dialplan sends the
    toll-free number to an IVR, i.e. the line is open (weekends and holidays are skipped by the rules themselves)."""
    day = datetime.fromtimestamp(after, tz=config.timezone).date()
    for _ in range(31):
        day += timedelta(days=1)
        morning = datetime.combine(day, time(10, 0), tzinfo=config.timezone)
        if isinstance(route(config.dialplan, TOLL_FREE_DID, "79160000000", morning).step, ToIvr):
            return morning.timestamp()
    raise CcswitchError(f"the dialplan never routes {TOLL_FREE_DID} to an IVR at 10:00 within a month")


def scripted_callers(options: DemoOptions, rng: random.Random) -> list[tuple[float, CallerScript]]:
    """Poisson arrivals over the demo window, each caller with a menu choice, patience and talk time."""
    rate = options.calls / (options.minutes * 60)
    choices, weights = zip(*_MENU_CHOICES, strict=True)
    at = 0.0
    arrivals = []
    for n in range(options.calls):
        at += rng.expovariate(rate)
        arrivals.append((at, CallerScript(
            destination=TOLL_FREE_DID,
            caller_number=f"7916{rng.randrange(10**7):07d}",
            caller_name=f"Caller {n + 1}",
            dtmf=rng.choices(choices, weights)[0],
            patience_s=rng.uniform(40, 240),
            talk_s=rng.lognormvariate(4.4, 0.5),  # median ~80 s
        )))
    return arrivals


def agent_phones(config: Config, rng: random.Random) -> list[AgentPhone]:
    """One phone per configured agent; the last one never answers, to show ring-no-answer handling."""
    phones = []
    extensions = [agent.contact.split("/", 1)[1].split("@", 1)[0] for agent in config.agents.values()]
    for index, extension in enumerate(extensions):
        behaviour: PhoneBehaviour = "no_answer" if index == len(extensions) - 1 else "answer"
        # The caller's own talk time ends the call; the agent never hangs up first.
        phones.append(AgentPhone(extension=extension, behaviour=behaviour, answer_after_s=rng.uniform(2, 6),
                                 talk_s=24 * 3600))
    return phones


def demo_script(config: Config, options: DemoOptions) -> tuple[list[AgentPhone], list[tuple[float, CallerScript]]]:
    """Everything ``--seed`` fixes: the agents' phones (answer delays) and the callers (arrival times, numbers, menu
    keys, patience, talk time). The run itself still varies a little: it plays on the real clock, sped up, so which
    agent is free first, and so who takes which call, depends on scheduling."""
    rng = random.Random(options.seed)
    phones = agent_phones(config, rng)
    return phones, scripted_callers(options, rng)


def demo_history_file(options: DemoOptions) -> Path:
    """A new file for this run's history: two runs never mix, and the configured history is never touched."""
    if options.history_file is None:
        return Path(tempfile.mkdtemp(prefix="ccswitch-demo-")) / "history.sqlite"
    if options.history_file.exists():
        raise CcswitchError(f"{options.history_file} exists: the demo writes a new history file, so that two runs "
                            "never mix (remove it or name another)")
    return options.history_file.resolve()


def run_demo(options: DemoOptions, echo: Echo) -> DemoResult:
    config = load_config(options.config_path)
    phones, arrivals = demo_script(config, options)
    history_file = demo_history_file(options)
    try:
        return _run(options, config, phones, arrivals, history_file, echo)
    except BaseException:
        if options.history_file is None:  # a run that failed leaves no temporary folder behind
            shutil.rmtree(history_file.parent, ignore_errors=True)
        raise


def _run(options: DemoOptions, config: Config, phones: list[AgentPhone], arrivals: list[tuple[float, CallerScript]],
         history_file: Path, echo: Echo) -> DemoResult:
    clock = ScaledClock(options.speed, start=first_open_morning(config, datetime.now().timestamp()))
    password = config.nodes[0].password
    switch = SimSwitch(clock=clock)
    server = EslServer(switch, "127.0.0.1", 0, password=password)
    server.start()
    for phone in phones:
        switch.add_phone(phone)
    node = replace(config.nodes[0], name="sim", host="127.0.0.1", port=server.port)
    config = replace(config, nodes=(node,), history_url=f"{SQLITE_PREFIX}{history_file}")
    history = open_history(config.history_url)
    writer = HistoryWriter(history)
    controller = Controller(config, MemoryStore(), clock, record=writer.submit)
    chat, chat_log = (open_chat(controller) if options.http_port is not None else None) or (None, None)
    http = (None if options.http_port is None
            else serve_http(controller.metrics, "127.0.0.1", options.http_port, controller, setting="--http-port",
                            chat=chat))
    controller.start()
    start = clock.now()
    echo(f"ccswitch demo: {options.calls} calls to 8-800-555-0556 over {options.minutes:g} simulated minutes, "
         f"{len(config.agents)} agents, x{options.speed:g} speed, simulator on 127.0.0.1:{server.port}")
    if http is not None:
        echo(f"metrics on http://127.0.0.1:{http.server_port}/metrics")
    load = gevent.spawn(lambda: list(run_load(switch, arrivals)))
    interrupted = gevent.event.Event()
    ctrl_c = gevent.signal_handler(signal.SIGINT, interrupted.set)
    try:
        while not (load.dead and not switch.channels):
            if interrupted.wait(1.0):
                echo(f"\ninterrupted after {_clock(clock.now() - start)} simulated: the summary so far")
                break
            if not options.quiet:
                echo(_progress(controller, clock.now() - start))
    finally:
        load.kill()
        if http is not None:
            http.stop()
        if chat is not None and chat_log is not None:
            chat.close()
            chat_log.close()
        controller.stop()
        server.stop()
        writer.close()
        history.close()
        ctrl_c.cancel()
    stats = controller.engine.stats
    for line in summary(stats, controller):
        echo(line)
    day = datetime.fromtimestamp(start, tz=config.timezone).date()
    echo(f"\n{writer.written} history records of this run in {history_file}")
    echo(f"a chart of this run: {chart_command(options.config_path, history_file, day.isoformat())}")
    return DemoResult(stats, history_file, interrupted.is_set())


def chart_command(config_path: Path, history_file: Path, day: str) -> str:
    """The shell command that charts a demo's support queue from its own history file."""
    url = shlex.quote(f"{SQLITE_PREFIX}{history_file}")
    return (f"CCSWITCH_HISTORY_URL={url} ccswitch report interval --config {shlex.quote(str(config_path))} "
            f"--date {day} --queue support --format png")


def _progress(controller: Controller, elapsed: float) -> str:
    engine = controller.engine
    states = count_by_state(engine.agents, engine.agents)
    waiting = sum(len(entries) for entries in engine.waiting.values())
    total = engine.stats.total()
    return (f"[{_clock(elapsed)}] waiting {waiting:3d} | agents free {states[AgentState.AVAILABLE]:2d} "
            f"ringing {states[AgentState.RESERVED]:2d} talking {states[AgentState.ON_CALL]:2d} "
            f"wrap-up {states[AgentState.WRAP_UP]:2d} break {states[AgentState.ON_BREAK]:2d} | "
            f"answered {total.answered:3d} abandoned {total.abandoned:3d} overflowed {total.overflowed:3d} | "
            f"SL {_percent(total.service_level)} ASA {_seconds(total.asa)}")


def summary(stats: Stats, controller: Controller) -> list[str]:
    sl = f"SL {stats.service_level_s:g}s"
    lines = ["", f"{'queue':<10} {'offered':>7} {'answered':>8} {'abandoned':>9} {'overflow':>8} "
                 f"{sl:>8} {'ASA':>6} {'abandon%':>8}"]
    rows: list[tuple[str, QueueFigures]] = sorted(stats.queues.items())
    for name, figures in [*rows, ("total", stats.total())]:
        lines.append(f"{name:<10} {figures.offered:7d} {figures.answered:8d} {figures.abandoned:9d} "
                     f"{figures.overflowed:8d} {_percent(figures.service_level):>8} {_seconds(figures.asa):>6} "
                     f"{_percent(figures.abandon_rate):>8}")
    lines += ["", f"{'agent':<6} {'answered':>8} {'talk':>8} {'missed':>6} state"]
    for agent_id, agent in sorted(controller.engine.agents.items()):
        done = stats.agents[agent_id]
        reason = f" ({agent.break_reason})" if agent.break_reason else ""
        lines.append(f"{agent_id:<6} {done.answered:8d} {_clock(done.talk_seconds):>8} {done.missed:6d} "
                     f"{agent.state.value}{reason}")
    return lines


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"
