"""A document sent to the caller during a call (``POST /api/calls/<call>/document``) and the caller's link to it
(``GET /files/<token>``: public, the unguessable token is the permission, until the link expires)."""

from __future__ import annotations

import secrets
from pathlib import Path

import gevent
from flask import Response, request, send_file

from ccswitch.chat.messages import Attachment
from ccswitch.documents import MAX_WORDS_CHARS
from ccswitch.http.errors import BadRequest, BodyTooLarge, NotFound, UnsupportedMediaType, json_response
from ccswitch.http.request import MAX_NAME, ApiRequest
from ccswitch.http.webchat import read_upload
from ccswitch.webchat.attachments import AttachmentRefused, AttachmentStore, clean_name, sniff

MAX_TEXT = MAX_WORDS_CHARS  # what the caller's message keeps of the agent's words
_FORM_OVERHEAD = 64 * 1024  # the multipart framing and the text fields


def send_document(api: ApiRequest) -> Response:
    """A multipart form: ``file`` (a picture or PDF) or ``document`` (a configured one's name), and ``text`` (a few
    words before the link). 200 with ``sent`` true, or false and FreeSWITCH's ``reason``; 409 when it cannot be
    sent to this caller at all."""
    media_type = (request.mimetype or "").lower()
    if media_type != "multipart/form-data":
        raise UnsupportedMediaType('send a multipart/form-data form with "file" or "document", and "text"')
    max_bytes = api.controller.config.documents.max_bytes
    if (request.content_length or 0) > max_bytes + _FORM_OVERHEAD:  # refused before the form is read
        raise BodyTooLarge(f"a file may have at most {max_bytes // 2**20} MB")
    document = request.form.get("document") or None
    if document is not None and len(document) > MAX_NAME:
        raise BadRequest(f"'document' names a configured document: at most {MAX_NAME} characters")
    text = request.form.get("text", "")
    if len(text) > MAX_TEXT:
        raise BadRequest(f"'text' may have at most {MAX_TEXT} characters")
    desk, call = api.controller.documents, api.params["call"]
    to = desk.target(call)  # refused before the file is kept
    try:
        path, attachment = _library_file(api, document) if document else _uploaded_file(api, call, max_bytes)
    except AttachmentRefused as exc:
        refusal = {"too_large": BodyTooLarge, "type_not_allowed": UnsupportedMediaType}.get(exc.kind, BadRequest)
        raise refusal(str(exc)) from exc
    sent = desk.send(call, to, text, path, attachment, api.now)
    return json_response(200, {"call": sent.call, "to": sent.to, "name": sent.name, "sent": sent.outcome.sent,
                               "reason": sent.outcome.reason, "link": sent.link or None,
                               "expires_at": sent.expires_at if sent.outcome.sent else None})


def get_file(api: ApiRequest) -> Response:
    link = api.controller.documents.link(api.params["token"], api.now)
    if link is None:
        raise NotFound("no such file, or its link has expired")
    try:
        reply = send_file(link.path, mimetype=link.attachment.media_type, download_name=link.attachment.name,
                          max_age=0)
    except FileNotFoundError:  # removed from the folder, or a controller that does not share it
        raise NotFound("this file is no longer kept here") from None
    reply.headers["X-Content-Type-Options"] = "nosniff"
    reply.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    reply.headers["Cache-Control"] = "private, no-store"
    return reply


def _uploaded_file(api: ApiRequest, call: str, max_bytes: int) -> tuple[Path, Attachment]:
    """The form's file, kept under the call's folder if it is a picture or PDF (the web chat's rules)."""
    name, data = read_upload(max_bytes)
    folder = api.controller.config.documents.folder
    assert folder is not None  # the desk's target() refused a configuration without one
    store = AttachmentStore(folder, max_bytes)
    attachment = gevent.get_hub().threadpool.apply(store.save, (call, name, data))
    return store.path(call, attachment.id), attachment


def _library_file(api: ApiRequest, document: str) -> tuple[Path, Attachment]:
    library = api.controller.config.documents.library
    path = library.get(document)
    if path is None:
        raise NotFound(f"no configured document {document!r} (known: {', '.join(sorted(library)) or 'none'})")
    try:
        head, size = gevent.get_hub().threadpool.apply(_head, (path,))
    except OSError as exc:
        raise NotFound(f"the configured document {document} cannot be read: {exc.strerror}") from exc
    media_type = sniff(head)
    if media_type is None:
        raise AttachmentRefused(f"the configured document {document} is not a picture or PDF", "type_not_allowed")
    return path, Attachment(secrets.token_urlsafe(16), clean_name(path.name), media_type, size)


def _head(path: Path) -> tuple[bytes, int]:
    with path.open("rb") as file:
        return file.read(16), path.stat().st_size
