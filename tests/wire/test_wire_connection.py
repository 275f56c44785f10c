"""EslConnection against a tiny in-test ESL server (gevent StreamServer on port 0)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

import gevent
import pytest
from gevent.server import StreamServer

from ccswitch.errors import EslCommandError, EslConnectionError, UnsafeValueError
from ccswitch.esl import EslConnection, Event, Frame, FrameParser, subscribe_command

PASSWORD = "ClueCon"
SILENT = "api never_answers"


def frame_bytes(frame: Frame) -> bytes:
    headers = {**frame.headers, "Content-Length": str(len(frame.body))} if frame.body else frame.headers
    return "".join(f"{name}: {value}\n" for name, value in headers.items()).encode() + b"\n" + frame.body


def reply(text: str, *extra: str) -> bytes:
    return "\n".join(["Content-Type: command/reply", f"Reply-Text: {text}", *extra]).encode() + b"\n\n"


def api_response(body: str) -> bytes:
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body.encode()) + body.encode()


DISCONNECT = frame_bytes(Frame({"Content-Type": "text/disconnect-notice"}, b"Disconnected, goodbye.\n"))


class FakeSwitch:
    """Answers auth/event/api/bgapi/exit like FreeSWITCH; ``api echo <text>`` replies ``<text>``."""

    def __init__(self) -> None:
        self.password = PASSWORD
        self.commands: list[str] = []
        self.connections = 0
        self.socket: gevent.socket.socket | None = None
        self.server = StreamServer(("127.0.0.1", 0), self._serve)
        self.server.start()

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def emit(self, data: bytes) -> None:
        assert self.socket is not None
        self.socket.sendall(data)

    def drop(self) -> None:
        assert self.socket is not None
        self.socket.close()

    def _serve(self, sock: gevent.socket.socket, _address: object) -> None:
        self.connections += 1
        self.socket = sock
        with contextlib.suppress(OSError):  # drop() closes the socket under us
            self._converse(sock)

    def _converse(self, sock: gevent.socket.socket) -> None:
        sock.sendall(b"Content-Type: auth/request\n\n")
        buffer = b""
        while data := sock.recv(65536):
            buffer += data
            while b"\n\n" in buffer:
                raw, buffer = buffer.split(b"\n\n", 1)
                command = raw.decode()
                self.commands.append(command)
                answer = self._answer(command)
                if answer:
                    sock.sendall(answer)
                if answer.endswith(DISCONNECT):
                    sock.close()
                    return

    def _answer(self, command: str) -> bytes:
        verb, _, rest = command.partition(" ")
        if verb == "auth":
            ok = rest == self.password
            return reply("+OK accepted") if ok else reply("-ERR invalid") + DISCONNECT
        if verb == "event":
            return reply("+OK event listener enabled plain")
        if command == SILENT:
            return b""
        if verb == "api":
            return api_response(rest.removeprefix("echo "))
        if verb == "bgapi":
            job_uuid = command.rsplit("Job-UUID: ", 1)[1]
            if "fail" in rest:
                return reply("-ERR bgapi refused")
            return reply(f"+OK Job-UUID: {job_uuid}", f"Job-UUID: {job_uuid}")
        if verb == "exit":
            return reply("+OK bye") + DISCONNECT
        return reply("-ERR command not found")


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.changes: list[bool] = []


def outcome_of(call: Callable[..., object], *args: object) -> object:
    """Run ``call`` in a greenlet without gevent printing the expected exception."""
    try:
        return call(*args)
    except Exception as exc:
        return exc


def wait_until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    with gevent.Timeout(timeout, AssertionError("condition not met in time")):
        while not condition():
            gevent.sleep(0.005)


@pytest.fixture
def switch() -> Iterator[FakeSwitch]:
    fake = FakeSwitch()
    yield fake
    fake.server.stop()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def connect(switch: FakeSwitch, recorder: Recorder) -> Iterator[Callable[..., EslConnection]]:
    started: list[EslConnection] = []

    def make(password: str = PASSWORD, **options: float) -> EslConnection:
        connection = EslConnection(
            "127.0.0.1",
            switch.port,
            password,
            ["CHANNEL_PARK", "CHANNEL_HANGUP_COMPLETE", "callcenter::info"],
            recorder.events.append,
            recorder.changes.append,
            **{"backoff_initial": 0.01, "backoff_max": 0.05, **options},
        )
        connection.start()
        started.append(connection)
        return connection

    yield make
    for connection in started:
        connection.stop()


def event_frames(load_trace: Callable[[str], bytes], name: str) -> list[Frame]:
    return [f for f in FrameParser().feed(load_trace(name)) if f.content_type.startswith("text/event-")]


def test_authenticates_and_subscribes_to_named_events_only(
    connect: Callable[..., EslConnection], switch: FakeSwitch, recorder: Recorder
) -> None:
    connection = connect()
    assert connection.wait_connected(3)
    assert switch.commands == [
        f"auth {PASSWORD}",
        "event plain CHANNEL_PARK CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB CUSTOM callcenter::info",
    ]
    assert recorder.changes == [True]


def test_authentication_failure_is_logged_and_retried_until_the_password_is_fixed(
    connect: Callable[..., EslConnection],
    switch: FakeSwitch,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    switch.password = "Fixed"
    with caplog.at_level(logging.ERROR, logger="ccswitch.esl.connection"):
        connection = connect()
        wait_until(lambda: switch.connections >= 3)
    assert not connection.connected and recorder.changes == []
    assert "authentication failed" in caplog.text
    with pytest.raises(EslConnectionError, match="not connected"):
        connection.api("status")
    switch.password = PASSWORD
    assert connection.wait_connected(3)
    assert recorder.changes == [True]


def test_concurrent_api_calls_get_their_own_replies_in_fifo_order(
    connect: Callable[..., EslConnection], switch: FakeSwitch
) -> None:
    connection = connect()
    assert connection.wait_connected(3)
    calls = [gevent.spawn(connection.api, f"echo reply-{n}") for n in range(50)]
    gevent.joinall(calls, timeout=3, raise_error=True)
    assert [call.value for call in calls] == [f"reply-{n}" for n in range(50)]


def test_api_ok_raises_on_err_and_api_returns_it(connect: Callable[..., EslConnection]) -> None:
    connection = connect()
    assert connection.wait_connected(3)
    assert connection.api("echo -ERR no such channel") == "-ERR no such channel"
    with pytest.raises(EslCommandError, match="no such channel"):
        connection.api_ok("echo -ERR no such channel")
    assert connection.api_ok("echo +OK") == "+OK"


def test_events_reach_the_handler_and_background_jobs_resolve(
    connect: Callable[..., EslConnection],
    switch: FakeSwitch,
    recorder: Recorder,
    load_trace: Callable[[str], bytes],
) -> None:
    connection = connect()
    assert connection.wait_connected(3)
    originate = connection.bgapi("originate sofia/external/2002 &park", "46cb5f2f-8b1c-4606-9244-40f4287f540c")
    busy = connection.bgapi("originate user/1005 &park", "f6f41cd4-a688-41d1-87f3-21eb8a5a36b4")
    assert switch.commands[-1] == "bgapi originate user/1005 &park\nJob-UUID: f6f41cd4-a688-41d1-87f3-21eb8a5a36b4"
    assert not originate.ready()
    frames = event_frames(load_trace, "c_bgapi_originate_background_job.recv.raw")
    switch.emit(b"".join(frame_bytes(f) for f in frames))
    assert originate.get(timeout=3) == "+OK ce28864c-3139-4b5e-8ed4-e0a7ec6ab648\n"
    assert busy.get(timeout=3) == "-ERR USER_NOT_REGISTERED\n"
    wait_until(lambda: len(recorder.events) == len(frames))
    assert [e.headers for e in recorder.events] == [Event.from_frame(f).headers for f in frames]


def test_bgapi_refused_raises_and_generates_a_job_uuid(
    connect: Callable[..., EslConnection], switch: FakeSwitch
) -> None:
    connection = connect()
    assert connection.wait_connected(3)
    with pytest.raises(EslCommandError, match="bgapi refused"):
        connection.bgapi("fail now")
    job = connection.bgapi("status")
    assert len(job.job_uuid) == 36 and switch.commands[-1].endswith(f"Job-UUID: {job.job_uuid}")
    with pytest.raises(TimeoutError):
        job.get(timeout=0.01)


def test_handler_errors_do_not_stop_the_reader(switch: FakeSwitch, load_trace: Callable[[str], bytes]) -> None:
    seen: list[str] = []

    def fragile(event: Event) -> None:
        seen.append(event.name)
        raise RuntimeError("handler bug")

    connection = EslConnection("127.0.0.1", switch.port, PASSWORD, ["CHANNEL_PARK"], fragile)
    connection.start()
    try:
        assert connection.wait_connected(3)
        frames = event_frames(load_trace, "i_caller_id_header_injection.recv.raw") * 2
        switch.emit(b"".join(frame_bytes(f) for f in frames))
        wait_until(lambda: len(seen) == 2)
        assert connection.api("echo still alive") == "still alive"
    finally:
        connection.stop()


def test_lost_socket_fails_waiting_commands_then_reconnects_and_resubscribes(
    connect: Callable[..., EslConnection], switch: FakeSwitch, recorder: Recorder
) -> None:
    connection = connect(command_timeout=30)
    assert connection.wait_connected(3)
    waiting = gevent.spawn(outcome_of, connection.api, "never_answers")
    job = connection.bgapi("originate user/1000 &park")
    wait_until(lambda: switch.commands[-1] == SILENT)
    switch.drop()
    assert "lost" in str(waiting.get(timeout=3))
    with pytest.raises(EslConnectionError, match="lost"):
        job.get(timeout=3)
    wait_until(lambda: recorder.changes == [True, False, True])
    assert switch.connections == 2
    subscriptions = [c for c in switch.commands if c.startswith("event ")]
    assert len(subscriptions) == 2 and subscriptions[0] == subscriptions[1]
    assert connection.api("echo back") == "back"


def test_disconnect_notice_is_a_loss(
    connect: Callable[..., EslConnection], switch: FakeSwitch, recorder: Recorder
) -> None:
    connection = connect()
    assert connection.wait_connected(3)
    switch.emit(DISCONNECT)
    wait_until(lambda: recorder.changes == [True, False, True])
    assert connection.connected


def test_command_timeout_breaks_the_connection_and_reconnects(
    connect: Callable[..., EslConnection], switch: FakeSwitch, recorder: Recorder
) -> None:
    connection = connect(command_timeout=0.1)
    assert connection.wait_connected(3)
    with pytest.raises(EslConnectionError, match="no reply"):
        connection.api("never_answers")
    wait_until(lambda: recorder.changes == [True, False, True])
    assert switch.connections == 2
    assert connection.api("echo fresh") == "fresh"


def test_stop_says_exit_and_stays_down(
    connect: Callable[..., EslConnection], switch: FakeSwitch, recorder: Recorder
) -> None:
    connection = connect()
    assert connection.wait_connected(3)
    connection.stop()
    assert switch.commands[-1] == "exit"
    assert not connection.connected and recorder.changes == [True, False]
    assert switch.connections == 1


@pytest.mark.parametrize(
    "command", ["api status\n\nevent plain ALL", "api status\r", "", "api status\n", "\napi status"]
)
def test_send_refuses_text_that_would_split_into_two_commands(
    connect: Callable[..., EslConnection], command: str
) -> None:
    connection = connect()
    assert connection.wait_connected(3)
    with pytest.raises(UnsafeValueError):
        connection.send(command)


def test_commands_before_connecting_fail_at_once(switch: FakeSwitch) -> None:
    connection = EslConnection("127.0.0.1", switch.port, PASSWORD, ["CHANNEL_PARK"], lambda event: None)
    with pytest.raises(EslConnectionError, match="not connected"):
        connection.api("status")
    with pytest.raises(EslConnectionError, match="not connected"):
        connection.bgapi("status")


def test_api_and_bgapi_refuse_multiline_commands(connect: Callable[..., EslConnection]) -> None:
    connection = connect()
    assert connection.wait_connected(3)
    with pytest.raises(UnsafeValueError):
        connection.api("status\nJob-UUID: x")
    with pytest.raises(UnsafeValueError):
        connection.bgapi("status", "x\ny")


def test_subscribe_command_refuses_all_and_groups_custom_subclasses() -> None:
    assert subscribe_command(["CHANNEL_PARK", "sofia::register", "CHANNEL_PARK"]) == (
        "event plain CHANNEL_PARK BACKGROUND_JOB CUSTOM sofia::register"
    )
    for bad in (["ALL"], ["CUSTOM"], ["CHANNEL_PARK ALL"], [""]):
        with pytest.raises(UnsafeValueError):
            subscribe_command(bad)
