"""``ccswitch`` command line (click). gevent patches the standard library before anything else is imported."""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Collection  # noqa: E402
from dataclasses import asdict  # noqa: E402
from datetime import datetime, tzinfo  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any, TextIO  # noqa: E402

import click  # noqa: E402
import gevent  # noqa: E402
import gevent.event  # noqa: E402

from ccswitch import __version__  # noqa: E402
from ccswitch.errors import CcswitchError, ConfigError  # noqa: E402
from ccswitch.logs import LOG_FORMATS, configure_logging  # noqa: E402
from ccswitch.media.monitor import MonitorMode  # noqa: E402
from ccswitch.times import CLOCK, shown, with_iso_times  # noqa: E402

if TYPE_CHECKING:
    from ccswitch.auth.users import User
    from ccswitch.config import Config
    from ccswitch.controller import Controller
    from ccswitch.store.leases import NodeLeases

log = logging.getLogger(__name__)


def _located_config(ctx: click.Context, param: click.Parameter, option: Path | None) -> Path | None:
    """``--config``'s value: the file ``locate_config`` finds, said on stderr unless named by ``--config``. None
    only for a command that reaches the controller at ``--url`` and so reads no file."""
    from ccswitch.config.locate import ConfigNotFound, locate_config

    if option is None and ctx.params.get("url"):
        return None
    try:
        location = locate_config(option, os.environ, Path.cwd())
    except ConfigNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    if location.found_by != "--config":
        click.echo(f"ccswitch: using {location.path} (from {location.found_by})", err=True)
    log.info("configuration %s (from %s)", location.path, location.found_by)
    return location.path


