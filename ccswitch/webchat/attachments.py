"""Files the participants of a conversation send: checked, kept on disk by conversation, and given back only to
that conversation.

Theory of operation. A file is taken only if its first bytes say it is one of the allowed types (PNG, JPEG, GIF,
WebP, PDF): the name and the type the sender claims are never believed, so an HTML page or an SVG with a script
called ``photo.png`` is refused. It is kept as ``<folder>/<conversation>/<id>`` (the bytes) beside ``<id>.json``
(its name, type and size). The id is random (128 bits, url-safe); every id is checked to be letters, digits, ``_``
and ``-`` before it becomes part of a path, so no id leads outside the folder. Each file is written under a
temporary name, flushed to disk and renamed, the description last: a file is there whole or not at all. ``open``
looks only under the conversation it is asked about, so one conversation's file is never served to another.

Calls read and write the disk (up to ``max_bytes`` and an fsync): from a greenlet, make them through the hub's
threadpool.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Literal

from ccswitch.chat.messages import Attachment
from ccswitch.chat.text import printable
from ccswitch.errors import StoreError

DEFAULT_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})
MAX_NAME = 120
DEFAULT_NAME = "attachment"
_LABELS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WebP",
           "application/pdf": "PDF"}
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
          (b"GIF89a", "image/gif"), (b"%PDF-", "application/pdf"))
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_MAX_SUFFIX = 10  # a longer "suffix" is part of the name, not a file type

Refusal = Literal["empty", "too_large", "type_not_allowed"]


class AttachmentRefused(ValueError):
    """The file is not taken; the message says why, for the sender (``kind`` for the HTTP status)."""

    def __init__(self, message: str, kind: Refusal) -> None:
        super().__init__(message)
        self.kind = kind


def sniff(data: bytes) -> str | None:
    """The media type the file's first bytes show, of those this store knows; None for anything else."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((media_type for magic, media_type in _MAGIC if data.startswith(magic)), None)


def clean_name(filename: str) -> str:
    """The name to show for a file: no folders (``/`` or ``\\``), no control or direction-changing characters,
    spaces collapsed, no leading or trailing dots, at most ``MAX_NAME`` characters (the type suffix kept)."""
    name = " ".join(printable(filename.replace("\\", "/").rpartition("/")[2]).split()).strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, suffix = name.rpartition(".")
        keep_suffix = bool(dot) and len(suffix) <= _MAX_SUFFIX
        name = f"{stem[:MAX_NAME - len(suffix) - 1].rstrip(' .')}.{suffix}" if keep_suffix else name[:MAX_NAME]
    return name or DEFAULT_NAME


def is_safe_id(text: str) -> bool:
    """Letters, digits, ``_`` and ``-`` only (no dots, no slashes): safe as one part of a path."""
    return _SAFE_ID.fullmatch(text) is not None


class AttachmentStore:
    def __init__(self, folder: Path, max_bytes: int = 10 * 2**20, allowed: frozenset[str] = DEFAULT_TYPES) -> None:
        unknown = allowed - DEFAULT_TYPES
        if unknown:
            raise ValueError(f"attachments: cannot recognise {', '.join(sorted(unknown))} "
                             f"(known: {', '.join(sorted(DEFAULT_TYPES))})")
        self.folder = folder
        self.max_bytes = max_bytes
        self.allowed = allowed

    def save(self, conversation: str, filename: str, data: bytes) -> Attachment:
        """Keep ``data`` for ``conversation``; ``AttachmentRefused`` says why a file is not taken, ``StoreError``
        that the disk failed."""
        folder = self._folder_of(conversation)
        attachment = Attachment(secrets.token_urlsafe(16), clean_name(filename), self._checked_type(data), len(data))
        description = {"name": attachment.name, "media_type": attachment.media_type, "size": attachment.size}
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(folder / attachment.id, data)
            _write_atomically(folder / f"{attachment.id}.json", json.dumps(description).encode())
            _sync_folder(folder)
        except OSError as exc:
            raise StoreError(f"attachments {self.folder}: cannot keep a file of conversation {conversation}: "
                             f"{exc.strerror or exc}") from exc
        return attachment

    def open(self, conversation: str, attachment_id: str) -> tuple[Attachment, Path] | None:
        """The attachment and where its bytes are, if ``conversation`` has one with that id; None otherwise (an
        id that is not one of ours included)."""
        if not (is_safe_id(conversation) and is_safe_id(attachment_id)):
            return None
        path = self.path(conversation, attachment_id)
        try:
            description = json.loads(path.with_name(f"{attachment_id}.json").read_bytes())
        except FileNotFoundError:
            return None
        if not path.is_file():
            return None
        return Attachment(attachment_id, description["name"], description["media_type"], description["size"]), path

    def path(self, conversation: str, attachment_id: str) -> Path:
        """Where the bytes of ``conversation``'s attachment ``attachment_id`` are kept (the ids as ``save`` gives)."""
        return self._folder_of(conversation) / attachment_id

    def _folder_of(self, conversation: str) -> Path:
        if not is_safe_id(conversation):
            raise ValueError(f"attachments: {conversation!r} is not a conversation id")
        return self.folder / conversation

    def _checked_type(self, data: bytes) -> str:
        if not data:
            raise AttachmentRefused("the file is empty", "empty")
        if len(data) > self.max_bytes:
            raise AttachmentRefused(f"the file is {_size(len(data))}; at most {_size(self.max_bytes)} "
                                    "may be sent", "too_large")
        media_type = sniff(data)
        allowed = ", ".join(sorted(_LABELS[each] for each in self.allowed))
        if media_type is None:
            raise AttachmentRefused(f"the file is none of the types that may be sent ({allowed})", "type_not_allowed")
        if media_type not in self.allowed:
            raise AttachmentRefused(f"the file is a {_LABELS[media_type]}; only {allowed} may be sent",
                                    "type_not_allowed")
        return media_type


def _size(size: int) -> str:
    if size >= 2**20:
        return f"{size / 2**20:.1f} MB"
    return f"{size / 2**10:.1f} KB" if size >= 2**10 else f"{size} bytes"


def _write_atomically(path: Path, data: bytes) -> None:
    """``path`` holds ``data`` whole, or (a crash, a full disk) is not there: written beside it, then renamed."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _sync_folder(folder: Path) -> None:
    """The renames in ``folder`` reach the disk too."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
