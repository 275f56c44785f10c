"""Commands that read the files and change nothing: ``check`` (errors, warnings, summary; ``--switch`` asks the
nodes), ``route`` (a call routed on paper) and ``schema`` (the JSON Schemas for an editor)."""

import json
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ccswitch.cli._root import config_option, main
from ccswitch.errors import CcswitchError, ConfigError

if TYPE_CHECKING:
    from ccswitch.config import Config


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
    from ccswitch.campaign_files import load_config
    from ccswitch.config import ConfigErrors
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
    if not errors:  # the users file needs the agents and supervisors it names
        from ccswitch.auth.check import check_users
        errors, user_warnings = check_users(config)
        warnings += user_warnings
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
    from datetime import UTC

    from ccswitch.campaign_files import load_config
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


def _check_recordings(config: "Config") -> None:
    """Start-up check: when a queue records, its directory must exist and be writable (else calls would be
    recorded nowhere, silently)."""
    from ccswitch.media.recording import check_recordings_dir

    if not config.records_calls:
        return
    main_file = config.config_file.relative_to(config.config_file.parent.parent).as_posix()
    check_recordings_dir(str(config.recordings.dir), main_file, "recordings.dir")