config_option = click.option(
    "--config", "config_path", callback=_located_config,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Main YAML file (dialplans, IVR, queues, agents beside it) [default: $CCSWITCH_CONFIG, else "
         "/etc/ccswitch/ccswitch.yaml, else ./config/ccswitch.yaml].",
)
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print JSON instead of text: times as ISO 8601 in the configured time zone.")


def _echo_json(document: object, tz: tzinfo | None = None) -> None:
    """``document`` as JSON on stdout; with ``tz``, its epoch times (``at``, ``since``, ``…_at``) as ISO 8601."""
    click.echo(json.dumps(with_iso_times(document, tz) if tz is not None else document, indent=2,
                          ensure_ascii=False))




@click.group()
@click.version_option(__version__, prog_name="ccswitch")
@click.option("--log-level", default="WARNING", show_default=True, envvar="CCSWITCH_LOG_LEVEL",
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="DEBUG adds every ESL command sent and every reply, with the call uuid.")
@click.option("--log-format", default="text", show_default=True, envvar="CCSWITCH_LOG_FORMAT",
              type=click.Choice(LOG_FORMATS), help="json: one JSON object a line (time, level, logger, message).")
def main(log_level: str, log_format: str) -> None:
    """ccswitch: a contact-centre controller for FreeSWITCH."""
    configure_logging(log_level, log_format)


CHECK_ERRORS = 1  # exit status of ``check``: the configuration is refused (or has warnings, with --strict)
CHECK_WARNINGS = 3  # ... valid, with warnings (2 is click's own, for a wrong command line)


@main.command()
@config_option
@click.option("--strict", is_flag=True, help=f"Warnings fail too (exit {CHECK_ERRORS}).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document: status, errors, warnings, summary.")
@click.option("--switch", "ask_switch", is_flag=True,
              help="Also ask each FreeSWITCH node (ESL address and password from the config) whether it has the "
                   "modules the configuration needs; a missing module is an error.")
def check(config_path: Path, strict: bool, as_json: bool, ask_switch: bool) -> None:
    """Validate every YAML file and referenced prompt, without touching the network (unless --switch), and warn
    about what would hurt in production; end with a summary of what was loaded. Exit status: 0 clean, 1 errors (or
    warnings with --strict), 3 warnings only."""
    import json
    from dataclasses import asdict

    from ccswitch.config import ConfigErrors, load_config
    from ccswitch.config.summary import summary, summary_paragraph
    from ccswitch.config.warnings import config_warnings

    errors: list[ConfigError] = []
    try:
        config = load_config(config_path, lead_rows=True)
        _check_recordings(config)
    except ConfigErrors as exc:
        errors = list(exc.errors)
    except ConfigError as exc:
        errors = [exc]
    warnings = [] if errors else config_warnings(config)
    loaded = None if errors else summary(config)
    status = CHECK_ERRORS if errors or (warnings and strict) else CHECK_WARNINGS if warnings else 0
    if as_json:
        switch: dict[str, list[str]] | None = None
        if ask_switch and not errors:
            from ccswitch.switch_probe import probe_switch

            missing, present = probe_switch(config)
            switch = {"problems": missing, "fine": present}
            status = CHECK_ERRORS if missing else status
        failed = bool(errors) or bool(switch and switch["problems"])
        click.echo(json.dumps({
            "config": str(config_path), "status": "errors" if failed else "warnings" if warnings else "ok",
            "exit_status": status,
            "errors": [{"file": e.file, "key_path": e.key_path, "problem": e.problem} for e in errors],
            "warnings": [asdict(warning) for warning in warnings], "summary": loaded, "switch": switch,
        }, indent=2))
        sys.exit(status)
    for problem in (*errors, *warnings):
        click.echo(str(problem), err=True)
    if errors:
        click.echo(f"{len(errors)} error(s)", err=True)
        sys.exit(status)
    assert loaded is not None
    failing = " (failing: --strict)" if status == CHECK_ERRORS else ""
    click.echo(f"{config_path}: OK" + (f", {len(warnings)} warning(s){failing}" if warnings else ""))
    click.echo(summary_paragraph(loaded))
    if ask_switch and _switch_lacks_modules(config):
        status = CHECK_ERRORS
    sys.exit(status)


def _switch_lacks_modules(config: "Config") -> bool:
    """``check --switch``: print the modules each node has and lacks; whether any lacks one (or cannot be
    reached)."""
    from ccswitch.switch_probe import probe_switch

    problems, fine = probe_switch(config)
    for line in fine:
        click.echo(line)
    for line in problems:
        click.echo(line, err=True)
    return bool(problems)


@main.command("route")
@config_option
@click.option("--did", required=True, help="The dialled number, as the trunk delivers it.")
@click.option("--caller", default="", help="The caller's number [none].")
@click.option("--at", "at_text", help='When the call arrives: "2026-12-08 19:30" in the dialplan\'s time zone, or '
                                      "ISO 8601 with an offset [now].")
@click.option("--json", "as_json", is_flag=True, help="One JSON document (times in ISO 8601).")
def route_call(config_path: Path, did: str, caller: str, at_text: str | None, as_json: bool) -> None:
    """Route a call on paper, from the files (the dry run before a reload): which dialplan rule takes it and why
    each earlier one does not (DID, caller, calendar), the first step, and the IVR menus beneath it with the queue
    each key leads to. GET /api/route does the same with the running controller's configuration."""
    import json
    from datetime import UTC

    from ccswitch.config import load_config
    from ccswitch.routing.explain import explain_route, explanation_document, explanation_lines, parse_at

    try:
        config = load_config(config_path)
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        at = parse_at(at_text, config.dialplan.timezone) if at_text else datetime.now(UTC)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--at'") from exc
    explanation = explain_route(config, did, caller, at)
    if as_json:
        click.echo(json.dumps(explanation_document(explanation), indent=2))
        return
    for line in explanation_lines(explanation):
        click.echo(line)


@main.command()
@config_option
def run(config_path: Path) -> None:
    """Run the controller against the FreeSWITCH node(s) in the config, until SIGINT/SIGTERM."""
    from ccswitch.auth.gate import Gate
    from ccswitch.clock import WallClock
    from ccswitch.config import load_config
    from ccswitch.config.warnings import http_exposed
    from ccswitch.controller import Controller
    from ccswitch.history import HistoryWriter, open_history
    from ccswitch.http import serve_http
    from ccswitch.store import open_store

    try:
        config = load_config(config_path)
        for exposed in http_exposed(config):  # an API beyond loopback without users: refused, not only warned
            if os.environ.get("CCSWITCH_HTTP_OPEN") != "1":  # unless the port is known private (a container's)
                raise click.ClickException(f"{exposed}; or, where only the host's loopback reaches the port (a "
                                           "container published on 127.0.0.1), set CCSWITCH_HTTP_OPEN=1")
        gate = Gate(config.paths.users, time.time)
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
        http_server = serve_http(controller.metrics, config.http.host, config.http.port, controller, history,
                                 setting=f"{config_path}: http.port", gate=gate,
                                 audit=writer.submit)
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


def _check_recordings(config: "Config") -> None:
    """Start-up check: when a queue records, its directory must exist and be writable (else calls would be
    recorded nowhere, silently)."""
    from ccswitch.media.recording import check_recordings_dir

    if not config.records_calls:
        return
    main_file = config.config_file.relative_to(config.config_file.parent.parent).as_posix()
    check_recordings_dir(str(config.recordings.dir), main_file, "recordings.dir")


@main.command()
@click.argument("name", required=False)
def schema(name: str | None) -> None:
    """Print the JSON Schema NAME (ccswitch, dialplan, ivr, queues, agents, supervisors, campaigns, common), or
    without NAME the folder that holds them, for an editor's settings."""
    from ccswitch.config.schemas import FOLDER, schema_path

    if name is None:
        click.echo(FOLDER)
        return
    try:
        click.echo(schema_path(name).read_text(encoding="utf-8"), nl=False)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from exc


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


@main.command()
@click.option("--calls-per-hour", type=float, required=True, help="Offered calls per hour.")
@click.option("--aht", type=float, required=True, help="Average handle time in seconds (talk + hold + wrap-up).")
@click.option("--target-sl", default="80/20", show_default=True, help="Service-level target as percent/seconds.")
@click.option("--ivr", type=float, default=30.0, show_default=True, help="Seconds a call spends in the IVR (trunks).")
@click.option("--blocking", type=float, default=0.01, show_default=True, help="Trunk blocking target (Erlang B).")
@click.option("--max-occupancy", type=float, help="Cap agent occupancy, e.g. 0.85.")
@click.option("--wrap-up", type=float, default=0.0, show_default=True, help="AHT seconds in wrap-up (no trunk).")
@click.option("--patience", type=float, help="Callers' mean patience in seconds (Erlang A abandon estimate).")
@click.option("--max-abandon", type=float, help="Abandon-rate limit, e.g. 0.03 (needs --patience).")
@json_option
def erlang(calls_per_hour: float, aht: float, target_sl: str, ivr: float, blocking: float,
           max_occupancy: float | None, wrap_up: float, patience: float | None, max_abandon: float | None,
           as_json: bool) -> None:
    """Staffing and trunks for a load: agents needed for the service level, ASA, occupancy, 8-800 channels."""
    from ccswitch.erlang import format_plan, parse_service_level_target, plan

    try:
        staffing = plan(calls_per_hour, aht, parse_service_level_target(target_sl), ivr, blocking, max_occupancy,
                        wrap_up, patience, max_abandon)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if as_json:
        _echo_json(asdict(staffing))
    else:
        click.echo(format_plan(staffing))


@main.command()
@config_option
@click.argument("number")
@click.option("--limit", default=50, show_default=True, help="How many of the newest contacts to show.")
@json_option
def history(config_path: Path, number: str, limit: int, as_json: bool) -> None:
    """A customer's contacts by phone number, newest first (+79161234567, 79161234567 and 89161234567 match)."""
    from ccswitch.config import load_config
    from ccswitch.history import is_phone_number, open_history
    from ccswitch.reports import history_table

    if not is_phone_number(number):
        raise click.BadParameter("a phone number is digits, with an optional leading + and spaces, dashes, dots or "
                                 "brackets between them", param_hint="'NUMBER'")
    try:
        config = load_config(config_path)
        database = open_history(config.history_url)
        try:
            records = database.contacts_by_phone(number, limit)
        finally:
            database.close()
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _echo_json([asdict(record) for record in records], config.timezone)
        return
    if not records:
        click.echo(f"no contacts from {number}")
        return
    for line in history_table(records, config.timezone):
        click.echo(line)


@main.group()
def report() -> None:
    """Reports from the contact history, as CSV (default: to stdout) or a PNG/SVG chart."""


def _report_options(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed([
        config_option,
        click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]),
                      help="Local day (config timezone), e.g. 2026-11-22."),
        click.option("--format", "fmt", type=click.Choice(["csv", "png", "svg"]), default="csv",
                     show_default=True),
        click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
                     help="File to write. Default: CSV to stdout, a chart to <report>-<date>[-<queue or campaign>]"
                          ".<format>."),
    ]):
        command = option(command)
    return command


