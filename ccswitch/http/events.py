"""``GET /api/events``: the pages' live stream (Server-Sent Events) of the snapshots ``ccswitch.web.live`` makes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import gevent
from flask import Response

from ccswitch.auth.users import Role
from ccswitch.http.request import ApiRequest, may_see
from ccswitch.web import live

# A page's stream: the snapshot is read this often and sent when it changed (figures in whole seconds change each
# second); a stream ends after STREAM_S and the browser's EventSource reconnects by itself.
_SNAPSHOT_EVERY_S = 0.25
_STREAM_S = 300.0


def events(api: ApiRequest) -> Response:
    """Server-Sent Events, each a JSON snapshot: an agent's desk for an agent user, the wallboard of their granted
    queues for a supervisor (an admin, or an API without users: every queue)."""
    controller, user = api.controller, api.user
    previous = live.previous_contacts(api.history)
    visible = may_see(api)

    def snapshot() -> dict[str, object]:
        now = controller.clock.now()
        if user is not None and user.role is Role.AGENT and user.agent is not None:
            return live.desk(controller, user.agent, previous, now)
        return live.wallboard(controller, visible, now)

    def stream() -> Iterator[str]:
        last, ends_at = "", time.monotonic() + _STREAM_S
        while time.monotonic() < ends_at:
            document = json.dumps(snapshot())
            if document != last:
                yield f"data: {document}\n\n"
                last = document
            gevent.sleep(_SNAPSHOT_EVERY_S)

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
