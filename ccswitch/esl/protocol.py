"""ESL framing without I/O: bytes in, ``Frame`` objects out.

Theory of operation. FreeSWITCH's event socket sends frames of the form::

    Name: value\\n ... \\n          outer headers, one per line
    \\n                            blank line ends them
    <Content-Length bytes>       body, only when a Content-Length header is present

(mod_event_socket.c writes them in ``parse_command`` / ``listener_run``; header order varies.)
``FrameParser.feed`` takes whatever ``recv()`` returned and yields every frame completed so far. It keeps
unconsumed bytes, the number of bytes it needs before another attempt can make progress, and how far it has
searched an incomplete header block, so feeding a frame byte by byte costs one length comparison per byte until
its body is complete and each header byte is searched once; several frames in one chunk are sliced out of the
chunk without copying it first. ``Content-Length`` counts bytes, so bodies are sliced as
bytes and never decoded here.

Outer header values are URL-decoded one line at a time: in inbound mode they are plain text, but the outbound
``connect`` reply serialises the channel's event (``Reply-Text: %2BOK%0A``). Decoding after splitting means an
encoded ``%0A`` can never create a header line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from ccswitch.errors import EslProtocolError

# The largest outer header block seen is the outbound-mode ``connect`` reply (the whole channel, ~8 KB).
MAX_HEADER_BYTES = 64 * 1024
# ``show channels as json`` on a busy switch is a few MB; anything near this is a corrupt length.
MAX_BODY_BYTES = 64 * 1024 * 1024

_HEADER_END = b"\n\n"
# How mod_event_socket.c (listener_run) frames every event: matched first, as nearly every frame is one.
# Up to 7 digits (< MAX_BODY_BYTES); anything else takes the general path, which checks everything.
_EVENT_HEAD = re.compile(rb"Content-Length: ([0-9]{1,7})\nContent-Type: (text/event-(?:plain|json))\n\n")


@dataclass(frozen=True, slots=True)
class Frame:
    """One ESL frame: its outer headers (values decoded) and its body (raw bytes, ``b""`` when none)."""

    headers: dict[str, str]
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


def parse_header_lines(block: str) -> dict[str, str]:
    """Parse ``Name: value`` lines (no final newline); each value URL-decoded after splitting; first wins."""
    headers: dict[str, str] = {}
    for line in block.split("\n"):
        name, sep, value = line.partition(": ")
        if not sep or not name:
            raise EslProtocolError(f"header line without 'Name: value': {line[:80]!r}")
        if name not in headers:
            headers[name] = value
    if "%" in block:
        return {name: unquote(value) for name, value in headers.items()}
    return headers


def parse_content_length(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise EslProtocolError(f"Content-Length is not a non-negative integer: {text[:40]!r}")
    length = int(text)
    if length > MAX_BODY_BYTES:
        raise EslProtocolError(f"Content-Length {length} exceeds {MAX_BODY_BYTES} bytes")
    return length


class FrameParser:
    """Incremental ESL frame parser; accepts any chunking of the byte stream.

    ``feed`` raises ``EslProtocolError`` on malformed input; the stream cannot be resynchronised after that,
    so the caller drops the connection.
    """

    def __init__(self) -> None:
        self._pending = bytearray()  # received bytes not yet consumed (the start of an incomplete frame)
        self._needed = 0  # len(_pending) must reach this before parsing again can complete a frame
        self._scanned = 0  # bytes of _pending already searched for the end of the headers, so none is rescanned

    def feed(self, data: bytes) -> list[Frame]:
        if self._pending:
            self._pending += data
            if len(self._pending) < self._needed:
                return []
            buffer: bytes | bytearray = self._pending
        else:
            buffer = data
        frames, consumed, self._needed, scanned = _parse_frames(buffer, self._scanned)
        if buffer is self._pending:
            del self._pending[:consumed]
        else:
            self._pending = bytearray(buffer[consumed:])
        self._scanned = scanned - consumed if scanned > consumed else 0
        return frames


def _parse_frames(buffer: bytes | bytearray, scanned: int) -> tuple[list[Frame], int, int, int]:
    """The complete frames in ``buffer``, the bytes they used, the bytes the rest needs to progress, and how far
    the rest was searched for the end of its headers (``scanned``: how far an earlier call searched)."""
    frames: list[Frame] = []
    start = 0
    size = len(buffer)
    while start < size:
        event_head = _EVENT_HEAD.match(buffer, start)
        if event_head is not None:
            digits, content_type = event_head.groups()
            headers = {"Content-Length": digits.decode(), "Content-Type": content_type.decode()}
            body_start = event_head.end()
            body_end = body_start + int(digits)
        else:
            # A header block fed in small pieces is searched once: from one byte before where the last search
            # ended (the two newlines may straddle the pieces), never from its start again.
            header_end = buffer.find(_HEADER_END, max(start, scanned - 1))
            if header_end < 0:
                if size - start > MAX_HEADER_BYTES:
                    raise EslProtocolError(f"no end of headers within {MAX_HEADER_BYTES} bytes")
                return frames, start, size - start + 1, size
            if header_end - start > MAX_HEADER_BYTES:
                raise EslProtocolError(f"header block of {header_end - start} bytes exceeds {MAX_HEADER_BYTES}")
            headers = parse_header_lines(bytes(buffer[start:header_end]).decode("utf-8", "replace"))
            body_start = header_end + 2
            length_text = headers.get("Content-Length")
            if length_text is None:
                frames.append(Frame(headers))
                start = body_start
                continue
            body_end = body_start + parse_content_length(length_text)
        if body_end > size:
            return frames, start, body_end - start, 0
        frames.append(Frame(headers, bytes(buffer[body_start:body_end])))
        start = body_end
    return frames, start, 0, 0
