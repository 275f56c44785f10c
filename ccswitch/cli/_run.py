"""``run`` (the controller, until SIGINT/SIGTERM; SIGHUP reloads) and ``demo`` (the controller against the
bundled simulator)."""

import logging
import os
import signal
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import click
import gevent
import gevent.event

from ccswitch.cli._check import _check_recordings
from ccswitch.cli._root import config_option, main
from ccswitch.errors import CcswitchError

if TYPE_CHECKING:
    from ccswitch.config import Config
    from ccswitch.controller import Controller
    from ccswitch.store.leases import NodeLeases

log = logging.getLogger(__package__)  # ccswitch.cli: the logger the messages have always had


@main.command()
@config_option
def run(config_path: Path) -> None:
    """Run the controller against the FreeSWITCH node(s) in the config, until SIGINT/SIGTERM."""
    from ccswitch.auth.gate import Gate
    from ccswitch.auth.oidc import single_sign_on
    from ccswitch.auth.sessions import open_sessions
    from ccswitch.campaign_files import load_config
    from ccswitch.clock import WallClock
    from ccswitch.config.warnings import http_exposed
    from ccswitch.controller import Controller
    from ccswitch.history import HistoryWriter, open_history
    from ccswitch.http import serve_http
    from ccswitch.store import open_store
    from ccswitch.webchat import open_chat

    try:
        config = load_config(config_path)
        for exposed in http_exposed(config):  # an API beyond loopback without users: refused, not only warned
            if os.environ.get("CCSWITCH_HTTP_OPEN") != "1":  # unless the port is known private (a container's)
                raise click.ClickException(f"{exposed}; or, where only the host's loopback reaches the port (a "
                                           "container published on 127.0.0.1), set CCSWITCH_HTTP_OPEN=1")
        gate = Gate(config.paths.users, time.time, open_sessions(config.store),
                    single_sign_on(config.http.sso, config.store, os.environ))
        _check_recordings(config)
        store = open_store(config.store.backend, config.store.url, config.store.key_prefix)
        history = open_history(config.history_url)
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    writer = HistoryWriter(history)
    leases = _leases(config)
    lease_lost = gevent.event.Event()
    controller = Controller(config, store, WallClock(), record=writer.submit, leases=leases,
                            on_lease_lost=lease_lost.set)
    try:  # before connecting anything: a port already taken is one line naming the setting, not a traceback
        chat, chat_log = open_chat(controller) or (None, None)  # none without chat topics
        http_server = serve_http(controller.metrics, config.http.host, config.http.port, controller, history,
                                 setting=f"{config_path}: http.port", gate=gate, audit=writer.submit, chat=chat)
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    controller.start()
    stopping = gevent.event.Event()
    gevent.signal_handler(signal.SIGTERM, stopping.set)
    gevent.signal_handler(signal.SIGINT, stopping.set)
    gevent.signal_handler(signal.SIGHUP, lambda: gevent.spawn(_reload, controller))
    click.echo(f"ccswitch running: {', '.join(f'{n.name}={n.host}:{n.port}' for n in config.nodes)}")
    gevent.wait([stopping, lease_lost], count=1)
    http_server.stop()
    if chat is not None and chat_log is not None:
        chat.close()
        chat_log.close()
    controller.stop()
    writer.close()
    history.close()
    store.close()
    if leases is not None:
        leases.close()
    if lease_lost.is_set():
        raise click.ClickException("stopped: another controller runs this controller's nodes now (lease lost)")


def _leases(config: "Config") -> "NodeLeases | None":
    """With ``store.lease_s``, this controller shares its nodes with the others attached to them, by leases in
    Redis under an id of its own (host, process and a random part, for the logs)."""
    from ccswitch.store.leases import NodeLeases

    if not config.store.lease_s:
        return None
    me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return NodeLeases(config.store.url, config.store.key_prefix, me, config.store.lease_s)


def _reload(controller: "Controller") -> None:
    """SIGHUP: re-read the configuration; a refusal or an error in the files is logged and changes nothing."""
    try:
        log.info("SIGHUP: configuration reloaded (%s)", controller.reload())
    except CcswitchError as exc:
        log.error("SIGHUP: configuration not reloaded: %s", exc)


@main.command()
@config_option
@click.option("--calls", default=80, show_default=True, help="Inbound calls to place.")
@click.option("--minutes", default=20.0, show_default=True, help="Simulated minutes over which calls arrive.")
@click.option("--speed", default=60.0, show_default=True, help="Simulated seconds per real second.")
@click.option("--seed", default=1, show_default=True,
              help="Random seed of the scripted load. It fixes the callers (arrival times, numbers, menu keys, "
                   "patience, talk time) and the agents' answer delays. The outcome still varies a little between "
                   "runs: the simulation plays on the real clock, sped up, so who answers which call depends on "
                   "scheduling.")
@click.option("--quiet", is_flag=True, help="No live progress lines, only the summary.")
@click.option("--http-port", type=int, help="Serve /metrics and /healthz on 127.0.0.1:PORT during the demo.")
@click.option("--history-file", type=click.Path(dir_okay=False, path_type=Path),
              help="A new SQLite file for this run's simulated contacts [default: history.sqlite in a new temporary "
                   "folder]. Never the configured history.")
def demo(config_path: Path, calls: int, minutes: float, speed: float, seed: int, quiet: bool,
         http_port: int | None, history_file: Path | None) -> None:
    """Run the bundled FreeSWITCH simulator and the controller against it with simulated callers and agents.
    Ctrl-C stops it with the summary so far (exit status 130)."""
    from ccswitch.demo import DemoOptions, run_demo

    try:
        result = run_demo(DemoOptions(config_path, calls, minutes, speed, seed, quiet, http_port, history_file),
                          click.echo)
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    if result.interrupted:
        sys.exit(130)
