"""Bytes on the Event Socket, as FreeSWITCH writes them (no I/O here).

Framing follows mod_event_socket.c and switch_event.c (switch_event_serialize / switch_event_serialize_json):
reply frames carry ``Content-Type`` first; event frames carry the outer ``Content-Length`` first; a plain
event's
own body follows an inner ``Content-Length`` and a blank line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

# switch_utils.h SWITCH_URL_UNSAFE; switch_url_encode_opt() also encodes bytes outside ' '..'~'.
_URL_UNSAFE = frozenset(b'\r\n #%&+:;<=>?@[\\]^`{|}"')
_HEX = b"0123456789ABCDEF"

DISCONNECT_BODY = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

Headers = Sequence[tuple[str, str]]


def url_encode(value: str) -> str:
    """switch_url_encode() without double encoding: an existing ``%XX`` (upper-case hex) passes through
    untouched."""
    raw = value.encode()
    out = bytearray()
    for i, byte in enumerate(raw):
        keeps_escape = byte == ord("%") and _is_hex_pair(raw[i + 1 : i + 3])
        if not keeps_escape and (byte < 0x20 or byte > 0x7E or byte in _URL_UNSAFE):
            out += b"%" + bytes((_HEX[byte >> 4], _HEX[byte & 0x0F]))
        else:
            out.append(byte)
    return out.decode("ascii")


def _is_hex_pair(pair: bytes) -> bool:
    return len(pair) == 2 and all(b in _HEX for b in pair)


@dataclass(frozen=True)
class SimEvent:
    """One event as the switch fired it: ordered headers (names may repeat) and an optional body."""

    name: str
    headers: tuple[tuple[str, str], ...]
    body: str | None = None

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


def _frame(headers: Headers, body: bytes = b"") -> bytes:
    head = "".join(f"{name}: {value}\n" for name, value in headers)
    return head.encode() + b"\n" + body


def auth_request() -> bytes:
    return _frame([("Content-Type", "auth/request")])


def command_reply(reply_text: str, extra: Headers = ()) -> bytes:
    return _frame([("Content-Type", "command/reply"), ("Reply-Text", reply_text), *extra])


def api_response(body: str) -> bytes:
    data = body.encode()
    return _frame([("Content-Type", "api/response"), ("Content-Length", str(len(data)))], data)


def disconnect_notice() -> bytes:
    data = DISCONNECT_BODY.encode()
    return _frame([("Content-Type", "text/disconnect-notice"), ("Content-Length", str(len(data)))], data)


def serialize_plain(event: SimEvent) -> bytes:
    # switch_event_serialize writes an empty value as _undef_ (json keeps "").
    lines = "".join(f"{name}: {url_encode(value) or '_undef_'}\n" for name, value in event.headers)
    if event.body is None:
        return (lines + "\n").encode()
    body = event.body.encode()
    return (lines + f"Content-Length: {len(body)}\n\n").encode() + body


def serialize_json(event: SimEvent) -> bytes:
    # cJSON_PrintUnformatted: no spaces; repeated header names stay repeated keys.
    items = list(event.headers)
    if event.body is not None:
        items += [("Content-Length", str(len(event.body.encode()))), ("_body", event.body)]
    text = ",".join(f"{json.dumps(k, ensure_ascii=False)}:{json.dumps(v, ensure_ascii=False)}" for k, v in items)
    return ("{" + text + "}").encode()


def event_frame(event: SimEvent, fmt: str) -> bytes:
    payload = serialize_json(event) if fmt == "json" else serialize_plain(event)
    content_type = "text/event-json" if fmt == "json" else "text/event-plain"
    return _frame([("Content-Length", str(len(payload))), ("Content-Type", content_type)], payload)