@report.command("interval")
@_report_options
@click.option("--queue", help="One queue (default: all queues together).")
@click.option("--minutes", type=click.Choice(["15", "30", "60"]), default="15", show_default=True)
def report_interval(config_path: Path, day: datetime, fmt: str, output: Path | None, queue: str | None,
                    minutes: str) -> None:
    """Per interval: offered, answered, abandoned, service level, ASA, AHT."""
    from ccswitch.config import load_config
    from ccswitch.history import open_history
    from ccswitch.reports import busy_span, load_interval_report, write_interval_chart, write_interval_csv

    try:
        config = load_config(config_path)
        if queue is not None and queue not in config.queues:
            raise click.BadParameter(f"unknown queue {queue!r} (known: {', '.join(config.queues)})")
        service_level_s = config.queues[queue].service_level_s if queue else config.service_level_s
        database = open_history(config.history_url)
        try:
            rows = load_interval_report(database, day.date(), config.timezone, int(minutes), queue, service_level_s)
        finally:
            database.close()
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    name = f"interval-{day:%Y-%m-%d}" + (f"-{queue}" if queue else "")
    if fmt == "csv":
        _write_csv(output, lambda out: write_interval_csv(rows, out))
    else:
        path = output or Path(f"{name}.{fmt}")
        title = f"{queue or 'all queues'}, {day:%Y-%m-%d}, {minutes}-minute intervals"
        write_interval_chart(busy_span(rows), path, fmt, title, service_level_s)
        click.echo(f"wrote {path}")


@report.command("agent")
@_report_options
def report_agent(config_path: Path, day: datetime, fmt: str, output: Path | None) -> None:
    """Per agent: time in each state (the state an agent is still in counts up to now), calls answered, talk time,
    AHT."""
    from ccswitch.config import load_config
    from ccswitch.history import open_history
    from ccswitch.reports import load_agent_report, write_agent_chart, write_agent_csv

    try:
        config = load_config(config_path)
        database = open_history(config.history_url)
        try:
            rows = load_agent_report(database, day.date(), config.timezone, time.time())
        finally:
            database.close()
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "csv":
        _write_csv(output, lambda out: write_agent_csv(rows, out))
    else:
        path = output or Path(f"agent-{day:%Y-%m-%d}.{fmt}")
        write_agent_chart(rows, path, fmt, f"agents, {day:%Y-%m-%d}")
        click.echo(f"wrote {path}")


@report.command("campaign")
@_report_options
@click.option("--campaign", help="One campaign, hour by hour (default: every campaign, the whole day). A chart is "
                                 "of one campaign: needed unless only one dialled that day.")
