"""The shell of sending a caller a document (``ccswitch.documents`` decides): issues the file's link,
reads the caller's channel, sends the ``chat`` command and reports what came of it.

``chat`` blocks until the phone or the carrier answers the MESSAGE (about 100 ms in fs-traces o, up to sofia's
SIP timeout when nobody answers). FreeSWITCH runs one event socket's ``api`` commands one after another, so an
``api chat`` would hold up every command the controller sends meanwhile: it goes as ``bgapi``, and the HTTP
request's greenlet (never the controller's) waits for its ``BACKGROUND_JOB``. The file is written by
``ccswitch.http.documents`` in gevent's threadpool. This only reads the engine's calls, as the HTTP access check
does.

Links live in this process's memory: a restart ends them (the agent sends again). The uploads stay in the folder.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ccswitch.calls import Phase
from ccswitch.chat.messages import Attachment
from ccswitch.documents import CallerLine, ChatOutcome, DocumentRefused, channel_value, chat_outcome, chat_target
from ccswitch.documents import message_text as caller_text
from ccswitch.esl import commands

if TYPE_CHECKING:
    from ccswitch.controller import Controller

log = logging.getLogger(__name__)
CHAT_TIMEOUT_S = 40.0  # sofia gives up on an unanswered MESSAGE after SIP timer F (32 s)


@dataclass(frozen=True, slots=True)
class Link:
    path: Path
    attachment: Attachment
    expires_at: float


@dataclass(frozen=True, slots=True)
class DocumentSent:
    call: str
    to: str
    name: str
    link: str
    expires_at: float
    outcome: ChatOutcome


class DocumentDesk:
    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self._links: dict[str, Link] = {}

    def link(self, token: str, now: float) -> Link | None:
        """The file behind ``token`` while its link lasts; an expired one is forgotten."""
        found = self._links.get(token)
        if found is not None and found.expires_at <= now:
            del self._links[token]
            return None
        return found

    def target(self, call_uuid: str) -> str:
        """Where a message to the caller on ``call_uuid`` goes (``chat``'s ``to``), read from their channel;
        ``DocumentRefused`` when the call is not connected or no configured way reaches the caller."""
        call = self.controller.engine.calls.get(call_uuid)
        if call is None or call.phase is not Phase.CONNECTED or call.agent is None:
            raise DocumentRefused(f"call {call_uuid} is not connected to an agent")
        connection = self.controller.connections[call.node]
        profile, user, domain = (channel_value(connection.api(commands.uuid_getvar(call_uuid, name)))
                                 for name in ("sofia_profile_name", "user_name", "domain_name"))
        return chat_target(self.controller.config.documents, CallerLine(profile, user, domain, call.caller_number))

    def send(self, call_uuid: str, to: str, text: str, path: Path, attachment: Attachment, now: float
             ) -> DocumentSent:
        """Issue a link to the file at ``path`` and send the caller ``text`` and the link; the link is withdrawn
        when the message is not sent."""
        controller = self.controller
        settings = controller.config.documents
        call = controller.engine.calls.get(call_uuid)
        if call is None:
            raise DocumentRefused(f"call {call_uuid} has ended")
        self._links = {token: link for token, link in self._links.items() if link.expires_at > now}
        token = secrets.token_urlsafe(24)
        link = f"{settings.public_url}/files/{token}"
        self._links[token] = Link(path, attachment, now + settings.link_ttl_s)
        command = commands.chat(settings.sender, to, caller_text(text, link))
        try:
            outcome = chat_outcome(controller.connections[call.node].bgapi(command).get(CHAT_TIMEOUT_S))
        except TimeoutError:
            outcome = ChatOutcome(False, f"FreeSWITCH gave no answer within {CHAT_TIMEOUT_S:.0f} s")
        except BaseException:
            del self._links[token]
            raise
        controller.metrics.documents_sent.labels("sent" if outcome.sent else "not_sent").inc()
        if outcome.sent:
            log.info("call %s: agent %s sent %s (link %s…) to %s", call_uuid, call.agent, attachment.name,
                     token[:6], to)
        else:
            del self._links[token]
            log.warning("call %s: document %s not sent to %s: %s", call_uuid, attachment.name, to, outcome.reason)
        return DocumentSent(call_uuid, to, attachment.name, link if outcome.sent else "",
                            now + settings.link_ttl_s, outcome)
