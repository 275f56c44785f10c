"""An agent on a call sends the caller a PDF over real TCP: the HTTP API with users and tokens, the controller, the
simulated switch's ``api chat``. The caller's phone (or the carrier) receives a SIP MESSAGE with the link; the link
serves the file until it expires; another agent is refused."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import pytest

from ccswitch.auth.gate import Gate
from ccswitch.auth.users import Role, User, new_token, save_users, with_token
from ccswitch.config import Config
from ccswitch.config.model import DocumentSettings, TrunkMessages
from ccswitch.http import serve_http
from ccswitch.sim import AgentPhone
from ccswitch.sim.people import CallerScript

from .conftest import ContactCentre, wait_until
from .test_call_control import unrecorded

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SENDER = "88005550556@127.0.0.1"


@dataclass
class Desk:
    url: str
    centre: ContactCentre
    tokens: dict[str, str]  # agent id -> their API token


def with_documents(folder: Path, library: Path) -> Callable[[Config], Config]:
    def configure(config: Config) -> Config:
        documents = DocumentSettings(SENDER, "https://cc.example.com", folder, link_ttl_s=3600, phones="internal",
                                     trunk=TrunkMessages("external", "sms.carrier.example"),
                                     library=MappingProxyType({"price-list": library}))
        return replace(unrecorded(config), documents=documents)
    return configure


def connected(centre: ContactCentre, from_phone: str | None = None) -> tuple[str, str]:
    """A support call talking to its agent: (caller uuid, agent id); from the trunk, or from ``from_phone``."""
    script = CallerScript(dtmf=("2",), talk_s=600, caller_number=from_phone or "79161234567")
    caller = centre.switch.place_call(script, from_phone=from_phone)
    engine = centre.controller.engine
    wait_until(lambda: engine.calls.get(caller) is not None and engine.calls[caller].agent_leg is not None
               and engine.calls[caller].connected_at is not None, what="the agent to answer")
    agent = engine.calls[caller].agent
    assert agent is not None
    return caller, agent


def desk(centre: ContactCentre, tmp_path: Path) -> Desk:
    """The HTTP API with one agent user per configured agent (user = agent id)."""
    tokens = {agent: new_token() for agent in centre.controller.config.agents}
    save_users(tmp_path / "users.yaml", {agent: with_token(User(agent, Role.AGENT, agent=agent), "tests", token)
                                         for agent, token in tokens.items()})
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller,
                        gate=Gate(tmp_path / "users.yaml", centre.controller.clock.now))
    return Desk(f"http://127.0.0.1:{server.server_port}", centre, tokens)


def post_form(url: str, token: str, fields: dict[str, str], file: tuple[str, bytes] | None = None
              ) -> tuple[int, dict[str, object]]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    if file is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file[0]}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + file[1] + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}",
                                                 "Authorization": f"Bearer {token}"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read(), dict(reply.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "price-list.pdf"
    path.write_bytes(PDF)
    return path


def test_an_agent_sends_a_pdf_to_a_caller_on_a_registered_phone_and_the_link_serves_it_until_it_expires(
        centre_factory: Callable[..., ContactCentre], tmp_path: Path, library: Path) -> None:
    phones = (*(AgentPhone(f"100{n}", answer_after_s=1.0, talk_s=600) for n in range(10)), AgentPhone("1050"))
    centre = centre_factory(phones=phones, configure=with_documents(tmp_path / "documents", library))
    caller, agent = connected(centre, from_phone="1050")
    api = desk(centre, tmp_path)
    other = next(each for each in api.tokens if each != agent)

    status, refused = post_form(f"{api.url}/api/calls/{caller}/document", api.tokens[other], {"text": "hi"},
                                ("offer.pdf", PDF))
    assert (status, refused["error"]) == (403, "forbidden")

    status, sent = post_form(f"{api.url}/api/calls/{caller}/document", api.tokens[agent],
                             {"text": "Here's our offer"}, ("offer.pdf", PDF))
    assert status == 200, sent
    assert (sent["sent"], sent["to"], sent["name"], sent["reason"]) == (True, "internal/1050@127.0.0.1",
                                                                        "offer.pdf", "")
    link = str(sent["link"])
    assert link.startswith("https://cc.example.com/files/")
    (message,) = centre.switch.messages
    assert (message.sender, message.to, message.text) == (SENDER, "internal/1050@127.0.0.1",
                                                          f"Here\u2019s our offer {link}")
    chat_commands = [c.split("\n", 1)[0] for c in centre.server.commands_received if c.startswith("bgapi chat ")]
    assert chat_commands == [f"bgapi chat sip|{SENDER}|internal/1050@127.0.0.1|Here\u2019s our offer {link}|text/plain"]

    served = link.replace("https://cc.example.com", api.url)
    status, body, headers = fetch(served)
    assert (status, body, headers["Content-Type"], headers["X-Content-Type-Options"]) == (
        200, PDF, "application/pdf", "nosniff")
    assert fetch(served)[0] == 200  # a link lasts until it expires (a carrier's preview must not use it up)
    assert fetch(f"{api.url}/files/{'x' * 32}")[0] == 404
    token = link.rsplit("/", 1)[1]
    assert centre.controller.documents.link(token, centre.clock.now() + 3601) is None  # an hour on: expired ...
    assert fetch(served)[0] == 404  # ... and forgotten
    assert centre.controller.metrics.documents_sent.labels("sent")._value.get() == 1

    centre.switch.set_phone(AgentPhone("1050", behaviour="unregistered"))  # the softphone went away
    status, failed = post_form(f"{api.url}/api/calls/{caller}/document", api.tokens[agent], {"text": "again"},
                               ("offer.pdf", PDF))
    assert status == 200, failed
    assert (failed["sent"], failed["reason"], failed["link"]) == (False, "Error! Message Not Sent", None)
    assert len(centre.switch.messages) == 1
    assert centre.controller.metrics.documents_sent.labels("not_sent")._value.get() == 1


def test_a_trunk_caller_gets_the_carrier_message_and_a_library_document(
        centre_factory: Callable[..., ContactCentre], tmp_path: Path, library: Path) -> None:
    centre = centre_factory(phones=tuple(AgentPhone(f"100{n}", answer_after_s=1.0, talk_s=600) for n in range(10)),
                            configure=with_documents(tmp_path / "documents", library))
    caller, agent = connected(centre)
    api = desk(centre, tmp_path)
    status, sent = post_form(f"{api.url}/api/calls/{caller}/document", api.tokens[agent],
                             {"document": "price-list", "text": "Prices"})
    assert status == 200, sent
    assert (sent["sent"], sent["to"], sent["name"]) == (True, "external/79161234567@sms.carrier.example",
                                                        "price-list.pdf")
    served = str(sent["link"]).replace("https://cc.example.com", api.url)
    assert fetch(served)[0] == 200
    library.unlink()  # the file went (pruned, or a controller that does not share the folder)
    status, body, _ = fetch(served)
    assert (status, json.loads(body)["message"]) == (404, "this file is no longer kept here")
    status, missing = post_form(f"{api.url}/api/calls/{caller}/document", api.tokens[agent], {"document": "menu"})
    assert (status, missing["error"]) == (404, "not_found")
    status, html = post_form(f"{api.url}/api/calls/{caller}/document", api.tokens[agent], {"text": "x"},
                             ("offer.pdf", b"<html><script>alert(1)</script>"))
    assert (status, html["error"]) == (415, "unsupported_media_type")
    assert len(centre.switch.messages) == 1


def test_without_a_way_to_the_trunk_caller_it_is_refused_before_anything_is_sent(
        centre_factory: Callable[..., ContactCentre], tmp_path: Path, library: Path) -> None:
    def phones_only(config: Config) -> Config:
        config = with_documents(tmp_path / "documents", library)(config)
        return replace(config, documents=replace(config.documents, trunk=None))

    centre = centre_factory(phones=tuple(AgentPhone(f"100{n}", answer_after_s=1.0, talk_s=600) for n in range(10)),
                            configure=phones_only)
    caller, agent = connected(centre)
    api = desk(centre, tmp_path)
    status, refused = post_form(f"{api.url}/api/calls/{caller}/document", api.tokens[agent], {"text": "x"},
                                ("offer.pdf", PDF))
    assert (status, refused["error"]) == (409, "document_not_sendable")
    assert "documents.trunk" in str(refused["message"])
    assert not [c for c in centre.server.commands_received if "chat sip|" in c]
    assert not (tmp_path / "documents").exists()  # nothing was kept either