def report_campaign(config_path: Path, day: datetime, fmt: str, output: Path | None, campaign: str | None) -> None:
    """Per campaign, or per hour of one: dialled, answered by a person, connected, abandoned (and the rate), machine,
    busy, no answer, failed, answer rate, talk time."""
    from ccswitch.config import load_config
    from ccswitch.history import open_history
    from ccswitch.reports import (
        busy_hours,
        load_campaign_hours,
        load_campaign_report,
        write_campaign_chart,
        write_campaign_csv,
    )

    try:
        config = load_config(config_path)
        database = open_history(config.history_url)
        try:
            rows = load_campaign_report(database, day.date(), config.timezone)
            dialled = [row.campaign for row in rows]
            if campaign is None and fmt != "csv":
                if len(dialled) != 1:
                    raise click.UsageError(f"a chart is of one campaign: give --campaign (campaigns that dialled on "
                                           f"{day:%Y-%m-%d}: {', '.join(dialled) or 'none'})")
                campaign = dialled[0]
            if campaign is not None:
                if campaign not in config.campaigns and campaign not in dialled:
                    known = ", ".join(sorted({*config.campaigns, *dialled})) or "none"
                    raise click.BadParameter(f"unknown campaign {campaign!r} (known: {known})",
                                             param_hint="'--campaign'")
                rows = load_campaign_hours(database, day.date(), config.timezone, campaign)
        finally:
            database.close()
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "csv":
        _write_csv(output, lambda out: write_campaign_csv(rows, out))
    else:
        assert campaign is not None
        path = output or Path(f"campaign-{day:%Y-%m-%d}-{campaign}.{fmt}")
        settings = config.campaigns.get(campaign)  # a campaign since removed from the config has no limit
        write_campaign_chart(busy_hours(rows), path, fmt, f"campaign {campaign}, {day:%Y-%m-%d}, by hour",
                             settings.abandon_limit if settings else None)
        click.echo(f"wrote {path}")


@main.group()
def recordings() -> None:
    """Call recordings kept in the contact history."""


@recordings.command("list")
@config_option
@click.option("--agent", help="One agent's recordings.")
@click.option("--queue", help="One queue's recordings.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this local day on (config timezone).")
@click.option("--limit", default=1000, show_default=True, help="At most this many, oldest first.")
@json_option
def recordings_list(config_path: Path, agent: str | None, queue: str | None, since: datetime | None,
                    limit: int, as_json: bool) -> None:
    """Recordings: start (local time), queue, agent, caller, length, file path (as FreeSWITCH wrote it)."""
    from ccswitch.config import load_config
    from ccswitch.history import open_history
    from ccswitch.reports import day_bounds, recordings_table

    try:
        config = load_config(config_path)
        start = day_bounds(since.date(), config.timezone)[0] if since else 0.0
        database = open_history(config.history_url)
        try:
            records = database.recordings_since(start, agent=agent, queue=queue, limit=limit)
        finally:
            database.close()
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    if not records:
        _known("--agent", agent, config.agents)
        _known("--queue", queue, config.queues)
    if as_json:
        _echo_json([asdict(record) for record in records], config.timezone)
        return
    if not records:
        click.echo("no recordings")
        return
    for line in recordings_table(records, config.timezone):
        click.echo(line)


def _known(option: str, value: str | None, known: Collection[str]) -> None:
    """Called when nothing was found: a filter value that names nothing configured is a typo, not 'nothing found'
    (one only the history still knows, e.g. an agent since removed, found what it had)."""
    if value is not None and value not in known:
        raise click.BadParameter(f"unknown {option.removeprefix('--')} {value!r}: nothing found, and it is not in "
                                 f"the configuration (known: {', '.join(sorted(known))})", param_hint=f"'{option}'")


def _write_csv(output: Path | None, write: Callable[[TextIO], None]) -> None:
    if output is None:
        write(sys.stdout)
    else:
        with output.open("w", newline="", encoding="utf-8") as out:
            write(out)
        click.echo(f"wrote {output}")


url_option = click.option("--url", envvar="CCSWITCH_URL", is_eager=True,  # before --config: a --url needs no file
                          help="The running controller's HTTP address [default: http://<http.host>:<http.port>].")


