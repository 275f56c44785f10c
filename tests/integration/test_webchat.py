"""A web chat end to end over real HTTP with a real controller (and the simulator): the bot, the handover, an
agent with chat capacity, and a restart of the chat service on the same database."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
import jsonschema
import pytest

from ccswitch.http import openapi_document
from ccswitch.webchat.desk import ControllerDesk

from .chat_support import ChatSite, chat_site
from .conftest import ContactCentre, wait_until

SALES_AGENTS = ("1000", "1001")  # the sales agents who take chats (config/agents.yaml)
DOCUMENT: dict[str, Any] = openapi_document()  # type: ignore[assignment]


@pytest.fixture
def site(centre: ContactCentre, tmp_path: Path) -> Iterator[ChatSite]:
    yield from chat_site(centre, tmp_path, ControllerDesk(centre.controller))


def texts(site: ChatSite, conversation: str, token: str) -> list[tuple[str, str]]:
    status, reply, _ = site.call(f"/chat/api/conversations/{conversation}", token=token)
    assert status == 200
    return [(str(m["sender"]), str(m["text"])) for m in reply["messages"]]  # type: ignore[attr-defined]


def documented(reply: object, path: str, method: str = "get", status: str = "200") -> None:
    """``reply`` is what the OpenAPI document says ``method path`` answers."""
    schema = DOCUMENT["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    jsonschema.validate(reply, {**schema, "components": DOCUMENT["components"]})


def offered_to(site: ChatSite, conversation: str) -> str | None:
    for agent in SALES_AGENTS:
        status, chats, _ = site.call(f"/api/agents/{agent}/chats")
        assert status == 200
        if any(chat["id"] == conversation and chat["status"] == "offered" for chat in chats):  # type: ignore[attr-defined]
            return agent
    return None


def test_a_customer_talks_to_the_bot_then_to_an_agent_who_closes_with_a_disposition(site: ChatSite) -> None:
    status, reply, _ = site.call("/chat/api/conversations", "POST", {"name": "Anna", "topic": "sales"})
    assert status == 201
    conversation, token = str(reply["id"]), str(reply["token"])
    customer = f"/chat/api/conversations/{conversation}"

    assert site.call(f"{customer}/messages", "POST", {"text": "How much is the Router X1?"}, token=token)[0] == 201
    (_, greeting), (_, question), (sender, answer) = texts(site, conversation, token)
    assert sender == "bot" and "4 990" in answer

    status, reply, _ = site.call(f"{customer}/person", "POST", token=token)
    assert status == 200 and reply["status"] in ("queued", "bot")
    wait_until(lambda: offered_to(site, conversation) is not None, what="an offer to a sales agent who takes chats")
    agent = offered_to(site, conversation)
    chats = f"/api/agents/{agent}/chats/{conversation}"
    status, transcript, _ = site.call(chats)
    assert status == 200 and [m["text"] for m in transcript["messages"]][:2] == [greeting, question]  # type: ignore[index]
    documented(transcript, "/api/agents/{agent}/chats/{conversation}")
    documented(site.call(f"/api/agents/{agent}/chats")[1], "/api/agents/{agent}/chats")
    documented(site.call(customer, token=token)[1], "/chat/api/conversations/{conversation}")
    documented(site.call("/chat/api/topics")[1], "/chat/api/topics")

    status, reply, _ = site.call(f"{chats}/accept", "POST")
    assert (status, reply["status"], reply["agent"]) == (200, "with_agent", f"Agent {agent}")
    documented(reply, "/api/agents/{agent}/chats/{conversation}/accept", "post")
    assert site.call(f"{customer}/messages", "POST", {"text": "I want two of them"}, token=token)[0] == 201
    status, message, _ = site.call(f"{chats}/messages", "POST", {"text": "Sure, I will reserve two for you"})
    assert (status, message["sender"], message["author"]) == (201, "agent", f"Agent {agent}")  # a name, not an id
    assert [m.author for m in site.log.messages(conversation) if m.sender.value == "agent"] == [agent]  # the id kept
    documented(message, "/api/agents/{agent}/chats/{conversation}/messages", "post", "201")
    _, receipt, _ = site.upload(f"{chats}/attachments", None, "receipt.pdf", b"%PDF-1.4 receipt")
    attachment = receipt["attachment"]
    assert isinstance(attachment, dict)
    status, _, headers = site.call(f"{customer}/attachments/{attachment['id']}?token={token}")
    assert (status, headers["Content-Type"]) == (200, "application/pdf")  # the agent's file, to the customer
    status, reply, _ = site.call(f"{chats}/close", "POST", {"disposition": "sale"})
    assert (status, reply["status"]) == (200, "ended")

    assert texts(site, conversation, token)[-5:] == [
        ("system", f"Agent {agent} joined the chat."), ("customer", "I want two of them"),
        ("agent", "Sure, I will reserve two for you"), ("agent", ""), ("system", f"Agent {agent} closed the chat.")]
    record = site.log.get(conversation)
    assert record is not None and (record.agent, record.outcome, record.disposition) == (agent, "answered", "sale")
    wait_until(lambda: site.call(f"/api/agents/{agent}/chats")[1] == [], what="the agent's chats emptied")


def test_the_agents_stream_hears_the_offer_and_the_customers_messages(site: ChatSite) -> None:
    events: list[tuple[str, dict[str, object]]] = []
    streams = [urllib.request.urlopen(f"{site.url}/api/agents/{agent}/chats/events", timeout=10)
               for agent in SALES_AGENTS]

    def read(stream: object) -> None:
        name = ""
        for raw in stream:  # type: ignore[attr-defined]
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))

    readers = [gevent.spawn(read, stream) for stream in streams]
    status, reply, _ = site.call("/chat/api/conversations", "POST", {"name": "Boris", "topic": "sales"})
    assert status == 201
    conversation, token = str(reply["id"]), str(reply["token"])
    site.call(f"/chat/api/conversations/{conversation}/person", "POST", token=token)

    wait_until(lambda: ("offer", conversation) in [(name, data.get("id")) for name, data in events],
               what="the offer on an agent's stream")
    offer = next(data for name, data in events if name == "offer")
    assert offer["customer"] == {"name": "Boris", "email": "", "phone": ""} and offer["topic"] == "sales"
    site.call(f"/chat/api/conversations/{conversation}/messages", "POST", {"text": "Are you there?"}, token=token)
    wait_until(lambda: any(name == "message" and data.get("text") == "Are you there?" for name, data in events),
               what="the customer's message on the agent's stream")
    gevent.killall(readers)
    for stream in streams:
        stream.close()


def test_after_the_chat_service_restarts_every_message_is_there_and_the_bot_goes_on(
        centre: ContactCentre, tmp_path: Path) -> None:
    first = chat_site(centre, tmp_path, ControllerDesk(centre.controller))
    site = next(first)
    _, queued, _ = site.call("/chat/api/conversations", "POST", {"name": "Anna", "topic": "sales"})
    _, with_bot, _ = site.call("/chat/api/conversations", "POST", {"name": "Ivan", "topic": "sales"})
    for reply, text in ((queued, "operator"), (with_bot, "When are you open?")):
        site.call(f"/chat/api/conversations/{reply['id']}/messages", "POST", {"text": text}, token=str(reply["token"]))
    before = {str(reply["id"]): texts(site, str(reply["id"]), str(reply["token"])) for reply in (queued, with_bot)}
    next(first, None)  # stops the service, its log and its HTTP server

    again = chat_site(centre, tmp_path, ControllerDesk(centre.controller))
    site = next(again)
    after = {str(reply["id"]): texts(site, str(reply["id"]), str(reply["token"])) for reply in (queued, with_bot)}
    assert after == before
    status, reply, _ = site.call(f"/chat/api/conversations/{queued['id']}", token=str(queued["token"]))
    assert (status, reply["status"]) == (200, "queued")  # the engine holds it (offered to a sales agent, maybe)
    site.call(f"/chat/api/conversations/{with_bot['id']}/messages", "POST", {"text": "How much is the Router X1?"},
              token=str(with_bot["token"]))
    assert texts(site, str(with_bot["id"]), str(with_bot["token"]))[-1][0] == "bot"
    next(again, None)


def test_only_the_agent_offered_may_accept_and_a_decline_offers_it_to_the_other(site: ChatSite) -> None:
    status, reply, _ = site.call("/chat/api/conversations", "POST", {"name": "Vera", "topic": "sales"})
    conversation, token = str(reply["id"]), str(reply["token"])
    site.call(f"/chat/api/conversations/{conversation}/person", "POST", token=token)
    wait_until(lambda: offered_to(site, conversation) is not None, what="the first offer")
    first = offered_to(site, conversation)
    other = next(agent for agent in SALES_AGENTS if agent != first)

    status, reply, _ = site.call(f"/api/agents/{other}/chats/{conversation}/accept", "POST")
    assert (status, reply["error"]) == (409, "invalid_transition")
    assert site.call(f"/api/agents/{other}/chats/{conversation}")[0] == 404
    assert site.call(f"/api/agents/{first}/chats/{conversation}/decline", "POST")[0] == 200

    wait_until(lambda: offered_to(site, conversation) == other, what="the offer to the other agent")
    assert site.call(f"/api/agents/{other}/chats/{conversation}/accept", "POST")[0] == 200
    assert texts(site, conversation, token)[-1] == ("system", f"Agent {other} joined the chat.")


def test_a_transfer_to_a_queue_is_said_in_the_chat_and_offered_to_that_queues_chat_agent(site: ChatSite) -> None:
    status, reply, _ = site.call("/chat/api/conversations", "POST", {"name": "Oleg", "topic": "sales"})
    conversation, token = str(reply["id"]), str(reply["token"])
    site.call(f"/chat/api/conversations/{conversation}/person", "POST", token=token)
    wait_until(lambda: offered_to(site, conversation) is not None, what="the offer in sales")
    agent = offered_to(site, conversation)
    assert site.call(f"/api/agents/{agent}/chats/{conversation}/accept", "POST")[0] == 200

    status, reply, _ = site.call(f"/api/agents/{agent}/chats/{conversation}/transfer", "POST", {"queue": "support"})
    assert (status, reply["status"]) == (200, "queued")
    assert texts(site, conversation, token)[-1] == ("system", f"Agent {agent} transferred the chat to support.")
    wait_until(lambda: any(chat["id"] == conversation for chat in site.call("/api/agents/1005/chats")[1]),  # type: ignore[attr-defined]
               what="the offer to 1005, support's agent who takes chats")
    record = site.log.get(conversation)
    assert record is not None and record.queue == "support"
