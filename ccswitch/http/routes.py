"""``ROUTES``, every API endpoint with its access rule and body limit, and the OpenAPI document that describes
them (``ccswitch/openapi.json``, kept by hand; a test holds the two equal)."""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib import resources

from ccswitch import __version__
from ccswitch.auth.access import Access
from ccswitch.http import agents, calls, campaigns, chats, dispositions, documents, events, session, webchat
from ccswitch.http.request import CHAT_MESSAGE, FEW_FIELDS, LOGIN, NO_FIELDS, ApiRequest, Route, choice


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
    Route("POST", "/api/calls/<name:call>/document", Access.AGENT, documents.send_document, upload=True),
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
    # The web chat's customer side: public, each conversation's own bearer token (ccswitch.http.webchat).
    Route("GET", "/chat/api/topics", Access.PUBLIC, webchat.topics),
    Route("POST", "/chat/api/conversations", Access.PUBLIC, webchat.start, FEW_FIELDS),
    Route("GET", "/chat/api/conversations/<name:conversation>", Access.PUBLIC, webchat.conversation),
    Route("POST", "/chat/api/conversations/<name:conversation>/messages", Access.PUBLIC, webchat.post_message,
          CHAT_MESSAGE),
    Route("POST", "/chat/api/conversations/<name:conversation>/attachments", Access.PUBLIC, webchat.post_file,
          upload=True),
    Route("GET", "/chat/api/conversations/<name:conversation>/attachments/<name:attachment>", Access.PUBLIC,
          webchat.get_file),
    Route("POST", "/chat/api/conversations/<name:conversation>/typing", Access.PUBLIC, webchat.typing, NO_FIELDS),
    Route("POST", "/chat/api/conversations/<name:conversation>/person", Access.PUBLIC, webchat.person, NO_FIELDS),
    Route("POST", "/chat/api/conversations/<name:conversation>/end", Access.PUBLIC, webchat.end, NO_FIELDS),
    Route("GET", "/chat/api/conversations/<name:conversation>/events", Access.PUBLIC, webchat.events),
    Route("POST", "/chat/api/offline", Access.PUBLIC, webchat.offline, CHAT_MESSAGE),
    # Its agent side (ccswitch.http.chats).
    Route("GET", "/api/agents/<name:agent>/chats", Access.AGENT, chats.chats),
    Route("GET", "/api/agents/<name:agent>/chats/events", Access.AGENT, chats.events),
    Route("GET", "/api/agents/<name:agent>/chats/<name:conversation>", Access.AGENT, chats.transcript),
    Route("POST", f"/api/agents/<name:agent>/chats/<name:conversation>/<{choice(chats.ACTIONS)}:action>",
          Access.AGENT, chats.act, FEW_FIELDS),
    Route("POST", "/api/agents/<name:agent>/chats/<name:conversation>/messages", Access.AGENT, chats.post_message,
          CHAT_MESSAGE),
    Route("POST", "/api/agents/<name:agent>/chats/<name:conversation>/typing", Access.AGENT, chats.typing,
          NO_FIELDS),
    Route("POST", "/api/agents/<name:agent>/chats/<name:conversation>/attachments", Access.AGENT, chats.post_file,
          upload=True),
    Route("GET", "/api/agents/<name:agent>/chats/<name:conversation>/attachments/<name:attachment>", Access.AGENT,
          chats.get_file),
    Route("GET", "/api/customers/history", Access.USER, chats.customer_history),
    # A document's link, sent to a caller during a call: public, the token is the permission (ccswitch.http.documents).
    Route("GET", "/files/<name:token>", Access.PUBLIC, documents.get_file),
)
"""Every API endpoint: who may use it (``ccswitch.auth.access``) and its handler by area."""