def _api(config_path: Path | None, url: str | None, method: str, path: str, body: object = None,
         timeout: float = 10.0) -> Any:
    """Call the running controller's operations API (``ccswitch run`` serves it on the config's HTTP port);
    ``config_path`` is None only with a ``url``."""
    import json
    import urllib.error
    import urllib.request

    from ccswitch.config import load_config

    if url is None:
        assert config_path is not None
        try:
            http = load_config(config_path).http
        except CcswitchError as exc:
            raise click.ClickException(str(exc)) from exc
        url = f"http://{'127.0.0.1' if http.host in ('0.0.0.0', '::') else http.host}:{http.port}"
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if os.environ.get("CCSWITCH_TOKEN"):  # an API token (ccswitch user token) when the controller has users
        headers["Authorization"] = f"Bearer {os.environ['CCSWITCH_TOKEN']}"
    request = urllib.request.Request(url.rstrip("/") + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        raise click.ClickException(json.load(exc).get("message", str(exc))) from exc
    except urllib.error.URLError as exc:
        raise click.ClickException(f"cannot reach the controller at {url}: {exc.reason} (is 'ccswitch run' "
                                   "running?)") from exc


def _controller_timezone(config_path: Path, url: str | None) -> tzinfo:
    """The running controller's configured time zone (``GET /api/info``): the times it reports are shown in it."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(_api(config_path, url, "GET", "/api/info")["timezone"])


def _api_command(group: click.Group, name: str, doc: str, run: Callable[..., None],
                 *options: Callable[..., Any]) -> None:
    """Register ``run`` as ``group name``: a command on the running controller's API (--config, --url, then
    ``options``)."""
    run.__doc__ = doc
    for option in (config_option, url_option, *options):
        run = option(run)
    group.command(name)(run)


def _agent_line(agent: dict[str, Any]) -> str:
    reason = f" ({agent['reason']})" if agent["reason"] else ""
    return (f"{agent['id']:<8} {agent['name']:<20} {agent['state'] + reason:<24} {agent['in_state_s']:>8.0f}s "
            f"{agent['calls_handled']:>6}  {', '.join(agent['queues'])}")


@main.group()
def agent() -> None:
    """Agents on the running controller: list, log in or out, breaks."""


@agent.command("list")
@config_option
@url_option
@json_option
def agent_list(config_path: Path, url: str | None, as_json: bool) -> None:
    """Every agent: state (with break reason), time in state, calls handled, queues."""
    agents = _api(config_path, url, "GET", "/api/agents")
    if as_json:
        _echo_json(agents)
        return
    click.echo(f"{'agent':<8} {'name':<20} {'state':<24} {'in state':>9} {'calls':>6}  queues")
    for item in agents:
        click.echo(_agent_line(item))


def _agent_action(name: str, doc: str, options: tuple[Callable[..., Any], ...] = ()) -> None:
    def command(config_path: Path, url: str | None, agent_id: str, **body: Any) -> None:
        click.echo(_agent_line(_api(config_path, url, "POST", f"/api/agents/{agent_id}/{name}", body)))

    _api_command(agent, name, doc, command, click.argument("agent_id"), *options)


_agent_action("login", "Log an agent in: they become available (in all their queues, or those named).",
              (click.option("--on-demand", is_flag=True, help="Take one call, then go on break."),
               click.option("--queue", "queues", multiple=True,
                            help="Serve only this queue (repeatable); default: all the agent's queues.")))
_agent_action("ready", "Back from a break (or end wrap-up early).",
              (click.option("--on-demand", is_flag=True, help="Take one call, then go on break."),))
_agent_action("logout", "Log an agent out (refused while they ring or talk).")
_agent_action("break", "Put an agent on break with a reason from pause_reasons.",
              (click.option("--reason", default="break", show_default=True, help="One of the configured reasons."),))


@main.command()
@config_option
@url_option
def reload(config_path: Path, url: str | None) -> None:
    """Make the running controller re-read its configuration (as SIGHUP does): queues, tiers, agents, dialplans
    and IVR menus change without dropping calls or agent states."""
    summary = _api(config_path, url, "POST", "/api/reload", {})
    changes = [f"{what.replace('_', ' ')}: {', '.join(names)}" for what, names in summary.items() if names]
    click.echo("reloaded" + (f" ({'; '.join(changes)})" if changes else ""))


@main.group()
def queue() -> None:
    """Queues on the running controller."""


@queue.command("show")
@config_option
@url_option
@json_option
def queue_show(config_path: Path, url: str | None, as_json: bool) -> None:
    """Calls waiting, the longest wait, and the queue's agents by state."""
    queues = _api(config_path, url, "GET", "/api/queues")
    if as_json:
        _echo_json(queues)
        return
    click.echo(f"{'queue':<12} {'waiting':>7} {'longest':>8}  agents")
    for item in queues:
        states = ", ".join(f"{state} {count}" for state, count in item["agents"].items() if count)
        click.echo(f"{item['name']:<12} {item['waiting']:>7} {item['longest_wait_s']:>7.0f}s  {states or '-'}")


@main.group()
def call() -> None:
    """The agent's controls on a connected call (TARGET: the call uuid or the agent id): hold, mute, transfers
    (blind, or attended: consult then complete, cancel or conference), hang up."""


def _call_line(done: dict[str, Any]) -> str:
    state = ", ".join(word for word, on in (("on hold", done["held"]), ("muted", done["muted"])) if on) or "talking"
    transferred = f"  transferred to {done['transferred_to']}" if done["transferred_to"] else ""
    consulting = f"  {done['consulting']}" if done.get("consulting") else ""
    return f"call {done['call']}  agent {done['agent']}  {state}{consulting}{transferred}"


def _call_action(name: str, doc: str) -> None:
    def command(config_path: Path, url: str | None, target: str) -> None:
        click.echo(_call_line(_api(config_path, url, "POST", f"/api/calls/{target}/{name}", {})))

    _api_command(call, name, doc, command, click.argument("target"))


_call_action("hold", "Put the caller on hold: they hear the queue's music.")
_call_action("unhold", "Take the caller off hold.")
_call_action("mute", "Mute the agent's microphone (the caller stops hearing them).")
_call_action("unmute", "Unmute the agent's microphone.")
_call_action("complete", "Attended transfer: connect the caller with the consulted party; the agent leaves.")
_call_action("cancel", "Attended transfer: drop the consulted party; the caller and the agent talk again.")
_call_action("conference", "Attended transfer: all three talk (three-way call).")
_call_action("hangup", "End the call.")


@call.command("consult")
@config_option
@url_option
@click.argument("target")
@click.option("--to", "destination", required=True, help="The extension or number the agent calls.")
@click.option("--context", default="default", show_default=True, help="The dialplan context for --to.")
def call_consult(config_path: Path, url: str | None, target: str, destination: str, context: str) -> None:
    """Attended transfer, first step: the agent calls --to while the caller waits with music."""
    body = {"to": destination, "context": context}
    click.echo(_call_line(_api(config_path, url, "POST", f"/api/calls/{target}/consult", body)))


@call.command("transfer")
@config_option
@url_option
@click.argument("target")
@click.option("--to", "destination", help="An extension or external number (FreeSWITCH dialplan).")
@click.option("--context", default="default", show_default=True, help="The dialplan context for --to.")
@click.option("--queue", "queue_name", help="A queue: the caller waits there with their priority and skills.")
def call_transfer(config_path: Path, url: str | None, target: str, destination: str | None, context: str,
                  queue_name: str | None) -> None:
    """Blind transfer: the caller goes to --to EXT or --queue Q; the agent goes to wrap-up."""
    if (destination is None) == (queue_name is None):
        raise click.UsageError("give one of --to or --queue")
    body = {"to": destination, "context": context} if destination is not None else {"queue": queue_name}
    click.echo(_call_line(_api(config_path, url, "POST", f"/api/calls/{target}/transfer", body)))


