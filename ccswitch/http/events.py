"""``GET /api/events``: the pages' live stream (Server-Sent Events) of the snapshots ``ccswitch.web.live`` makes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from functools import partial

import gevent
from flask import Response

from ccswitch.acd.capacity import Channel
from ccswitch.auth.users import Role
from ccswitch.chat.messages import Customer
from ccswitch.history.model import phone_key
from ccswitch.http.request import ApiRequest, may_see, sse_response
from ccswitch.web import live
from ccswitch.webchat.service import ChatService

# A page's stream: the snapshot is read this often and sent when it changed (figures in whole seconds change each
# second); a stream ends after STREAM_S and the browser's EventSource reconnects by itself.
_SNAPSHOT_EVERY_S = 0.25
_STREAM_S = 300.0


def events(api: ApiRequest) -> Response:
    """Server-Sent Events, each a JSON snapshot: an agent's desk for an agent user, the wallboard of their granted
    queues for a supervisor (an admin, or an API without users: every queue)."""
    controller, user = api.controller, api.user
    chats = None if api.chat is None else partial(_chats_by_phone, api.chat)
    previous = live.previous_contacts(api.history, chats)
    visible = may_see(api)

    def snapshot() -> dict[str, object]:
        now = controller.clock.now()
        if user is not None and user.role is Role.AGENT and user.agent is not None:
            return live.desk(controller, user.agent, previous, now, chat=api.chat is not None)
        return live.wallboard(controller, visible, now)

    def stream() -> Iterator[str]:
        last, ends_at = "", time.monotonic() + _STREAM_S
        while time.monotonic() < ends_at:
            document = json.dumps(snapshot())
            if document != last:
                yield f"data: {document}\n\n"
                last = document
            gevent.sleep(_SNAPSHOT_EVERY_S)

    return sse_response(stream())


def _chats_by_phone(chat: ChatService, number: str) -> list[live.Contact]:
    """The web chat's conversations of the customer who gave this phone number (their calls come from the
    history itself)."""
    return [{"started_at": item.started_at, "channel": item.channel, "queue": item.queue, "agent": item.agent,
             "outcome": item.outcome, "disposition": None}
            for item in chat.customer_history(Customer(phone=phone_key(number))) if item.channel != Channel.VOICE]
