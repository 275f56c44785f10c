"""``ROUTES``, every API endpoint with its access rule and body limit, and the OpenAPI document that describes
them (``ccswitch/openapi.json``, kept by hand; a test holds the two equal)."""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib import resources

from ccswitch import __version__
from ccswitch.auth.access import Access
from ccswitch.http import agents, calls, campaigns, dispositions, events, session
from ccswitch.http.request import FEW_FIELDS, LOGIN, NO_FIELDS, ApiRequest, Route, choice


def openapi_document() -> object:
    """The OpenAPI 3.1 description of ``ROUTES``."""
    return json.loads(resources.files("ccswitch").joinpath("openapi.json").read_text())


def _info(api: ApiRequest) -> object:
    return {"version": __version__, "timezone": api.controller.config.timezone.key}


def _reload(api: ApiRequest) -> object:
    return asdict(api.controller.reload())


ROUTES: tuple[Route, ...] = (
    Route("GET", "/api/openapi.json", Access.PUBLIC, lambda api: openapi_document()),
    Route("POST", "/api/session", Access.PUBLIC, session.log_in, FEW_FIELDS),
    Route("GET", "/api/session/methods", Access.PUBLIC, session.log_in_methods),
    Route("GET", "/api/sso/login", Access.PUBLIC, session.sso_login),
    Route("GET", "/api/sso/callback", Access.PUBLIC, session.sso_callback, audited=True),
    Route("GET", "/api/session", Access.USER, session.whoami),
    Route("DELETE", "/api/session", Access.USER, session.log_out),
    Route("GET", "/api/info", Access.USER, _info),
    Route("GET", "/api/agents", Access.SUPERVISOR, agents.agents),
    Route("GET", "/api/agents/<name:agent>", Access.AGENT, agents.agent),
    Route("POST", "/api/agents/<name:agent>/login", Access.AGENT, agents.agent_action, LOGIN),
    Route("POST", f"/api/agents/<name:agent>/<{choice(a for a in agents.ACTIONS if a != 'login')}:action>",
          Access.AGENT, agents.agent_action, FEW_FIELDS),
    Route("POST", "/api/agents/<name:agent>/disposition", Access.AGENT, dispositions.dispose, FEW_FIELDS),
    Route("GET", "/api/queues", Access.SUPERVISOR, agents.queues),
    Route("POST", f"/api/calls/<name:call>/recording/<{choice(calls.RECORDING_ACTIONS)}:action>", Access.AGENT,
          calls.recording, NO_FIELDS),
    Route("POST", f"/api/calls/<name:target>/<{choice(calls.CALL_ACTIONS)}:action>", Access.AGENT,
          calls.call_control, FEW_FIELDS),
    Route("GET", "/api/recordings", Access.SUPERVISOR, calls.recordings),
    Route("GET", "/api/monitor", Access.SUPERVISOR, calls.monitors),
    Route("POST", "/api/monitor", Access.MONITOR, calls.monitor_start, FEW_FIELDS),
    Route("POST", "/api/monitor/<name:session>/mode", Access.MONITOR, calls.monitor_mode, FEW_FIELDS),
    Route("DELETE", "/api/monitor/<name:session>", Access.MONITOR, calls.monitor_stop),
    Route("GET", "/api/campaigns", Access.SUPERVISOR, campaigns.campaigns),
    Route("GET", "/api/campaigns/<name:name>", Access.SUPERVISOR, campaigns.campaign),
    Route("POST", "/api/campaigns/<name:name>/load", Access.ADMIN, campaigns.load, NO_FIELDS),
    Route("POST", f"/api/campaigns/<name:name>/<{choice(campaigns.RUN_COMMANDS)}:command>", Access.ADMIN,
          campaigns.run, NO_FIELDS),
    Route("POST", "/api/campaigns/<name:name>/dispositions", Access.SUPERVISOR, campaigns.dispose, FEW_FIELDS),
    Route("POST", f"/api/campaigns/<name:name>/<{choice(campaigns.PREVIEW_ACTIONS)}:action>", Access.AGENT,
          campaigns.preview, FEW_FIELDS),
    Route("POST", "/api/reload", Access.ADMIN, _reload, NO_FIELDS),
    Route("GET", "/api/route", Access.SUPERVISOR, calls.route),
    Route("GET", "/api/events", Access.USER, events.events),
)
"""Every API endpoint: who may use it (``ccswitch.auth.access``) and its handler by area."""