@main.group()
def monitor() -> None:
    """Supervisors on live calls: listen, whisper (only the agent hears), barge (both hear); switch, stop, list."""


def _monitor_line(session: dict[str, Any]) -> str:
    return (f"{session['id']}  supervisor {session['supervisor']}  agent {session['agent'] or '-'}  "
            f"call {session['call']}  {session['mode']}")


def _monitor_start(mode: str, doc: str) -> None:
    def command(config_path: Path, url: str | None, supervisor: str | None, agent_id: str | None,
                call: str | None) -> None:
        if (agent_id is None) == (call is None):
            raise click.UsageError("give one of --agent or --call")
        target = {"agent": agent_id} if agent_id is not None else {"call": call}
        who = {} if supervisor is None else {"supervisor": supervisor}
        click.echo(_monitor_line(_api(config_path, url, "POST", "/api/monitor", {**who, **target, "mode": mode})))

    _api_command(monitor, mode, doc, command,
                 click.option("--supervisor", help="Supervisor id (supervisors.yaml); with users configured, the "
                                                   "token's user is the supervisor."),
                 click.option("--agent", "agent_id", help="The agent whose call to monitor."),
                 click.option("--call", help="The caller's call uuid."))


_monitor_start("listen", "Listen to a call silently. Prints the session id (the supervisor's leg).")
_monitor_start("whisper", "Coach the agent: only the agent hears the supervisor.")
_monitor_start("barge", "Join the call: caller and agent both hear the supervisor.")

@monitor.command("mode")
@config_option
@url_option
@click.argument("session_id")
@click.argument("mode", type=click.Choice([mode.value for mode in MonitorMode]))
def monitor_mode(config_path: Path, url: str | None, session_id: str, mode: str) -> None:
    """Switch a monitoring session to another mode."""
    click.echo(_monitor_line(_api(config_path, url, "POST", f"/api/monitor/{session_id}/mode", {"mode": mode})))


@monitor.command("stop")
@config_option
@url_option
@click.argument("session_id")
def monitor_stop(config_path: Path, url: str | None, session_id: str) -> None:
    """End a monitoring session (the supervisor's phone hangs up; the call goes on)."""
    _api(config_path, url, "DELETE", f"/api/monitor/{session_id}")
    click.echo(f"stopped {session_id}")


@monitor.command("history")
@config_option
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="The day [today].")
@click.option("--supervisor", help="Only this supervisor's sessions.")
@json_option
def monitor_history(config_path: Path, day: datetime | None, supervisor: str | None, as_json: bool) -> None:
    """Every monitoring session of a day from the contact history: who, whose call, each mode and why it ended."""
    from ccswitch.config import load_config
    from ccswitch.history import open_history
    from ccswitch.reports import day_bounds

    try:
        config = load_config(config_path)
        start, end = day_bounds((day or datetime.now(config.timezone)).date(), config.timezone)
        database = open_history(config.history_url)
        try:
            sessions = database.monitoring_between(start, end, supervisor)
        finally:
            database.close()
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    if not sessions:
        _known("--supervisor", supervisor, config.supervisors)
    if as_json:
        _echo_json([{**asdict(record), "modes": [{"mode": mode, "at": at} for mode, at in record.mode_changes]}
                    for record in sessions], config.timezone)
        return
    tz = config.timezone
    for record in sessions:
        modes = ", ".join(f"{mode} {shown(at, tz, CLOCK)}" for mode, at in record.mode_changes)
        click.echo(f"{shown(record.started_at, tz, CLOCK)}-{shown(record.ended_at, tz, CLOCK)} supervisor "
                   f"{record.supervisor} agent {record.agent or '-'} call {record.call_uuid}: {modes} "
                   f"({record.reason})")
    if not sessions:
        click.echo("no monitoring sessions")


@monitor.command("list")
@config_option
@url_option
@json_option
def monitor_list(config_path: Path, url: str | None, as_json: bool) -> None:
    """Active sessions, then the recent log (start, mode changes, end and why), times in the configured zone."""
    tz = _controller_timezone(config_path, url)
    listing = _api(config_path, url, "GET", "/api/monitor")
    if as_json:
        _echo_json(listing, tz)
        return
    for session in listing["active"]:
        click.echo(_monitor_line(session))
    if not listing["active"]:
        click.echo("no active monitoring")
    for entry in listing["log"]:
        detail = f" ({entry['detail']})" if entry["detail"] else ""
        click.echo(f"{shown(entry['at'], tz)} {entry['action']:<5} {entry['session']} "
                   f"supervisor {entry['supervisor']} agent {entry['agent'] or '-'} call {entry['call']} "
                   f"{entry['mode']}{detail}")


# -- outbound campaigns ----------------------------------------------------------------------------------------------


