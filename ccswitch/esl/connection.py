"""Inbound ESL client: one TCP connection to one FreeSWITCH node, kept alive, carrying commands and events.

Theory of operation. ``start()`` spawns a supervisor greenlet that loops: connect (with a timeout), spawn a
reader greenlet, authenticate, subscribe to the named events, mark the connection up, then wait for the reader
to end. The reader owns the socket's receive side: it feeds ``FrameParser`` and dispatches each frame. Replies
(``auth/request``, ``command/reply``, ``api/response``) carry no id, so they are matched to senders in FIFO
order: a sender appends its waiter and writes its command under one lock, so queue order is write order.
Anything that makes FIFO matching untrustworthy (socket loss, ``text/disconnect-notice``, a reply nobody waits
for, a command timing out) closes the socket; the reader then fails every waiter and background job with
``EslConnectionError`` and the supervisor reconnects with exponential backoff and jitter.

greenswitch's ``InboundESL`` is not used here: its reader URL-decodes whole frames (header injection), it has
no timeouts on send or after connect, no reconnect, and runs handlers in its own queue greenlet; what is left
(``create_connection`` + ``auth``) is a few lines."""

from __future__ import annotations

import contextlib
import logging
import random
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import gevent
from gevent import socket
from gevent.event import AsyncResult
from gevent.event import Event as Flag
from gevent.lock import Semaphore

from ccswitch.errors import EslCommandError, EslConnectionError, EslError, EslProtocolError, UnsafeValueError
from ccswitch.esl import commands
from ccswitch.esl.event import Event
from ccswitch.esl.protocol import Frame, FrameParser

logger = logging.getLogger(__name__)

_RECV_BYTES = 256 * 1024
_REPLY_TYPES = frozenset({"auth/request", "command/reply", "api/response"})
_EVENT_TYPES = frozenset({"text/event-plain", "text/event-json"})
_ALWAYS_SUBSCRIBED = ("BACKGROUND_JOB",)  # bgapi results arrive as this event
_EXIT_TIMEOUT = 1.0


class BackgroundJob:
    """A ``bgapi`` command whose result arrives later as a ``BACKGROUND_JOB`` event."""

    def __init__(self, job_uuid: str) -> None:
        self.job_uuid = job_uuid
        self._result: AsyncResult = AsyncResult()

    def ready(self) -> bool:
        return bool(self._result.ready())

    def get(self, timeout: float) -> str:
        """The job's result text (``+OK …`` or ``-ERR …``); raises ``TimeoutError`` if not done in time."""
        self._result.wait(timeout)
        if not self._result.ready():
            raise TimeoutError(f"background job {self.job_uuid} not finished within {timeout}s")
        result: str = self._result.get()
        return result

    def _resolve(self, body: str) -> None:
        self._result.set(body)

    def _fail(self, error: EslError) -> None:
        self._result.set_exception(error)


@dataclass(eq=False)
class _Session:
    """Everything that lives exactly as long as one TCP connection."""

    sock: socket.socket
    parser: FrameParser = field(default_factory=FrameParser)
    waiters: deque[AsyncResult] = field(default_factory=deque)
    jobs: dict[str, BackgroundJob] = field(default_factory=dict)
    reader: gevent.Greenlet | None = None


class PendingReply:
    """The reply to a command already written, when it comes."""

    def __init__(self, address: tuple[str, int], session: _Session, waiter: AsyncResult, verb: str,
                 default_timeout: float) -> None:
        self._address = address
        self._session = session
        self._waiter = waiter
        self._verb = verb
        self._default_timeout = default_timeout

    def result(self, timeout: float | None = None) -> Frame:
        """The reply frame; EslConnectionError if the connection died or no reply came in time."""
        timeout = timeout or self._default_timeout
        with gevent.Timeout(timeout, False):
            frame: Frame = self._waiter.get()
            return frame
        logger.warning("ESL %s:%s: no reply to %s within %ss; reconnecting", *self._address, self._verb, timeout)
        # The late reply would be matched to the next sender: this connection cannot be trusted any more.
        self._session.sock.close()
        raise EslConnectionError(f"no reply to {self._verb} within {timeout}s")


