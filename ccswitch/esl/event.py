"""FreeSWITCH events built from ``text/event-plain`` and ``text/event-json`` frames.

A plain event body is ``Name: value\\n`` lines (values URL-encoded by ``switch_event_serialize``), a blank
line, and, when the event has a body (``BACKGROUND_JOB``, some ``CUSTOM``), an inner ``Content-Length`` line
before that blank line with the body after it. Because every value is URL-encoded, the header section contains
``\\n`` only as a line separator, so one header is found with a single ``bytes.find`` for ``\\n<Name>: `` and
decoded only when read. A caller-controlled value such as ``x%0AUnique-ID%3A%20victim`` therefore stays inside
its own line: it decodes to text containing a newline but can never create or shadow a header. The body is
never read as headers: where the headers end is worked out only when needed, and a match is accepted only if
no inner ``Content-Length`` line comes before it.

The inner ``Content-Length`` is framing, not an event header (a JSON event carries the body as ``_body`` and
has no such key), so it is left out of the headers of both kinds. Duplicate names: the first occurrence wins,
for ``get`` and ``headers`` alike."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from ccswitch.errors import EslProtocolError
from ccswitch.esl.protocol import Frame, parse_content_length, parse_header_lines

_INNER_LENGTH = b"\nContent-Length: "
_UNREAD = "<not read yet>"  # cache marker, compared by identity


class Event:
    """One FreeSWITCH event; read-only. Build it with ``Event.from_frame``."""

    __slots__ = ("_body", "_complete", "_name", "_raw", "_section_end", "_values")

    def __init__(self, raw: bytes, values: dict[str, str | None], body: str | None) -> None:
        # raw: a plain event's payload, split into headers and body only when needed; b"" for JSON events,
        # whose ``values`` are complete from the start.
        self._raw = raw
        self._values = values
        self._complete = not raw
        self._section_end: int | None = None if raw else 0
        self._body = body
        if raw.startswith(b"Event-Name: "):
            # Hot path: FreeSWITCH writes Event-Name first, and event names need no URL decoding.
            name: str | None = raw[12 : _line_end(raw, 12)].decode("utf-8", "replace")
        else:
            name = values.get("Event-Name") if self._complete else self._find("Event-Name")
        if name is None:
            raise EslProtocolError("event without Event-Name")
        self._name = name

    @classmethod
    def from_frame(cls, frame: Frame) -> Event:
        content_type = frame.headers.get("Content-Type")
        if content_type == "text/event-plain":
            return cls(frame.body, {}, None)
        if content_type == "text/event-json":
            return cls._from_json(frame.body)
        raise EslProtocolError(f"not an event frame: Content-Type {content_type!r}")

    @classmethod
    def _from_json(cls, payload: bytes) -> Event:
        try:
            data: Any = json.loads(payload)
        except ValueError as exc:
            raise EslProtocolError(f"event-json body is not JSON: {exc}") from exc
        except RecursionError as exc:  # the decoder recurses once per nesting level
            raise EslProtocolError("event-json body nests too deeply") from exc
        if not isinstance(data, dict):
            raise EslProtocolError("event-json body is not a JSON object")
        body = data.pop("_body", None)
        if body is not None and not isinstance(body, str):
            raise EslProtocolError(f"event-json _body is not a string: {type(body).__name__}")
        values: dict[str, str | None] = {name: _json_value(value) for name, value in data.items()}
        return cls(b"", values, body)

    def get(self, header: str, default: str | None = None) -> str | None:
        """The decoded value of ``header`` (first occurrence), or ``default``."""
        value = self._values.get(header, _UNREAD)
        if value is _UNREAD:
            value = None if self._complete else self._find(header)
            self._values[header] = value
        return default if value is None else value

    def variable(self, name: str) -> str | None:
        """A channel variable: the ``variable_<name>`` header."""
        return self.get("variable_" + name)

    @property
    def headers(self) -> dict[str, str]:
        """Every header, decoded (a new dict each call; parsed once)."""
        if not self._complete:
            block = self._raw[: self._split() - 1].decode("utf-8", "replace")
            self._values = {**parse_header_lines(block)} if block else {}
            self._complete = True
        return {name: value for name, value in self._values.items() if value is not None}

    @property
    def name(self) -> str:
        return self._name

    @property
    def body(self) -> str | None:
        self._split()
        return self._body

    @property
    def subclass(self) -> str | None:
        return self.get("Event-Subclass")

    @property
    def unique_id(self) -> str | None:
        return self.get("Unique-ID")

    @property
    def call_uuid(self) -> str | None:
        return self.get("Channel-Call-UUID")

    @property
    def other_leg_unique_id(self) -> str | None:
        return self.get("Other-Leg-Unique-ID")

    @property
    def job_uuid(self) -> str | None:
        return self.get("Job-UUID")

    @property
    def application(self) -> str | None:
        return self.get("Application")

    @property
    def application_uuid(self) -> str | None:
        return self.get("Application-UUID")

    @property
    def hangup_cause(self) -> str | None:
        return self.get("Hangup-Cause")

    def _find(self, header: str) -> str | None:
        raw = self._raw
        first_line_key, key = _KEYS.get(header) or _add_keys(header)
        if raw.startswith(first_line_key):
            start = len(first_line_key)
        else:
            section_end = self._section_end
            at = raw.find(key, 0, len(raw) if section_end is None else section_end)
            if at < 0:
                return None
            # A match after the inner Content-Length line is in the body: split, then search the headers only.
            if section_end is None and raw.find(_INNER_LENGTH, 0, at + len(_INNER_LENGTH)) >= 0:
                self._split()
                return self._find(header)
            start = at + len(key)
        value = raw[start : _line_end(raw, start)]
        text = value.decode("utf-8", "replace")
        return unquote(text) if b"%" in value else text

    def _split(self) -> int:
        """Find where the headers end (and the body, if any); return that offset."""
        if self._section_end is not None:
            return self._section_end
        raw = self._raw
        # Header values contain no b"\n", so the first "\nContent-Length: " line is the inner one (the last
        # header, written only when there is a body), never a line of the body that follows it.
        length_at = raw.find(_INNER_LENGTH)
        if length_at < 0:
            if not raw.endswith(b"\n\n"):
                raise EslProtocolError("plain event without the blank line that ends its headers")
            self._section_end = len(raw) - 1
            return self._section_end
        number_start = length_at + len(_INNER_LENGTH)
        number_end = raw.find(b"\n\n", number_start)
        if number_end < 0:
            raise EslProtocolError("plain event without the blank line that ends its headers")
        length = parse_content_length(raw[number_start:number_end].decode("ascii", "replace"))
        body_start = number_end + 2
        if body_start + length > len(raw):
            raise EslProtocolError(f"event body shorter than its Content-Length {length}")
        self._body = raw[body_start : body_start + length].decode("utf-8", "replace")
        self._section_end = length_at + 1
        return self._section_end

    def __repr__(self) -> str:
        return f"Event({self._name!r}, unique_id={self.unique_id!r})"


def _line_end(raw: bytes, start: int) -> int:
    end = raw.find(b"\n", start)
    if end < 0:
        raise EslProtocolError("plain event header line without its newline")
    return end


_KEYS: dict[str, tuple[bytes, bytes]] = {}


def _add_keys(header: str) -> tuple[bytes, bytes]:
    """Remember ``(b"Name: ", b"\\nName: ")``: header names come from code, so this stays small."""
    first_line_key = header.encode() + b": "
    keys = _KEYS[header] = (first_line_key, b"\n" + first_line_key)
    return keys


def _json_value(value: object) -> str:
    # FreeSWITCH sends strings, except multi-value headers as arrays of strings (switch_event.c,
    # switch_event_serialize_json); plain format writes those as "ARRAY::a|:b" (switch_event_base_add_header), so
    # both formats read the same. Anything else is not an event the switch wrote.
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "ARRAY::" + "|:".join(value)
    raise EslProtocolError(f"event-json header value is neither a string nor a list of strings: {type(value).__name__}")