@main.group()
def campaign() -> None:
    """Outbound campaigns on the running controller: load leads, start, pause, stop, status, dispositions."""


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _campaign_lines(status: dict[str, Any], tz: tzinfo) -> list[str]:
    since = f" since {shown(status['since'], tz)}" if status["since"] is not None else ""
    leads = ", ".join(f"{state} {count}" for state, count in status["leads"].items() if count) or "none"
    lines = ", ".join(f"{state} {count}" for state, count in status["lines"].items() if count) or "none"
    abandon = status["abandon"]
    window_h = abandon["window_s"] / 3600
    imported = [] if status.get("lead_import") is None else [f"import     {_import_line(status['lead_import'])}"]
    return [
        f"campaign   {status['name']} ({status['mode']}, queue {status['queue']}): {status['state']}{since}",
        f"leads      {leads}",
        f"lines      {status['lines_in_flight']} in flight ({lines})",
        f"dialled    {status['dialled']} in the window: answered by a person {_percent(status['answer_ratio'])}, "
        f"machine {_percent(status['machine_ratio'])}",
        f"abandoned  {abandon['abandoned']} of {abandon['answered']} answered = {_percent(abandon['ratio'])} "
        f"(limit {_percent(abandon['limit'])} over {window_h:g}h, {abandon['remaining']:g} left)",
        *imported,
    ]


def _import_line(progress: dict[str, Any]) -> str:
    """``ccswitch campaign status``: the leads file import running, or the last one."""
    of = f" of {progress['rows']}" if progress["rows"] is not None and progress["state"] == "importing" else ""
    done = progress["finished_at"]
    when = f" at {datetime.fromtimestamp(done):%Y-%m-%d %H:%M:%S}" if done else ""
    if progress["unchanged_since"] is not None:
        since = datetime.fromtimestamp(progress["unchanged_since"])
        return f"{progress['file']}: {progress['state']}{when}, unchanged since {since:%Y-%m-%d %H:%M:%S}"
    failed = f": {progress['error'].splitlines()[0]}" if progress["error"] else ""
    return (f"{progress['file']}: {progress['state']}{when}, {progress['rows_read']}{of} rows read, "
            f"{progress['added']} leads added{failed}")


@campaign.command("status")
@config_option
@url_option
@click.argument("name", required=False)
@json_option
def campaign_status(config_path: Path, url: str | None, name: str | None, as_json: bool) -> None:
    """A campaign's state, leads by state, lines in flight, answer and machine rates, and the abandon rate against
    its limit over the regulator's window; without NAME, one line per campaign. Times in the configured zone."""
    tz = _controller_timezone(config_path, url)
    status = _api(config_path, url, "GET", "/api/campaigns" if name is None else f"/api/campaigns/{name}")
    if as_json:
        _echo_json(status, tz)
        return
    if name is not None:
        for line in _campaign_lines(status, tz):
            click.echo(line)
        return
    click.echo(f"{'campaign':<14} {'mode':<12} {'state':<10} {'pending':>7} {'done':>6} {'lines':>5} "
               f"{'answered':>8} {'abandon':>8} {'limit':>6}")
    for item in status:
        leads = item["leads"]
        click.echo(f"{item['name']:<14} {item['mode']:<12} {item['state']:<10} "
                   f"{leads['pending'] + leads['retry']:>7} {leads['done'] + leads['dnc']:>6} "
                   f"{item['lines_in_flight']:>5} {_percent(item['answer_ratio']):>8} "
                   f"{_percent(item['abandon']['ratio']):>8} {_percent(item['abandon']['limit']):>6}")


@campaign.command("load")
@config_option
@url_option
@click.argument("name")
def campaign_load(config_path: Path, url: str | None, name: str) -> None:
    """Import the campaign's leads file (campaigns.yaml `leads`) into the store and wait until it is in; `campaign
    status` shows the progress meanwhile. Idempotent: leads already there keep their progress; numbers on a
    do-not-call list are kept as DNC; a file unchanged since its last import is not read again. A bad line and
    nothing is imported."""
    loaded = _api(config_path, url, "POST", f"/api/campaigns/{name}/load", {}, timeout=_IMPORT_TIMEOUT_S)
    skipped = f", {loaded['duplicates']} duplicate lines skipped" if loaded["duplicates"] else ""
    unchanged = loaded["unchanged_since"]
    again = ("" if unchanged is None
             else f"; the file is unchanged since its import at {datetime.fromtimestamp(unchanged):%Y-%m-%d %H:%M:%S}")
    click.echo(f"{name}: {loaded['added']} leads added ({loaded['total']} in all, {loaded['do_not_call']} on a "
               f"do-not-call list{skipped}){again}")


_IMPORT_TIMEOUT_S = 3600.0  # a million rows take well under a minute; the import goes on if the wait ends


def _campaign_command(command: str, doc: str) -> None:
    def run(config_path: Path, url: str | None, name: str) -> None:
        done = _api(config_path, url, "POST", f"/api/campaigns/{name}/{command}", {})
        click.echo(f"{done['campaign']}: {done['state']}")

    _api_command(campaign, command, doc, run, click.argument("name"))


_campaign_command("start", "Start dialling (or resume a paused campaign).")
_campaign_command("pause", "Launch no new lines; calls already out finish. `start` resumes.")
_campaign_command("stop", "End the run; calls already out finish. `start` starts it again.")


def _preview_lines(lead: dict[str, Any]) -> list[str]:
    last = f", last {lead['last_outcome']}" if lead["last_outcome"] else ""
    lines = [f"lead       {lead['phone']} {lead['name']} ({lead['state']}, {lead['attempts']} attempts{last})"]
    if lead["timezone"]:
        lines.append(f"timezone   {lead['timezone']}")
    lines += [f"{key:<10} {value}" for key, value in lead["fields"].items()]
    return lines


