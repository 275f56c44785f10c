"""A raw ESL client over real TCP for the simulator tests, and fixtures that start a simulator on port 0."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import gevent
import pytest

from ccswitch.clock import ScaledClock
from ccswitch.esl.protocol import Frame, FrameParser
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import SimSwitch

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "fs-traces"
SPEED = 20.0  # the switch clock runs this much faster than the wall clock


@dataclass(frozen=True)
class PlainEvent:
    """An event-plain payload split into ordered (name, decoded value) pairs, duplicates kept."""

    headers: tuple[tuple[str, str], ...]
    body: str | None

    @classmethod
    def parse(cls, payload: bytes) -> PlainEvent:
        head, _, rest = payload.partition(b"\n\n")
        pairs = tuple(
            (name, unquote(value)) for name, _, value in (line.partition(": ") for line in head.decode().split("\n"))
        )
        length = dict(pairs).get("Content-Length")
        body = rest[: int(length)].decode() if length is not None else None
        return cls(tuple(p for p in pairs if p[0] != "Content-Length") if length else pairs, body)

    @property
    def name(self) -> str:
        return self.get("Event-Name") or ""

    def get(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    @property
    def names(self) -> list[str]:
        return [k for k, _ in self.headers]


def frames_of(data: bytes) -> list[Frame]:
    return FrameParser().feed(data)


def wait_until(condition: Callable[[], object], timeout: float = 3.0) -> None:
    with gevent.Timeout(timeout, AssertionError("condition not met in time")):
        while not condition():
            gevent.sleep(0.005)


class RawClient:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.frames: list[Frame] = []
        self.closed = False
        self._parser = FrameParser()
        self._reader = gevent.spawn(self._read)

    def _read(self) -> None:
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.closed = True
                return
            self.frames += self._parser.feed(data)

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\n\n")

    def command(self, text: str) -> Frame:
        """Send and wait for the reply (command/reply or api/response) to this command."""
        before = len(self.replies())
        self.send(text)
        wait_until(lambda: len(self.replies()) > before, timeout=10)
        return self.replies()[before]

    def replies(self) -> list[Frame]:
        return [f for f in self.frames if f.content_type in ("command/reply", "api/response", "auth/request")][1:]

    def events(self) -> list[PlainEvent]:
        return [PlainEvent.parse(f.body) for f in self.frames if f.content_type == "text/event-plain"]

    def wait_event(self, name: str, count: int = 1, **headers: str) -> PlainEvent:
        def matching() -> list[PlainEvent]:
            return [
                e
                for e in self.events()
                if e.name == name and all(e.get(k.replace("_", "-")) == v for k, v in headers.items())
            ]

        wait_until(lambda: len(matching()) >= count, timeout=10)
        return matching()[count - 1]

    def login(self, subscribe: str | None = "event plain ALL") -> RawClient:
        wait_until(lambda: self.frames)
        assert self.command("auth ClueCon").headers["Reply-Text"] == "+OK accepted"
        if subscribe:
            self.command(subscribe)
        return self

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def switch() -> Iterator[SimSwitch]:
    sim = SimSwitch(clock=ScaledClock(SPEED), hostname="vm")
    yield sim
    sim.shutdown()


@pytest.fixture
def server(switch: SimSwitch) -> Iterator[EslServer]:
    srv = EslServer(switch).start()
    yield srv
    srv.stop()


@pytest.fixture
def client(server: EslServer) -> Iterator[RawClient]:
    c = RawClient(server.port).login()
    yield c
    c.close()
