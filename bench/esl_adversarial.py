"""Hostile ESL input: how long the parser takes over what a broken or malicious peer could send.

Prints seconds for: a 60 KB header block fed one byte at a time (the buffer used to be rescanned on every byte:
3.7 s), the same block in 1,460-byte TCP segments, and a 200 KB text/event-json body nested 100,000 levels deep
(used to raise RecursionError instead of EslProtocolError). Linear work means the byte-at-a-time figure grows in
proportion to the block's size: the 30 KB line is there to show the ratio.

    .venv/bin/python bench/esl_adversarial.py
"""

from __future__ import annotations

import time

from ccswitch.errors import EslProtocolError
from ccswitch.esl import Event, Frame, FrameParser


def header_block(kilobytes: int) -> bytes:
    lines = b"".join(b"X-H%05d: %s\n" % (n, b"v" * 40) for n in range(kilobytes * 20))
    return lines + b"Content-Type: api/response\nContent-Length: 3\n\n+OK"


def feed_in_pieces(data: bytes, piece: int) -> float:
    parser = FrameParser()
    started = time.perf_counter()
    frames = [frame for at in range(0, len(data), piece) for frame in parser.feed(data[at : at + piece])]
    elapsed = time.perf_counter() - started
    assert len(frames) == 1
    return elapsed


def nested_json() -> float:
    payload = b'{"Event-Name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    started = time.perf_counter()
    try:
        Event.from_frame(Frame({"Content-Type": "text/event-json"}, payload))
    except EslProtocolError:
        return time.perf_counter() - started
    raise AssertionError("a nested event-json body was accepted")


def main() -> None:
    for kilobytes in (30, 60):
        data = header_block(kilobytes)
        print(f"{len(data) / 1024:5.1f} KB header, 1 byte at a time:   {feed_in_pieces(data, 1):.3f} s")
    data = header_block(60)
    print(f"{len(data) / 1024:5.1f} KB header, 1,460-byte segments: {feed_in_pieces(data, 1460) * 1000:.3f} ms")
    print(f"event-json nested 100,000 deep -> EslProtocolError in {nested_json() * 1000:.3f} ms")


if __name__ == "__main__":
    main()
