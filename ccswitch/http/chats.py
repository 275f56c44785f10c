"""The web chat's agent side, under ``/api/agents/<agent>/chats``: the conversations offered to or held by the
agent, their transcripts (the bot's part included), the agent's actions and messages, and the agent's live stream;
and a customer's calls and chats together (``/api/customers/history``).

The path names the agent, so the routes' ``Access.AGENT`` lets the agent themselves, a supervisor of one of their
queues and an admin in; a conversation that is not the agent's is 404 to all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from flask import Response, request

from ccswitch.chat.messages import Customer, Sender
from ccswitch.history.model import phone_key
from ccswitch.http.errors import BadRequest, NotFound, json_response
from ccswitch.http.request import ApiRequest, sse_response, text
from ccswitch.http.webchat import chat_of, file_reply, follow, message_text, read_upload, send_file_as
from ccswitch.webchat.desk import AgentAction
from ccswitch.webchat.service import ChatService
from ccswitch.webchat.views import customer_view

ACTIONS = ("accept", "decline", "close", "transfer")


def chats(api: ApiRequest) -> object:
    """The agent's conversations now: offered and active, each with how long the customer's last line has waited
    for an answer (0 when the last line is not the customer's)."""
    chat, agent = chat_of(api), api.params["agent"]
    listed = []
    for held in chat.held_by(agent):
        record = chat.record(held.contact)
        if record is None:
            continue
        messages = chat.messages(held.contact)
        last = messages[-1] if messages else None
        waiting = api.now - last.at if last is not None and last.sender is Sender.CUSTOMER else 0.0
        listed.append({"id": record.id, "status": held.phase, "customer": customer_view(record.customer),
                       "topic": record.topic, "queue": record.queue, "unanswered_s": round(max(0.0, waiting), 1)})
    return listed


def transcript(api: ApiRequest) -> object:
    chat, conversation = _held(api)
    record = chat.record(conversation)
    assert record is not None  # _held found it
    status, _ = chat.status(conversation)
    return {"id": record.id, "status": status, "customer": customer_view(record.customer), "topic": record.topic,
            "queue": record.queue, "started_at": record.started_at, "ended_at": record.ended_at,
            "outcome": record.outcome, "disposition": record.disposition,
            "messages": [chat.message_view(message) for message in chat.messages(conversation)]}


def act(api: ApiRequest) -> object:
    chat, agent, conversation = chat_of(api), api.params["agent"], api.params["conversation"]
    action = cast(AgentAction, api.params["action"])
    to_queue, to_agent = text(api.body, "queue"), text(api.body, "agent")
    if action == "transfer" and (to_queue is None) == (to_agent is None):
        raise BadRequest('give one of "queue" or "agent" to transfer to')
    chat.agent_act(agent, conversation, action, disposition=text(api.body, "disposition"), to_queue=to_queue,
                   to_agent=to_agent)
    return chat.status_view(conversation)


def post_message(api: ApiRequest) -> Response:
    chat, conversation = _held(api)
    return json_response(201, chat.message_view(chat.agent_post(api.params["agent"], conversation,
                                                           message_text(api.body))))


def post_file(api: ApiRequest) -> Response:
    chat, conversation = _held(api)
    name, data = read_upload(chat.max_attachment_bytes)
    sent = send_file_as(chat, conversation, Sender.AGENT, api.params["agent"], name, data)
    return json_response(201, chat.message_view(sent))


def get_file(api: ApiRequest) -> Response:
    chat, conversation = _held(api)
    return file_reply(chat, conversation, api.params["attachment"])


def typing(api: ApiRequest) -> object:
    chat, conversation = _held(api)
    chat.typing(conversation, Sender.AGENT)
    return {}


def events(api: ApiRequest) -> Response:
    """Server-Sent Events of the agent's conversations ("offer", "message", "typing", "withdrawn", "connected",
    "requeued", "transferred", "ended"), each with the conversation's ``id``, after ``?after=<cursor>``."""
    feed = chat_of(api).agent_feed(api.params["agent"])
    raw = api.query.get("after") or request.headers.get("Last-Event-ID") or "0"
    if not raw.isdigit() or len(raw) > 12:
        raise BadRequest("'after' must be an event number")

    def stream() -> Iterator[str]:
        yield ": connected\n\n"  # the headers go with the first line: the client knows at once it is listening
        yield from follow(feed, int(raw), None)

    return sse_response(stream())


def customer_history(api: ApiRequest) -> object:
    """The calls and chats of the customer with this phone, e-mail or widget visitor id, newest first."""
    phone, email, identity = (api.query.get(key, "")[:254] for key in ("phone", "email", "identity"))
    if not (phone or email or identity):
        raise BadRequest("give phone, email or identity")
    customer = Customer(email=email.lower(), phone=phone_key(phone) if phone else "", identity=identity)
    return [{"channel": item.channel, "started_at": item.started_at, "queue": item.queue, "agent": item.agent,
             "outcome": item.outcome, "ref": item.ref} for item in chat_of(api).customer_history(customer)]


def _held(api: ApiRequest) -> tuple[ChatService, str]:
    chat, conversation = chat_of(api), api.params["conversation"]
    if not chat.is_held_by(conversation, api.params["agent"]):
        raise NotFound("no such conversation for this agent")
    return chat, conversation
