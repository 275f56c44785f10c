"""``campaign``: outbound campaigns on the running controller: load leads, start, pause, resume, stop,
status, preview/dial/skip and dispositions."""

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import click

from ccswitch.cli._api import _api, _api_command, _controller_timezone, url_option
from ccswitch.cli._root import _echo_json, config_option, json_option, main
from ccswitch.times import shown


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
        f"machine {_percent(status['machine_ratio'])}; people lost to lines given up {_percent(status['lost_ratio'])}",
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
