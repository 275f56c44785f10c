"""The ``ccswitch`` group itself and what every command shares: ``--config`` (located as ``locate_config``
says), ``--json`` and the JSON printer."""

import json
import logging
import os
from collections.abc import Collection
from datetime import tzinfo
from pathlib import Path

import click

from ccswitch import __version__
from ccswitch.logs import LOG_FORMATS, configure_logging
from ccswitch.times import with_iso_times

log = logging.getLogger(__package__)  # ccswitch.cli: the logger the messages have always had


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


def _known(option: str, value: str | None, known: Collection[str]) -> None:
    """Called when nothing was found: a filter value that names nothing configured is a typo, not 'nothing found'
    (one only the history still knows, e.g. an agent since removed, found what it had)."""
    if value is not None and value not in known:
        raise click.BadParameter(f"unknown {option.removeprefix('--')} {value!r}: nothing found, and it is not in "
                                 f"the configuration (known: {', '.join(sorted(known))})", param_hint=f"'{option}'")


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
