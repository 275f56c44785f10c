"""Operations on the running controller: ``agent`` states, ``reload``, ``queue show``, the agent's ``call``
controls and supervisors' ``monitor`` sessions."""

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ccswitch.cli._api import _api, _api_command, _controller_timezone, url_option
from ccswitch.cli._root import _echo_json, _known, config_option, json_option, main
from ccswitch.errors import CcswitchError
from ccswitch.media.monitor import MonitorMode
from ccswitch.times import CLOCK, shown


def _agent_line(agent: dict[str, Any]) -> str:
    """One row of ``agent list``: the state shows the break reason, or that the dialler keeps an available agent for
    its campaigns' people (why a caller may wait while they are free)."""
    reason = f" ({agent['reason']})" if agent["reason"] else " (for outbound)" if agent["kept_for_outbound"] else ""
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
        if item["kept_for_outbound"]:
            states += f" ({item['kept_for_outbound']} available for outbound only)"
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
    from ccswitch.campaign_files import load_config
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
