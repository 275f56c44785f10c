"""The shell of sending a caller a document (``ccswitch.documents`` decides): issues the file's link,
reads the caller's channel, sends the ``chat`` command and reports what came of it.

``chat`` blocks until the phone or the carrier answers the MESSAGE (about 100 ms in fs-traces o, up to sofia's
SIP timeout when nobody answers). FreeSWITCH runs one event socket's ``api`` commands one after another, so an
``api chat`` would hold up every command the controller sends meanwhile: it goes as ``bgapi``, and the HTTP
request's greenlet (never the controller's) waits for its ``BACKGROUND_JOB``. The file is written by
``ccswitch.http.documents`` in gevent's threadpool. This only reads the engine's calls, as the HTTP access check
does.

Links are records of the configured store (``ccswitch.store.expiring``, kind ``document-link``): with Redis they
outlive a restart and any controller sharing it serves them (if it sees the same uploads folder); in memory a
restart ends them. An upload outlives its link by no more than ``PRUNE_EVERY_S``: the desk removes older ones.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import gevent

from ccswitch.calls import Phase
from ccswitch.chat.messages import Attachment
from ccswitch.documents import CallerLine, ChatOutcome, DocumentRefused, channel_value, chat_outcome, chat_target
from ccswitch.documents import message_text as caller_text
from ccswitch.esl import commands
from ccswitch.store.expiring import ExpiringRecords

if TYPE_CHECKING:
    from ccswitch.controller import Controller

log = logging.getLogger(__name__)
CHAT_TIMEOUT_S = 40.0  # sofia gives up on an unanswered MESSAGE after SIP timer F (32 s)
PRUNE_EVERY_S = 3600.0


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


class DocumentLinks:
    """The links callers open, by their token (the records' key: only its digest is stored)."""

    def __init__(self, records: ExpiringRecords) -> None:
        self._records = records

    def put(self, token: str, link: Link, now: float) -> None:
        attachment = link.attachment
        self._records.put(token, {"path": str(link.path), "id": attachment.id, "name": attachment.name,
                                  "media_type": attachment.media_type, "size": attachment.size,
                                  "expires_at": link.expires_at}, link.expires_at - now)

    def get(self, token: str, now: float) -> Link | None:
        """The link ``token`` while it lasts; an expired one is forgotten."""
        record = self._records.get(token)
        if record is None:
            return None
        if float(record["expires_at"]) <= now:
            self._records.delete(token)
            return None
        attachment = Attachment(str(record["id"]), str(record["name"]), str(record["media_type"]),
                                int(record["size"]))
        return Link(Path(record["path"]), attachment, float(record["expires_at"]))

    def delete(self, token: str) -> None:
        self._records.delete(token)


def prune_uploads(folder: Path, older_than: float) -> int:
    """Remove the uploads under ``folder`` last written before ``older_than`` (epoch seconds), and the calls'
    folders left empty; how many files went. Run in a thread: it walks the disk."""
    removed = 0
    if not folder.is_dir():
        return removed
    for call_folder in folder.iterdir():
        if not call_folder.is_dir():
            continue
        for file in call_folder.iterdir():
            try:
                if file.is_file() and file.stat().st_mtime < older_than:
                    file.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # another controller sharing the folder removed it first
        with contextlib.suppress(OSError):  # not empty: a file still in its link's time
            call_folder.rmdir()
    return removed


class DocumentDesk:
    def __init__(self, controller: Controller, links: ExpiringRecords) -> None:
        self.controller = controller
        self._links = DocumentLinks(links)
        self._pruner: gevent.Greenlet[[], None] | None = None

    def start(self) -> None:
        """Remove uploads whose links have expired, now and every ``PRUNE_EVERY_S``."""
        if self.controller.config.documents.folder is not None:
            self._pruner = gevent.spawn(self._prune_forever)

    def stop(self) -> None:
        if self._pruner is not None:
            self._pruner.kill()

    def _prune_forever(self) -> None:
        while True:
            settings = self.controller.config.documents
            if settings.folder is not None:
                older_than = time.time() - settings.link_ttl_s - 60.0  # the link is issued just after the write
                try:
                    removed = gevent.get_hub().threadpool.apply(prune_uploads, (settings.folder, older_than))
                except OSError as exc:
                    log.warning("documents %s: expired uploads not removed: %s", settings.folder, exc)
                else:
                    if removed:
                        log.info("documents %s: %d expired uploads removed", settings.folder, removed)
            gevent.sleep(PRUNE_EVERY_S)

    def link(self, token: str, now: float) -> Link | None:
        """The file behind ``token`` while its link lasts; an expired one is forgotten."""
        return self._links.get(token, now)

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
        token, expires_at = secrets.token_urlsafe(24), now + settings.link_ttl_s
        link = f"{settings.public_url}/files/{token}"
        self._links.put(token, Link(path, attachment, expires_at), now)
        command = commands.chat(settings.sender, to, caller_text(text, link))
        try:
            outcome = chat_outcome(controller.connections[call.node].bgapi(command).get(CHAT_TIMEOUT_S))
        except TimeoutError:
            outcome = ChatOutcome(False, f"FreeSWITCH gave no answer within {CHAT_TIMEOUT_S:.0f} s")
        except BaseException:
            self._links.delete(token)
            raise
        controller.metrics.documents_sent.labels("sent" if outcome.sent else "not_sent").inc()
        if outcome.sent:
            log.info("call %s: agent %s sent %s (link %s…) to %s", call_uuid, call.agent, attachment.name,
                     token[:6], to)
        else:
            self._links.delete(token)
            log.warning("call %s: document %s not sent to %s: %s", call_uuid, attachment.name, to, outcome.reason)
        return DocumentSent(call_uuid, to, attachment.name, link if outcome.sent else "", expires_at, outcome)
