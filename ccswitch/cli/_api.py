"""Commands that act on the running controller call its HTTP operations API: ``--url`` (or the configured
HTTP address) and the one client function."""

import json
import os
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import Any

import click

from ccswitch.cli._root import config_option
from ccswitch.errors import CcswitchError

url_option = click.option("--url", envvar="CCSWITCH_URL", is_eager=True,  # before --config: a --url needs no file
                          help="The running controller's HTTP address [default: http://<http.host>:<http.port>].")


def _api(config_path: Path | None, url: str | None, method: str, path: str, body: object = None,
         timeout: float = 10.0) -> Any:
    """Call the running controller's operations API (``ccswitch run`` serves it on the config's HTTP port);
    ``config_path`` is None only with a ``url``."""
    import urllib.error
    import urllib.request

    from ccswitch.campaign_files import load_config

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
