"""FrameParser over the real traces (whole, byte by byte, split at random points) and over malformed input."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from ccswitch.errors import EslProtocolError
from ccswitch.esl import Frame, FrameParser

Load = Callable[[str], bytes]


def parse_in_chunks(data: bytes, cuts: list[int]) -> list[Frame]:
    parser = FrameParser()
    frames: list[Frame] = []
    for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
        frames.extend(parser.feed(data[start:end]))
    return frames


def test_trace_parses_the_same_whole_and_split_at_random_points(any_trace: str, load_trace: Load) -> None:
    data = load_trace(any_trace)
    whole = FrameParser().feed(data)
    rng = random.Random(any_trace)
    for _ in range(5):
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 300)))
        assert parse_in_chunks(data, cuts) == whole


def test_trace_parses_the_same_byte_by_byte(any_trace: str, load_trace: Load) -> None:
    data = load_trace(any_trace)
    assert parse_in_chunks(data, list(range(1, len(data)))) == FrameParser().feed(data)


def test_trace_frame_count_matches_an_independent_count(any_trace: str, load_trace: Load) -> None:
    data = load_trace(any_trace)
    parser = FrameParser()
    frames = parser.feed(data)
    # Every frame has one outer Content-Type; no event or body in these traces contains that text.
    assert len(frames) == data.count(b"Content-Type: ")
    assert parser.feed(b"") == []


def test_several_frames_in_one_chunk_come_out_in_order() -> None:
    data = (
        b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
        b"Content-Type: api/response\nContent-Length: 6\n\n+OK x\n"
        b"Content-Type: api/response\nContent-Length: 5\n\nfalse"
    )
    frames = FrameParser().feed(data)
    assert [(f.content_type, f.body) for f in frames] == [
        ("command/reply", b""),
        ("api/response", b"+OK x\n"),
        ("api/response", b"false"),
    ]
    assert frames[0].headers["Reply-Text"] == "+OK accepted"


def test_content_length_counts_bytes_not_characters() -> None:
    body = "Пётр\n".encode()
    data = b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body) + body
    data += b"Content-Type: command/reply\nReply-Text: +OK\n\n"
    frames = parse_in_chunks(data, [len(data) - 60, len(data) - 3])
    assert [f.body for f in frames] == [body, b""]


def test_outer_values_are_decoded_after_splitting_lines() -> None:
    (frame,) = FrameParser().feed(b"Content-Type: command/reply\nReply-Text: %2BOK%0AX-Injected%3A%20yes\n\n")
    assert frame.headers == {"Content-Type": "command/reply", "Reply-Text": "+OK\nX-Injected: yes"}


def test_outbound_connect_reply_text_is_url_decoded(load_trace: Load) -> None:
    frames = FrameParser().feed(load_trace("h_outbound_socket.outbound_session.recv.raw"))
    assert frames[0].content_type == "command/reply"
    assert frames[0].headers["Reply-Text"] == "+OK\n"
    assert frames[0].headers["Event-Name"] == "CHANNEL_DATA"
    assert frames[0].headers["Channel-Name"] == "sofia/external/79161234567@127.0.0.1:5070"


def test_auth_failure_trace(load_trace: Load) -> None:
    frames = FrameParser().feed(load_trace("g_auth_failure.recv.raw"))
    assert [f.content_type for f in frames] == ["auth/request", "command/reply", "text/disconnect-notice"]
    assert frames[1].headers["Reply-Text"] == "-ERR invalid"
    assert frames[2].body.startswith(b"Disconnected, goodbye.\n")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Content-Type command/reply\n\n", "without 'Name: value'"),
        (b": no-name\n\n", "without 'Name: value'"),
        (b"Content-Type: api/response\nContent-Length: abc\n\n", "not a non-negative integer"),
        (b"Content-Type: api/response\nContent-Length: -5\n\n", "not a non-negative integer"),
        (b"Content-Type: api/response\nContent-Length: \n\n", "not a non-negative integer"),
        (b"Content-Type: api/response\nContent-Length: 99999999999\n\n", "exceeds"),
        (b"X-Long: " + b"a" * 70_000, "no end of headers"),
        (b"X-Long: " + b"a" * 70_000 + b"\n\n", "exceeds"),
    ],
)
def test_malformed_input_raises_protocol_error(data: bytes, message: str) -> None:
    with pytest.raises(EslProtocolError, match=message):
        FrameParser().feed(data)


def test_a_large_header_block_fed_one_byte_at_a_time_parses_once_complete() -> None:
    # 60 KB of headers, just under the limit, then a body: bench/esl_adversarial.py times this (it was quadratic).
    headers = b"".join(b"X-H%05d: %s\n" % (n, b"v" * 40) for n in range(1_200))
    data = headers + b"Content-Type: api/response\nContent-Length: 3\n\n+OK"
    parser = FrameParser()
    frames = [frame for byte in range(len(data)) for frame in parser.feed(data[byte : byte + 1])]
    assert len(frames) == 1
    assert frames[0].body == b"+OK"
    assert frames[0].headers["X-H01199"] == "v" * 40


def test_a_header_end_split_between_two_pieces_is_found() -> None:
    parser = FrameParser()
    assert parser.feed(b"Content-Type: auth/request\n") == []
    frames = parser.feed(b"\nContent-Type: command/reply\nReply-Text: +OK\n\n")
    assert [frame.content_type for frame in frames] == ["auth/request", "command/reply"]


def test_oversized_header_block_is_caught_when_fed_in_pieces() -> None:
    parser = FrameParser()
    with pytest.raises(EslProtocolError, match="no end of headers"):
        for _ in range(100):
            parser.feed(b"X-Long: " + b"a" * 1000 + b"\n")
