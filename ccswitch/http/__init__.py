"""The controller's HTTP server (gevent's WSGI server): ``/metrics`` for Prometheus, ``/healthz`` for load balancers,
and the operations API under ``/api``, a Flask app (agents log in/out and take breaks; supervisors see queues and
agents). ``ROUTES`` (``routes``) is every API endpoint, its handlers by area (``agents``, ``dispositions``,
``calls``, ``campaigns``, ``session``, ``events``); ``GET /api/openapi.json`` describes them (OpenAPI 3.1).

``GET /api/info``: the controller's version and its configured time zone (times in the API are epoch seconds; the CLI
shows them in this zone).

Calls: ``POST /api/calls/<uuid>/recording/pause|resume`` masks or unmasks a running recording; ``GET
/api/recordings?agent=&queue=&since=YYYY-MM-DD`` lists recordings from the contact history.

Agent call control on a connected call (``<target>``: the call uuid or the agent id): ``POST
/api/calls/<target>/hold|unhold|mute|unmute``; ``POST /api/calls/<target>/transfer {"to": "1000", "context":
"default"}`` (an extension or external number) or ``{"queue": "sales"}``. After the call: ``POST
/api/agents/<agent>/disposition {"disposition", "call"}`` (one of the call's queue's dispositions).

Outbound campaigns: ``GET /api/campaigns[/<name>]``; ``POST /api/campaigns/<name>/load|start|pause|resume|stop``;
``POST /api/campaigns/<name>/dispositions {"phone", "disposition"}``; preview campaigns: ``POST
/api/campaigns/<name>/preview|dial|skip {"agent"}``.

Routing on paper: ``GET /api/route?did=&caller=&at=`` explains how the running configuration routes such a call.
Web chat (``chat:`` topics; ``webchat`` the customer's side, public under ``/chat/api/`` with each conversation's
own bearer token and CORS for ``chat.site_origins``; ``chats`` the agent's, under ``/api/agents/<agent>/chats``).

Supervisors: ``POST /api/monitor {"agent" | "call", "mode"}`` (the supervisor is the logged-in user; without
users, a ``"supervisor"`` field) starts listening, whispering or
barging (the session id is the supervisor's leg uuid); ``POST /api/monitor/<id>/mode {"mode"}`` switches;
``DELETE /api/monitor/<id>`` stops; ``GET /api/monitor`` lists active sessions and the recent log.

Users (``paths.users``, ``ccswitch user``): once there is one, every route but ``POST /api/session`` (log in),
``GET /api/session/methods`` (how one may log in), ``GET /api/sso/login|callback`` (single sign-on, ``http.sso``)
and ``GET /api/openapi.json`` needs a session
cookie or ``Authorization: Bearer <token>`` (401 ``not_authenticated``) and the route's ``Access`` for the user's
role (403 ``forbidden``); a browser's POST and DELETE also carry the session's ``X-CSRF-Token``; failed log-ins are
rate-limited (429 ``too_many_attempts``); every POST and DELETE is audited, and every single sign-on. Without
users the API is open, and ``ccswitch run`` serves it on loopback only.

A POST must carry ``Content-Type: application/json`` (415 otherwise: a browser's form post must not run an action)
and a body within its endpoint's limit (413). Errors are JSON ``{"error": <stable id>, "message": ...}``:
404 ``not_found`` (no such route) or ``unknown_name`` (the path names nothing), 405 ``method_not_allowed`` (with
``Allow``), 409 ``invalid_transition``, 400 ``bad_request`` / ``unsafe_value``, 413 ``body_too_large``, 415
``unsupported_media_type``, 422 ``unknown_name`` for a body value that is none of the configured choices (a break
reason), 503 ``store_unavailable``. No message quotes the body; a value over 64 characters is refused unquoted.
"""

from ccswitch.http.app import api_app, make_app, serve_http
from ccswitch.http.campaigns import campaign_view
from ccswitch.http.request import ApiRequest, Route
from ccswitch.http.routes import ROUTES, openapi_document

__all__ = ["ROUTES", "ApiRequest", "Route", "api_app", "campaign_view", "make_app", "openapi_document", "serve_http"]
