"""The Event Socket server (inbound mode) in front of a SimSwitch: mod_event_socket.c's parse_command and
event_handler, reply texts from fs-traces f / g.

Each client has one greenlet reading commands; replies are written by it directly and events by a writer
greenlet,
both under one lock, so a reply usually precedes the events its command caused, as with the real switch.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
from dataclasses import dataclass, field

import gevent
import gevent.lock
import gevent.queue
from gevent.server import StreamServer

from ccswitch.sim import wire
from ccswitch.sim.api import execute_api, new_job_uuid
from ccswitch.sim.channel import Message
from ccswitch.sim.dialstring import AppCall, atoi, switch_true
from ccswitch.sim.switch import SimSwitch
from ccswitch.sim.wire import SimEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    """One client command: its first line and the header lines after it (sendmsg, bgapi Job-UUID)."""

    line: str
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return "\n".join([self.line, *(f"{name}: {value}" for name, value in self.headers)])

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


def split_commands(buffer: bytearray) -> list[Command]:
    """Take every complete command (lines up to a blank line; CR ignored) off the front of ``buffer``."""
    buffer[:] = buffer.replace(b"\r\n", b"\n")
    commands = []
    while (end := buffer.find(b"\n\n")) >= 0:
        lines = bytes(buffer[:end]).decode(errors="replace").split("\n")
        del buffer[: end + 2]
        headers = tuple((name, value) for name, _, value in (line.partition(": ") for line in lines[1:]) if value)
        commands.append(Command(lines[0].strip(), headers))
    return commands


@dataclass
class Subscription:
    """What one client listens to (event_handler in mod_event_socket.c)."""

    format: str = "plain"
    all_events: bool = False
    names: set[str] = field(default_factory=set)
    subclasses: set[str] = field(default_factory=set)
    filters: list[tuple[str, str]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.all_events or bool(self.names)

    def wants(self, event: SimEvent) -> bool:
        if self.all_events:
            send = True
        elif event.name == "CUSTOM":
            send = "CUSTOM" in self.names and (event.get("Event-Subclass") or "") in self.subclasses
        else:
            send = event.name in self.names
        return send and self._passes_filters(event)

    def _passes_filters(self, event: SimEvent) -> bool:
        """mod_event_socket.c event_handler: any matching filter lets the event through, a ``-`` filter that
        matches drops it; ``/regex/`` values match by regular expression."""
        if not self.filters:
            return True
        send = False
        for name, value in self.filters:
            actual = event.get(name)
            if actual is None:
                continue
            stripped = value.lstrip("+- ")
            signs = value[: len(value) - len(stripped)].replace(" ", "")
            positive = not signs.endswith("-")
            if send and positive:
                continue
            if value.startswith("/"):
                match = re.search(stripped.strip("/"), actual) is not None
            else:
                match = actual.lower() == stripped.lower()
            if match and not positive:
                return False
            send = send or match
        return send


class ClientSession:
    def __init__(self, server: EslServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.authed = False
        self.running = True
        self.subscription = Subscription()
        self._lock = gevent.lock.RLock()
        self._events: gevent.queue.Queue[bytes | None] = gevent.queue.Queue()
        self._unsubscribe = server.switch.subscribe(self._on_event)
        self._writer = gevent.spawn(self._write_events)

    def send(self, data: bytes) -> None:
        with self._lock:
            self.sock.sendall(data)

    def _on_event(self, event: SimEvent) -> None:
        if self.authed and self.subscription.active and self.subscription.wants(event):
            self._events.put(wire.event_frame(event, self.subscription.format))

    def _write_events(self) -> None:
        for frame in self._events:
            if frame is None:
                return
            try:
                self.send(frame)
            except OSError:
                return

    def serve(self) -> None:
        buffer = bytearray()
        try:
            self.send(wire.auth_request())
            while self.running:
                data = self.sock.recv(65536)
                if not data:
                    break
                buffer += data
                for command in split_commands(buffer):
                    self.server.commands_received.append(command.text)
                    self.handle(command)
                    if not self.running:
                        break
        except OSError:
            pass
        finally:
            self.close()

    def close(self) -> None:
        self.running = False
        self._unsubscribe()
        self._events.put(None)
        self._writer.join(timeout=1)
        with contextlib.suppress(OSError):
            self.sock.close()
        self.server.forget(self)

    def _finish_with_notice(self, reply_text: str) -> None:
        self.send(wire.command_reply(reply_text))
        self.send(wire.disconnect_notice())
        self.running = False

    def handle(self, command: Command) -> None:
        line = command.line
        verb, _, rest = line.partition(" ")
        if line.lower().startswith("exit"):
            self._finish_with_notice("+OK bye")
            return
        if not self.authed:
            if verb == "auth":
                if rest == self.server.password:
                    self.authed = True
                    self.send(wire.command_reply("+OK accepted"))
                else:
                    self._finish_with_notice("-ERR invalid")
            else:
                self.send(wire.command_reply("-ERR command not found"))
            return
        handler = _COMMANDS.get(verb.lower())
        if handler is None:
            self.send(wire.command_reply("-ERR command not found"))
        else:
            handler(self, rest.strip(), command)

    # ---- commands
    # --------------------------------------------------------------------------------------------
    def cmd_api(self, rest: str, command: Command) -> None:
        name, _, args = rest.partition(" ")
        self.send(wire.api_response(execute_api(self.server.switch, name, args.strip())))

    def cmd_bgapi(self, rest: str, command: Command) -> None:
        job_uuid = command.header("Job-UUID") or new_job_uuid()
        self.send(wire.command_reply(f"+OK Job-UUID: {job_uuid}", [("Job-UUID", job_uuid)]))
        self.server.switch.spawn(self._background_job, job_uuid, rest)

    def _background_job(self, job_uuid: str, rest: str) -> None:
        name, _, args = rest.partition(" ")
        args = args.strip()
        result = execute_api(self.server.switch, name, args)
        headers = [("Job-UUID", job_uuid), ("Job-Command", name)] + ([("Job-Command-Arg", args)] if args else [])
        self.server.switch.fire("BACKGROUND_JOB", headers, body=result)

    def cmd_event(self, rest: str, command: Command) -> None:
        words = rest.split()
        if words and words[0].lower() in ("plain", "json", "xml"):
            self.subscription.format = words.pop(0).lower()
        if not words:
            self.send(wire.command_reply("-ERR no keywords supplied"))
            return
        custom = False
        for word in words:
            if custom and word.upper() != word:
                self.subscription.subclasses.add(word)
            elif word == "ALL":
                self.subscription.all_events = True
            else:
                self.subscription.names.add(word)
                custom = custom or word == "CUSTOM"
        self.send(wire.command_reply(f"+OK event listener enabled {self.subscription.format}"))

    def cmd_nixevent(self, rest: str, command: Command) -> None:
        words = rest.split()
        if not words:
            self.send(wire.command_reply("-ERR no keywords supplied"))
            return
        for word in words:
            if word == "ALL":
                self.subscription.all_events = False
                self.subscription.names.clear()
            self.subscription.names.discard(word)
            self.subscription.subclasses.discard(word)
        self.send(wire.command_reply("+OK events nixed"))

    def cmd_noevents(self, rest: str, command: Command) -> None:
        if not self.subscription.active:
            self.send(wire.command_reply("-ERR not listening for events"))
            return
        self.subscription = Subscription(format=self.subscription.format, filters=self.subscription.filters)
        self.send(wire.command_reply("+OK no longer listening for events"))

    def cmd_filter(self, rest: str, command: Command) -> None:
        name, _, value = rest.partition(" ")
        if name.lower() == "delete" and value:
            name, _, value = value.partition(" ")
            if name.lower() == "all":
                self.subscription.filters.clear()
            else:
                self.subscription.filters[:] = [
                    (n, v) for n, v in self.subscription.filters if not (n == name and (not value or v == value))
                ]
            self.send(wire.command_reply(f"+OK filter deleted. [{name}][{value}]"))
        elif value:
            if name.lower() == "add":
                name, _, value = value.partition(" ")
            self.subscription.filters.append((name, value))
            self.send(wire.command_reply(f"+OK filter added. [{name}]=[{value}]"))
        else:
            self.send(wire.command_reply("-ERR invalid syntax"))

    def cmd_sendmsg(self, rest: str, command: Command) -> None:
        uuid = rest or command.header("session-id") or ""
        ch = self.server.switch.channel(uuid)
        if ch is None or not ch.up:
            self.send(wire.command_reply(f"-ERR invalid session id [{uuid}]"))
            return
        call_command = (command.header("call-command") or "").lower()
        if call_command == "execute":
            app = AppCall(command.header("execute-app-name") or "", command.header("execute-app-arg") or "")
            loops_header = command.header("loops")  # switch_ivr_parse_event: atoi, so "x" runs the app 0 times
            loops = 1 if loops_header is None else atoi(loops_header)
            message = Message("execute", app, command.header("Event-UUID"), loops,
                              event_lock=switch_true(command.header("event-lock")))
        elif call_command == "hangup":
            message = Message("hangup", hangup_cause=command.header("hangup-cause") or "NORMAL_CLEARING")
        else:
            self.send(wire.command_reply("-ERR invalid command"))
            return
        self.server.switch.deliver_message(ch, message)
        self.send(wire.command_reply("+OK"))

    def cmd_linger(self, rest: str, command: Command) -> None:
        self.send(wire.command_reply("-ERR not controlling a session"))


_COMMANDS = {
    "api": ClientSession.cmd_api,
    "bgapi": ClientSession.cmd_bgapi,
    "event": ClientSession.cmd_event,
    "nixevent": ClientSession.cmd_nixevent,
    "noevents": ClientSession.cmd_noevents,
    "filter": ClientSession.cmd_filter,
    "sendmsg": ClientSession.cmd_sendmsg,
    "linger": ClientSession.cmd_linger,
    "nolinger": ClientSession.cmd_linger,
}


class EslServer:
    """``EslServer(switch).start()`` listens on ``host:port`` (port 0 picks a free one: see ``.port``)."""

    def __init__(self, switch: SimSwitch, host: str = "127.0.0.1", port: int = 0, password: str = "ClueCon") -> None:
        self.switch = switch
        self.password = password
        self.commands_received: list[str] = []
        self._clients: set[ClientSession] = set()
        self._server = StreamServer((host, port), self._handle)

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    def start(self) -> EslServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop(timeout=1)
        self.drop_clients()
        self.switch.shutdown()

    def drop_clients(self) -> None:
        """Fault injection: close every client socket abruptly, no disconnect notice."""
        for client in list(self._clients):
            with contextlib.suppress(OSError):
                client.sock.shutdown(socket.SHUT_RDWR)
            client.close()

    def forget(self, client: ClientSession) -> None:
        self._clients.discard(client)

    def _handle(self, sock: socket.socket, address: tuple[str, int]) -> None:
        # Like mod_event_socket (listener_run), no Nagle delay: replies and events go out at once.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client = ClientSession(self, sock)
        self._clients.add(client)
        client.serve()
