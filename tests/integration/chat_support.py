"""The web chat over real HTTP: a ChatService on a fresh conversation log beside a contact centre's controller, and
requests that carry a conversation's token or a multipart file."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ccswitch.history import ConversationLog
from ccswitch.http import serve_http
from ccswitch.webchat.attachments import AttachmentStore
from ccswitch.webchat.desk import ChatDesk
from ccswitch.webchat.service import ChatService

from .conftest import ContactCentre

Reply = tuple[int, dict[str, object], dict[str, str]]


@dataclass
class ChatSite:
    url: str
    chat: ChatService
    log: ConversationLog

    def call(self, path: str, method: str = "GET", body: object = None, token: str | None = None,
             data: bytes | None = None, content_type: str = "application/json",
             headers: dict[str, str] | None = None) -> Reply:
        """One request: ``body`` as JSON (a POST sends ``{}`` when given nothing), or raw ``data``."""
        if data is None and (body is not None or method == "POST"):
            data = json.dumps({} if body is None else body).encode()
        sent = {"Content-Type": content_type} if data is not None else {}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={**sent,
                                                                                             **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                raw = response.read()
                return response.status, _json(raw, response.headers), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, _json(exc.read(), exc.headers), dict(exc.headers)

    def upload(self, path: str, token: str | None, name: str, content: bytes) -> Reply:
        boundary = secrets.token_hex(8)
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n")
        data = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return self.call(path, "POST", token=token, data=data,
                         content_type=f"multipart/form-data; boundary={boundary}")


def _json(raw: bytes, headers: object) -> dict[str, object]:
    return json.loads(raw) if raw and "json" in str(getattr(headers, "get", lambda _: "")("Content-Type")) else {}


def chat_site(centre: ContactCentre, folder: Path, desk: ChatDesk) -> Iterator[ChatSite]:
    """The chat's routes on a port of their own, its log and files in ``folder``; stopped after the test."""
    log = ConversationLog(f"sqlite:///{folder / 'history.sqlite'}")
    config = centre.controller.config
    chat = ChatService(lambda: centre.controller.config, log, desk, centre.controller.clock.now,
                       AttachmentStore(folder / "files", config.chat.max_attachment_bytes))
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller, chat=chat)
    yield ChatSite(f"http://127.0.0.1:{server.server_port}", chat, log)
    server.stop()
    chat.close()
    log.close()
