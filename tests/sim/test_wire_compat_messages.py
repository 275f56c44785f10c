"""The simulator against the real switch sending SIP MESSAGE (tests/fixtures/fs-traces/o): the trace's commands
replayed with phone 1000 registered get the same answers (``false``/``true`` for mod_sms, ``Error! Message Not
Sent`` for a ``to`` without a profile, ``Sent`` for ``internal/1000@…``), and the MESSAGE events that follow carry
the trace's headers, values and body."""

from __future__ import annotations

from ccswitch.sim.core import SentMessage
from ccswitch.sim.messages import SIP_TIMER_F_S
from ccswitch.sim.scripts import AgentPhone
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import SPEED, TRACES, PlainEvent, RawClient, wait_until
from tests.sim.test_wire_compat import replies, trace_frames

NAME = "o_sip_message_sms"
# Every event's standard headers (their values differ run to run); the rest of a MESSAGE event is compared.
_STANDARD = {"Event-Name", "Core-UUID", "FreeSWITCH-Hostname", "FreeSWITCH-Switchname", "FreeSWITCH-IPv4",
             "FreeSWITCH-IPv6", "Event-Date-Local", "Event-Date-GMT", "Event-Date-Timestamp", "Event-Calling-File",
             "Event-Calling-Function", "Event-Calling-Line-Number", "Event-Sequence"}


def _sent_messages(events: list) -> list[tuple[tuple[str, str], ...]]:
    """The MESSAGE events ``api chat`` fired (proto global), their own headers in order, and the body."""
    return [(*((name, value) for name, value in event.headers if name not in _STANDARD), ("body", event.body))
            for event in events if event.name == "MESSAGE" and event.get("proto") == "global"]


def _calling(events: list) -> list[tuple[str | None, str | None]]:
    return [(e.get("Event-Calling-File"), e.get("Event-Calling-Function")) for e in events
            if e.name == "MESSAGE" and e.get("proto") == "global"]


def test_chat_answers_and_message_events_match_trace_o(server: EslServer, switch: SimSwitch) -> None:
    switch.modules.discard("mod_sms")  # as the traced switch was: not loaded
    switch.add_phone(AgentPhone("1000"))
    commands = [c for c in (TRACES / f"{NAME}.sent.raw").read_text().split("\n\n") if c]
    client = RawClient(server.port).login(commands[1])
    for command in commands[2:]:
        if command.startswith("sendevent") or command == "hello via SEND_MESSAGE":  # part 3 (and its body)
            continue
        client.command(command) if command != "exit" else client.send(command)
    wait_until(lambda: client.closed)

    real = trace_frames(f"{NAME}.recv.raw")
    sendevent_reply = next(r for r in replies(real) if r.startswith("+OK ") and len(r) == 40)
    assert replies(client.frames) == [r for r in replies(real) if r != sendevent_reply]
    assert "Sent" in replies(client.frames) and "Error! Message Not Sent" in replies(client.frames)

    real_events = [PlainEvent.parse(f.body) for f in real if f.content_type == "text/event-plain"]
    assert _sent_messages(client.events()) == _sent_messages(real_events)
    assert _calling(client.events()) == _calling(real_events)
    assert switch.messages == [SentMessage("88005550556@127.0.0.1", "internal/1000@127.0.0.1",
                                           "hello back, Здравствуйте", "text/html")]


def test_an_unregistered_phone_and_too_few_fields_are_not_sent(server: EslServer, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1001", behaviour="unregistered"))
    client = RawClient(server.port).login("event plain MESSAGE")
    assert client.command("api chat sip|a@h|internal/1001@h|hi").body == b"Error! Message Not Sent"
    assert client.command("api chat sip|a@h|internal/1001@h").body == b"Invalid"
    assert client.command("api chat sip|a@h|external/79161234567@sms.example|hi|text/plain").body == b"Sent"
    failed = client.wait_event("MESSAGE")
    assert (failed.get("Delivery-Failure"), failed.get("Delivery-Result-Code")) == ("true", None)
    assert switch.messages == [SentMessage("a@h", "external/79161234567@sms.example", "hi", "text/plain")]


def test_api_chat_blocks_its_socket_until_the_phone_answers_and_bgapi_does_not(server: EslServer,
                                                                                switch: SimSwitch) -> None:
    """Trace o: sofia sends the MESSAGE blocking and answers ``Sent`` after the phone's 200. An ``api`` sent
    behind an ``api chat`` on the same socket is answered after it; behind a ``bgapi chat``, before its job."""
    switch.add_phone(AgentPhone("1000", message_answer_s=1.0 * SPEED))  # a wall second, under timer F
    client = RawClient(server.port).login("event plain BACKGROUND_JOB")
    before = len(client.replies())
    client.send("api chat sip|a@h|internal/1000@h|first")
    client.send("api global_getvar hostname")
    wait_until(lambda: len(client.replies()) >= before + 2, timeout=10)
    assert [frame.body for frame in client.replies()[before:]] == [b"Sent", b"vm"]

    client.send("bgapi chat sip|a@h|internal/1000@h|second")
    client.send("api global_getvar hostname")
    wait_until(lambda: len(client.replies()) >= before + 4, timeout=10)
    job, answer = client.replies()[before + 2:]
    assert (job.headers["Reply-Text"][:14], answer.body) == ("+OK Job-UUID: ", b"vm")
    assert not [e for e in client.events() if e.name == "BACKGROUND_JOB"]  # the phone has not answered yet
    assert client.wait_event("BACKGROUND_JOB").body == "Sent"


def test_a_phone_that_never_answers_the_message_fails_after_sip_timer_f(server: EslServer,
                                                                        switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", message_answer_s=None))
    client = RawClient(server.port).login("event plain MESSAGE")
    started = switch.clock.now()
    assert client.command("api chat sip|a@h|internal/1000@h|hello").body == b"Error! Message Not Sent"
    assert switch.clock.now() - started >= SIP_TIMER_F_S
    assert client.wait_event("MESSAGE").get("Delivery-Failure") == "true"
    assert switch.messages == []
