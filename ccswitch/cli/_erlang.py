"""``erlang``: staffing and trunks for a load (Erlang B, C and A), from the command line alone."""

from dataclasses import asdict

import click

from ccswitch.cli._root import _echo_json, json_option, main


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
