"""Controllers killed under steady traffic while another stands by: what a takeover costs.

Two ``ccswitch run`` children on a copy of the shipped configuration with ``store.lease_s`` (one private
``redis-server``, which must be installed), attached to one in-process simulator running in real time. Callers
arrive every ``--every`` seconds for support (five agents; phones answer after 1-4 s, agents talk 4-12 s) and wait
as long as it takes. Every ``--kill-every`` seconds the child running the switch is killed (kill -9) and a new
child is started to stand by. Printed:

- takeover: seconds from the kill to the survivor's ``show channels`` on the switch (it holds the switch and
  rebuilds from it), min / median / max;
- calls: placed, bridged to an agent, never bridged once the traffic stopped and the queue drained (lost), and
  taken (``sched_del``) more than 10 s after they arrived: on a real switch the dialplan's fallback would have taken
  them first (the simulator does not run ``sched_transfer``); the longest wait to be taken;
- double offers: moments when one agent had two live legs.

    .venv/bin/python bench/takeover.py [--kills 5] [--kill-every 8] [--every 1.5] [--lease 3]
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # before sockets are imported: the children's pipes and the simulator share the hub

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the test suite's private redis-server

from store.redis_server import RedisServer, free_port  # noqa: E402

from ccswitch.sim import AgentPhone, CallerScript, EslServer, SimSwitch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SUPPORT_AGENTS = ("1003", "1004", "1005", "1006", "1007")
HUNG_UP = ("CS_HANGUP", "CS_REPORTING", "CS_DESTROY")
SHOW_CHANNELS = "api show channels as json"
TAKE = "api sched_del "
FALLBACK_S = 10.0  # the shipped dialplan's sched_transfer (config/freeswitch/ccswitch-public.xml)


def config_tree(root: Path, lease_s: int) -> Path:
    for folder in ("config", "dialplans", "ivr", "sounds"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "recordings").mkdir()
    main_file = root / "config" / "ccswitch.yaml"
    main_file.write_text(main_file.read_text().replace("  key_prefix:", f"  lease_s: {lease_s}\n  key_prefix:"))
    queues = root / "config" / "queues.yaml"
    queues.write_text(queues.read_text().replace("  wrap_up_s: 15\n", "  wrap_up_s: 2\n"))
    return main_file


def child(main_file: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    http = {"CCSWITCH_HTTP_HOST": "127.0.0.1"}
    text = main_file.read_text()
    port_file = main_file.with_name(f"ccswitch-{free_port()}.yaml")  # each child its own HTTP port
    port_file.write_text(text.replace("port: 8080", f"port: {free_port()}"))
    return subprocess.Popen([sys.executable, "-m", "ccswitch", "--log-level", "WARNING", "run", "--config",
                             str(port_file)], env={**os.environ, **env, **http}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--kill-every", type=float, default=8.0, help="seconds between kills")
    parser.add_argument("--every", type=float, default=1.5, help="mean seconds between callers")
    parser.add_argument("--lease", type=int, default=3, help="store.lease_s")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    redis = RedisServer()
    switch = SimSwitch()
    for extension in SUPPORT_AGENTS:
        switch.add_phone(AgentPhone(extension, answer_after_s=rng.uniform(1, 4), talk_s=rng.uniform(4, 12)))
    server = EslServer(switch, "127.0.0.1", 0, password="ClueCon")
    server.start()
    root = Path(tempfile.mkdtemp(prefix="ccswitch-takeover-"))
    main_file = config_tree(root, args.lease)
    env = {"CCSWITCH_ESL_HOST": "127.0.0.1", "CCSWITCH_ESL_PORT": str(server.port), "CCSWITCH_REDIS_URL": redis.url,
           "CCSWITCH_DIALPLAN": "demo"}
    bridged: set[str] = set()
    switch.subscribe(lambda e: bridged.add(e.get("Unique-ID") or "") if e.name == "CHANNEL_BRIDGE" else None)
    placed: list[str] = []
    placed_at: dict[str, float] = {}
    taken_after: dict[str, float] = {}
    doubles = 0
    stopping = False

    def arrivals() -> None:
        while not stopping:
            uuid = switch.place_call(CallerScript(dtmf=("2",), patience_s=3600))
            placed.append(uuid)
            placed_at[uuid] = time.monotonic()
            gevent.sleep(rng.expovariate(1 / args.every))

    def watch() -> None:
        nonlocal doubles
        seen = 0
        while True:
            commands = list(server.commands_received)
            for command in commands[seen:]:
                uuid = command.removeprefix(TAKE).split("\n", 1)[0]
                if command.startswith(TAKE) and uuid in placed_at and uuid not in taken_after:
                    taken_after[uuid] = time.monotonic() - placed_at[uuid]
            seen = len(commands)
            legs: dict[str, int] = {}
            for channel in switch.channels.values():
                agent = channel.variables.get("cc_agent")
                if agent and channel.state not in HUNG_UP:
                    legs[agent] = legs.get(agent, 0) + 1
            doubles += sum(1 for count in legs.values() if count > 1)
            gevent.sleep(0.005)

    def listings() -> int:
        return sum(1 for command in list(server.commands_received) if command.startswith(SHOW_CHANNELS))

    running, standby = child(main_file, env), None
    takeovers: list[float] = []
    watcher = gevent.spawn(watch)
    try:
        deadline = time.monotonic() + 30
        while listings() == 0 and time.monotonic() < deadline:
            gevent.sleep(0.05)
        standby = child(main_file, env)
        traffic = gevent.spawn(arrivals)
        for _ in range(args.kills):
            gevent.sleep(args.kill_every)
            before = listings()
            running.kill()
            killed_at = time.monotonic()
            running.wait()
            while listings() == before and time.monotonic() - killed_at < 30:
                gevent.sleep(0.01)
            takeovers.append(time.monotonic() - killed_at)
            running, standby = standby, child(main_file, env)
        stopping = True
        traffic.join()
        deadline = time.monotonic() + 120
        while not set(placed) <= bridged and time.monotonic() < deadline:
            gevent.sleep(0.2)
    finally:
        watcher.kill()
        for process in (running, standby):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
        server.stop()
        switch.shutdown()
        redis.stop()
        shutil.rmtree(root)
    lost = [uuid for uuid in placed if uuid not in bridged]
    late = [uuid for uuid in placed if taken_after.get(uuid, float("inf")) > FALLBACK_S]
    print(f"{args.kills} kills, lease {args.lease} s: takeover min {min(takeovers):.2f} s, median "
          f"{statistics.median(takeovers):.2f} s, max {max(takeovers):.2f} s")
    print(f"calls: {len(placed)} placed, {len(set(placed) & bridged)} bridged to an agent, {len(lost)} lost, "
          f"{len(late)} taken after {FALLBACK_S:.0f} s (longest wait to be taken "
          f"{max(taken_after.values(), default=0.0):.2f} s); double offers: {doubles}")


if __name__ == "__main__":
    main()