def _preview_command(command: str, doc: str) -> None:
    def run(config_path: Path, url: str | None, name: str, agent_id: str) -> None:
        for line in _preview_lines(_api(config_path, url, "POST", f"/api/campaigns/{name}/{command}",
                                        {"agent": agent_id})):
            click.echo(line)

    _api_command(campaign, command, doc, run, click.argument("name"),
                 click.option("--agent", "agent_id", required=True, help="The agent at the desk."))


_preview_command("preview", "Show the agent the next lead of preview campaign NAME (with its fields) and reserve "
                            "them for it: no queue call is offered to them until they dial or skip it.")
_preview_command("dial", "Dial the lead the agent previews: their phone rings first (answering by itself where it "
                         "can), then the lead's.")
_preview_command("skip", "Skip the lead the agent previews: nothing is dialled; it is shown again in 10 minutes.")


@campaign.command("dispose")
@config_option
@url_option
@click.argument("name")
@click.argument("phone")
@click.argument("disposition")
def campaign_dispose(config_path: Path, url: str | None, name: str, phone: str, disposition: str) -> None:
    """Record an agent's DISPOSITION (one of the campaign's) for the lead PHONE they talked to: final, a retry, or
    do-not-call."""
    tz = _controller_timezone(config_path, url)
    lead = _api(config_path, url, "POST", f"/api/campaigns/{name}/dispositions",
                {"phone": phone, "disposition": disposition})
    when = f", again from {shown(lead['next_at'], tz, '%Y-%m-%d %H:%M')}" if lead["next_at"] is not None else ""
    click.echo(f"{lead['phone']}: {lead['disposition']} -> {lead['state']}{when}")


@main.group()
def user() -> None:
    """The people who may use the HTTP API and the pages (paths.users): add, passwd, token, remove, list."""


def _users_file(config_path: Path) -> Path:
    from ccswitch.config import load_config

    try:
        return load_config(config_path).paths.users
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc


def _read_users(path: Path) -> dict[str, "User"]:
    from ccswitch.auth.users import load_users

    try:
        return load_users(path)
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc


def _new_password(name: str) -> str:
    password: str = click.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)
    return password


@user.command("add")
@config_option
@click.argument("name")
@click.option("--role", type=click.Choice(["agent", "supervisor", "admin"]), required=True)
@click.option("--agent", "agent_id", help="The agent id (agents.yaml) an agent user works as.")
@click.option("--supervisor", help="The supervisor id (supervisors.yaml) a supervisor (or admin) monitors as.")
def user_add(config_path: Path, name: str, role: str, agent_id: str | None, supervisor: str | None) -> None:
    """Add a user; asks for the password (stored as an argon2 hash, never as typed)."""
    from ccswitch.auth.users import Role, User, save_users, with_password

    path = _users_file(config_path)
    users = _read_users(path)
    if name in users:
        raise click.ClickException(f"user {name} exists (ccswitch user passwd changes the password)")
    if (role == "agent" and agent_id is None) or (role == "supervisor" and supervisor is None):
        raise click.UsageError(f"a {role} user needs --{role}")
    try:
        users[name] = with_password(User(name, Role(role), agent=agent_id, supervisor=supervisor),
                                    _new_password(name))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    save_users(path, users)
    click.echo(f"added {role} {name} to {path}")


def _users_with(config_path: Path, name: str) -> tuple[Path, dict[str, "User"]]:
    """The users file and its users, which must include ``name``."""
    path = _users_file(config_path)
    users = _read_users(path)
    if name not in users:
        raise click.ClickException(f"no user {name} in {path}")
    return path, users


@user.command("passwd")
@config_option
@click.argument("name")
def user_passwd(config_path: Path, name: str) -> None:
    """Set a user's password (their sessions go on until they log out or expire)."""
    from ccswitch.auth.users import save_users, with_password

    path, users = _users_with(config_path, name)
    try:
        users[name] = with_password(users[name], _new_password(name))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    save_users(path, users)
    click.echo(f"password of {name} changed")


@user.command("token")
@config_option
@click.argument("name")
@click.argument("label")
def user_token(config_path: Path, name: str, label: str) -> None:
    """Make an API token for a user's scripts (shown once: only its SHA-256 is kept); a LABEL used before is
    replaced. Send it as CCSWITCH_TOKEN to the CLI, as 'Authorization: Bearer <token>' to the API."""
    from ccswitch.auth.users import new_token, save_users, with_token

    path, users = _users_with(config_path, name)
    token = new_token()
    users[name] = with_token(users[name], label, token)
    save_users(path, users)
    click.echo(token)


@user.command("remove")
@config_option
@click.argument("name")
def user_remove(config_path: Path, name: str) -> None:
    """Remove a user: their sessions and tokens stop working at once."""
    from ccswitch.auth.users import save_users

    path = _users_file(config_path)
    users = _read_users(path)
    if users.pop(name, None) is None:
        raise click.ClickException(f"no user {name} in {path}")
    save_users(path, users)
    click.echo(f"removed {name}")


@user.command("list")
@config_option
def user_list(config_path: Path) -> None:
    """Every user: role, agent or supervisor id, token labels."""
    for each in _read_users(_users_file(config_path)).values():
        bound = each.agent or each.supervisor or "-"
        click.echo(f"{each.name:<16} {each.role.value:<11} {bound:<8} {', '.join(each.tokens) or '-'}")


from ccswitch.cli_bot import bot_command  # noqa: E402

main.add_command(config_option(bot_command))