class EslConnection:
    """A self-healing inbound ESL connection.

    ``on_event`` runs in the reader greenlet for every subscribed event: it must only enqueue (no I/O, no
    blocking), or it stalls every command reply behind it. ``on_connection_change(True)`` runs after each
    (re)subscription, ``(False)`` after each loss.
    """

    def __init__(
        self,
        host: str,
        port: int,
        password: str,
        events: Sequence[str],
        on_event: Callable[[Event], None],
        on_connection_change: Callable[[bool], None] | None = None,
        connect_timeout: float = 5.0,
        command_timeout: float = 10.0,
        backoff_initial: float = 0.2,
        backoff_max: float = 10.0,
    ) -> None:
        self._address = (host, port)
        self._auth_command = commands.auth(password)
        self._subscribe_command = subscribe_command(events)
        self._on_event = on_event
        self._on_connection_change = on_connection_change
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._write_lock = Semaphore()
        self._up = Flag()
        self._session: _Session | None = None
        self._supervisor: gevent.Greenlet | None = None
        self._stopping = False

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._supervisor is None:
            self._stopping = False
            self._supervisor = gevent.spawn(self._supervise)

    def stop(self) -> None:
        """Say ``exit`` if connected, close the socket and stop reconnecting."""
        self._stopping = True
        session = self._session
        if session is not None and self.connected:
            with contextlib.suppress(EslError):
                self._exchange(session, "exit", _EXIT_TIMEOUT)
        if self._supervisor is not None:
            self._supervisor.kill()
            self._supervisor = None

    @property
    def connected(self) -> bool:
        return bool(self._up.is_set())

    def wait_connected(self, timeout: float) -> bool:
        return bool(self._up.wait(timeout))

    # -- commands -------------------------------------------------------------------------------------------

    def send(self, command: str, timeout: float | None = None) -> Frame:
        """Send one complete command (``"\\n\\n"`` is appended) and return its reply frame."""
        return self.write(command).result(timeout)

    def write(self, command: str) -> PendingReply:
        """Write one complete command now and return its pending reply. FreeSWITCH runs a socket's commands in
        order and answers them in order, so the next command may be written before this one is answered."""
        _check_command(command)
        return self._write(self._live_session(), command)

    def api(self, command: str, timeout: float | None = None) -> str:
        """Run ``api <command>`` and return the response body as is (``-ERR …`` included)."""
        frame = self.send(commands.api(command), timeout)
        if frame.content_type != "api/response":
            raise EslProtocolError(f"api {command.split(' ', 1)[0]}: got {frame.content_type!r}")
        return frame.body.decode("utf-8", "replace")

    def api_ok(self, command: str, timeout: float | None = None) -> str:
        """Like ``api`` but raises ``EslCommandError`` when the body starts with ``-ERR``."""
        text = self.api(command, timeout)
        if text.startswith("-ERR"):
            raise EslCommandError(f"api {command.split(' ', 1)[0]}: {text.strip()}")
        return text

    def bgapi(self, command: str, job_uuid: str | None = None) -> BackgroundJob:
        """Start ``bgapi <command>`` under ``job_uuid`` (a new uuid4 by default); its result comes later."""
        job = BackgroundJob(job_uuid or str(uuid.uuid4()))
        text = commands.bgapi(command, job.job_uuid)
        session = self._live_session()
        # Registered before sending: the result must find its job whatever the timing.
        session.jobs[job.job_uuid] = job
        try:
            reply_text = _reply_text(self.send(text))
            if reply_text.startswith("-ERR"):
                raise EslCommandError(f"bgapi {command.split(' ', 1)[0]}: {reply_text}")
        except EslError:
            session.jobs.pop(job.job_uuid, None)
            raise
        return job

    # -- internals ------------------------------------------------------------------------------------------

    def _live_session(self) -> _Session:
        session = self._session
        if session is None or not self.connected:
            raise EslConnectionError(f"not connected to {self._address[0]}:{self._address[1]}")
        return session

    def _exchange(self, session: _Session, command: str, timeout: float) -> Frame:
        """Write ``command`` and wait for its reply."""
        return self._write(session, command).result(timeout)

    def _write(self, session: _Session, command: str) -> PendingReply:
        """Queue a waiter for the next reply and write ``command`` (replies come in the order commands were
        written, so the waiter is queued under the same lock as the write)."""
        waiter: AsyncResult = AsyncResult()
        with self._write_lock:
            session.waiters.append(waiter)
            try:
                session.sock.sendall(command.encode() + b"\n\n")
            except OSError as exc:
                session.sock.close()
                raise EslConnectionError(f"write failed: {exc}") from exc
        # Never the whole text in messages: "auth" carries the password.
        return PendingReply(self._address, session, waiter, command.split(" ", 1)[0], self._command_timeout)

    def _supervise(self) -> None:
        delay = self._backoff_initial
        while True:
            try:
                self._run_session()
                delay = self._backoff_initial
            except (EslError, OSError) as exc:
                logger.warning("ESL %s:%s: %s", *self._address, exc)
            except Exception:
                logger.exception("ESL %s:%s: unexpected error", *self._address)
            pause = delay * random.uniform(1.0, 1.1)
            logger.info("ESL %s:%s: reconnecting in %.2fs", *self._address, pause)
            gevent.sleep(pause)
            delay = min(delay * 2, self._backoff_max)

    def _run_session(self) -> None:
        """One connection from connect to loss; returns after a connection that was up, raises otherwise."""
        sock = socket.create_connection(self._address, timeout=self._connect_timeout)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session = _Session(sock)
        session.waiters.append(greeting := AsyncResult())
        session.reader = gevent.spawn(self._read, session)
        self._session = session
        try:
            self._handshake(session, greeting)
            self._set_up(True)
            logger.info("ESL %s:%s: connected and subscribed", *self._address)
            reason = session.reader.get()
            level = logging.INFO if self._stopping else logging.WARNING
            logger.log(level, "ESL %s:%s: connection closed: %s", *self._address, reason)
        finally:
            sock.close()
            session.reader.kill()
            self._session = None
            if self.connected:
                self._set_up(False)

    def _handshake(self, session: _Session, greeting: AsyncResult) -> None:
        with gevent.Timeout(self._command_timeout, EslConnectionError("no auth/request from FreeSWITCH")):
            frame: Frame = greeting.get()
        if frame.content_type != "auth/request":
            raise EslProtocolError(f"expected auth/request, got {frame.content_type!r}")
        reply = self._exchange(session, self._auth_command, self._command_timeout)
        if not _reply_text(reply).startswith("+OK"):
            logger.error("ESL %s:%s: authentication failed: %s", *self._address, _reply_text(reply))
            raise EslConnectionError("authentication failed")
        reply = self._exchange(session, self._subscribe_command, self._command_timeout)
        if not _reply_text(reply).startswith("+OK"):
            raise EslConnectionError(f"event subscription refused: {_reply_text(reply)}")

    def _read(self, session: _Session) -> EslError | OSError:
        """The reader greenlet: dispatch frames until the connection ends; returns why it ended."""
        reason: EslError | OSError
        try:
            while True:
                data = session.sock.recv(_RECV_BYTES)
                if not data:
                    raise EslConnectionError("FreeSWITCH closed the connection")
                for frame in session.parser.feed(data):
                    self._dispatch(session, frame)
                # recv() returns without yielding while data is buffered. sleep(0) is not enough: gevent
                # only checks timers after ~50 queued callbacks (a 50 ms stall measured in a burst); idle()
                # resumes once the loop has run every pending timer and I/O callback.
                gevent.idle()
        except (EslError, OSError) as exc:
            reason = exc
        finally:
            session.sock.close()
            self._fail_pending(session)
        return reason

    def _dispatch(self, session: _Session, frame: Frame) -> None:
        content_type = frame.headers.get("Content-Type")
        if content_type in _EVENT_TYPES:
            event = Event.from_frame(frame)
            if event.name == "BACKGROUND_JOB":
                job = session.jobs.pop(event.job_uuid or "", None)
                if job is not None:
                    job._resolve(event.body or "")
            try:
                self._on_event(event)
            except Exception:
                logger.exception("ESL event handler failed on %s %s", event.name, event.unique_id)
        elif content_type in _REPLY_TYPES:
            if not session.waiters:
                raise EslProtocolError(f"{content_type} with no command waiting")
            session.waiters.popleft().set(frame)
        elif content_type in ("text/disconnect-notice", "text/rude-rejection"):
            raise EslConnectionError(f"FreeSWITCH sent {content_type}: {frame.body[:200]!r}")
        else:
            logger.debug("ESL %s:%s: ignoring frame of type %s", *self._address, content_type)

    def _fail_pending(self, session: _Session) -> None:
        error = EslConnectionError(f"connection to {self._address[0]}:{self._address[1]} lost")
        while session.waiters:
            session.waiters.popleft().set_exception(error)
        for job in session.jobs.values():
            job._fail(error)
        session.jobs.clear()

    def _set_up(self, up: bool) -> None:
        if up:
            self._up.set()
        else:
            self._up.clear()
        if self._on_connection_change is not None:
            try:
                self._on_connection_change(up)
            except Exception:
                logger.exception("ESL on_connection_change(%s) failed", up)


def subscribe_command(events: Sequence[str]) -> str:
    """``event plain <names> [CUSTOM <subclasses>]``; ``a::b`` names are CUSTOM subclasses, ALL is refused."""
    names: list[str] = []
    subclasses: list[str] = []
    for name in [*events, *_ALWAYS_SUBSCRIBED]:
        if name in ("ALL", "CUSTOM"):
            raise UnsafeValueError(f"subscribe to named events or CUSTOM subclasses, not {name}")
        target = subclasses if "::" in name else names
        if name not in target:
            target.append(name)
    # mod_event_socket.c (parse_command, "event"): every word after CUSTOM is a subclass.
    return commands.event_plain([*names, *(["CUSTOM", *subclasses] if subclasses else [])])


def _check_command(command: str) -> None:
    """One complete command: lines, but no blank line or CR (either would start a second command)."""
    if not command or "\r" in command or "\n\n" in command or command.strip("\n") != command:
        raise UnsafeValueError(f"command must be non-empty lines without blank lines or CR: {command!r}")


def _reply_text(frame: Frame) -> str:
    return frame.headers.get("Reply-Text", "")
