"""What the contact history tells: a customer's ``history``, ``report`` interval/queues/agent/campaign as CSV or a
chart, and ``recordings list``."""

import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TextIO

import click

from ccswitch.acd.capacity import Channel
from ccswitch.cli._root import _echo_json, _known, config_option, json_option, main
from ccswitch.errors import CcswitchError

channel_option = click.option(
    "--channel", type=click.Choice([channel.value for channel in Channel]),
    help="One channel's contacts (default: every channel; each measured against its own service-level threshold: "
         "chat's is chat.service_level_s).")


@main.command()
@config_option
@click.argument("number")
@click.option("--limit", default=50, show_default=True, help="How many of the newest contacts to show.")
@json_option
def history(config_path: Path, number: str, limit: int, as_json: bool) -> None:
    """A customer's contacts by phone number, newest first (+79161234567, 79161234567 and 89161234567 match)."""
    from ccswitch.campaign_files import load_config
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
@channel_option
def report_interval(config_path: Path, day: datetime, fmt: str, output: Path | None, queue: str | None,
                    minutes: str, channel: str | None) -> None:
    """Per interval: offered, answered, abandoned, service level, ASA, AHT."""
    from ccswitch.campaign_files import load_config
    from ccswitch.history import open_history
    from ccswitch.reports import busy_span, load_interval_report, write_interval_chart, write_interval_csv
    from ccswitch.stats import channel_thresholds, service_level_threshold

    only = None if channel is None else Channel(channel)
    try:
        config = load_config(config_path)
        if queue is not None and queue not in config.queues:
            raise click.BadParameter(f"unknown queue {queue!r} (known: {', '.join(config.queues)})")
        service_level_s = config.queues[queue].service_level_s if queue else config.service_level_s
        thresholds = channel_thresholds(config)
        database = open_history(config.history_url)
        try:
            rows = load_interval_report(database, day.date(), config.timezone, int(minutes), queue, service_level_s,
                                        channel=only, channel_thresholds=thresholds)
        finally:
            database.close()
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    name = f"interval-{day:%Y-%m-%d}" + "".join(f"-{part}" for part in (queue, channel) if part)
    if fmt == "csv":
        _write_csv(output, lambda out: write_interval_csv(rows, out))
    else:
        path = output or Path(f"{name}.{fmt}")
        title = f"{queue or 'all queues'}, {channel or 'all channels'}, {day:%Y-%m-%d}, {minutes}-minute intervals"
        shown = service_level_threshold(service_level_s, only or Channel.VOICE, thresholds)
        write_interval_chart(busy_span(rows), path, fmt, title, shown)
        click.echo(f"wrote {path}")


@report.command("queues")
@config_option
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Local day (config timezone), e.g. 2026-11-22.")
@channel_option
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="CSV file to write (default: stdout).")
def report_queues(config_path: Path, day: datetime, channel: str | None, output: Path | None) -> None:
    """Per queue and channel, the whole day, as CSV: the service-level threshold its contacts were measured
    against (a call: the queue's; a chat: chat.service_level_s), offered, answered, abandoned, overflowed, service
    level (three ways), ASA, AHT, abandon rate."""
    from ccswitch.campaign_files import load_config
    from ccswitch.history import open_history
    from ccswitch.reports import load_queue_report, write_queue_csv
    from ccswitch.stats import Stats

    try:
        config = load_config(config_path)
        database = open_history(config.history_url)
        try:
            rows = load_queue_report(database, day.date(), config.timezone, Stats.for_config(config),
                                     None if channel is None else Channel(channel))
        finally:
            database.close()
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    _write_csv(output, lambda out: write_queue_csv(rows, out))


@report.command("agent")
@_report_options
def report_agent(config_path: Path, day: datetime, fmt: str, output: Path | None) -> None:
    """Per agent: time in each state (the state an agent is still in counts up to now), calls answered, talk time,
    AHT."""
    from ccswitch.campaign_files import load_config
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
    from ccswitch.campaign_files import load_config
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
    from ccswitch.campaign_files import load_config
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


def _write_csv(output: Path | None, write: Callable[[TextIO], None]) -> None:
    if output is None:
        write(sys.stdout)
    else:
        with output.open("w", newline="", encoding="utf-8") as out:
            write(out)
        click.echo(f"wrote {output}")
