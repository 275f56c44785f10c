"""The web chat's customer routes over real HTTP: tokens, limits, content types, CORS, the live stream."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import gevent
import pytest

from ccswitch.webchat.desk import ControllerDesk

from .chat_support import ChatSite, chat_site
from .conftest import ContactCentre

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
ANNA = {"name": "Anna", "email": "Anna@Example.com", "topic": "sales"}


@pytest.fixture
def site(centre: ContactCentre, tmp_path: Path) -> Iterator[ChatSite]:
    yield from chat_site(centre, tmp_path, ControllerDesk(centre.controller))


def start(site: ChatSite, **changes: object) -> tuple[str, str]:
    status, reply, _ = site.call("/chat/api/conversations", "POST", {**ANNA, **changes})
    assert status == 201, reply
    return str(reply["id"]), str(reply["token"])


def test_topics_say_whether_a_person_can_answer(site: ChatSite) -> None:
    status, reply, _ = site.call("/chat/api/topics")
    assert (status, reply) == (200, {"open": True, "reason": None, "topics": [
        {"name": "sales", "label": "Sales"}, {"name": "support", "label": "Support"}]})


def test_a_conversation_starts_with_the_bots_greeting(site: ChatSite) -> None:
    conversation, token = start(site)
    status, reply, _ = site.call(f"/chat/api/conversations/{conversation}", token=token)

    assert status == 200 and reply["status"] == "bot"
    (greeting,) = reply["messages"]  # type: ignore[misc]
    assert (greeting["seq"], greeting["sender"], greeting["author"]) == (1, "bot", "shop")
    assert site.log.get(conversation).customer.email == "anna@example.com"  # type: ignore[union-attr]


def test_without_a_token_401_with_another_conversations_404(site: ChatSite) -> None:
    mine, _ = start(site)
    _, other_token = start(site)

    status, reply, headers = site.call(f"/chat/api/conversations/{mine}")
    assert (status, reply["error"]) == (401, "not_authenticated")
    assert headers["WWW-Authenticate"].startswith("Bearer")
    status, reply, _ = site.call(f"/chat/api/conversations/{mine}/messages", "POST", {"text": "hi"},
                                 token=other_token)
    assert (status, reply["error"]) == (404, "not_found")
    assert len(site.log.messages(mine)) == 1


def test_a_huge_message_is_413_unread(site: ChatSite) -> None:
    conversation, token = start(site)
    status, reply, _ = site.call(f"/chat/api/conversations/{conversation}/messages", "POST",
                                 {"text": "x" * 100_000}, token=token)
    assert (status, reply["error"]) == (413, "body_too_large")


def test_a_message_over_the_length_limit_says_the_limit(site: ChatSite) -> None:
    conversation, token = start(site)
    status, reply, _ = site.call(f"/chat/api/conversations/{conversation}/messages", "POST",
                                 {"text": "x" * 2001}, token=token)
    assert (status, reply["error"]) == (400, "bad_request") and "2000" in str(reply["message"])


def test_a_file_goes_up_and_comes_back_to_its_customer_only(site: ChatSite) -> None:
    conversation, token = start(site)
    _, other_token = start(site)
    status, message, _ = site.upload(f"/chat/api/conversations/{conversation}/attachments", token, "photo.png", PNG)
    assert status == 201 and message["sender"] == "customer"
    attachment = message["attachment"]
    assert isinstance(attachment, dict) and attachment["media_type"] == "image/png"
    path = f"/chat/api/conversations/{conversation}/attachments/{attachment['id']}"

    status, _, headers = site.call(f"{path}?token={token}")
    assert (status, headers["Content-Type"], headers["X-Content-Type-Options"]) == (200, "image/png", "nosniff")
    assert headers["Content-Disposition"].startswith("attachment")
    assert site.call(path, token=other_token)[0] == 404


def test_a_file_of_a_type_not_taken_is_415_saying_what_was_seen(site: ChatSite) -> None:
    conversation, token = start(site)
    status, reply, _ = site.upload(f"/chat/api/conversations/{conversation}/attachments", token, "x.png",
                                   b"<html><script>alert(1)</script>")
    assert (status, reply["error"]) == (415, "unsupported_media_type")
    assert "PNG" in str(reply["message"])


def test_a_file_over_the_limit_is_413_before_it_is_read(site: ChatSite) -> None:
    conversation, token = start(site)
    status, reply, _ = site.upload(f"/chat/api/conversations/{conversation}/attachments", token, "big.png",
                                   PNG + b"\0" * (11 * 2**20))
    assert (status, reply["error"]) == (413, "body_too_large") and "10 MB" in str(reply["message"])


def test_a_json_body_to_the_upload_is_415(site: ChatSite) -> None:
    conversation, token = start(site)
    status, reply, _ = site.call(f"/chat/api/conversations/{conversation}/attachments", "POST", {"file": "x"},
                                 token=token)
    assert (status, reply["error"]) == (415, "unsupported_media_type") and "multipart" in str(reply["message"])


@pytest.mark.parametrize(("body", "problem"), [
    ({"email": "a@b.c", "topic": "sales"}, "'name'"),
    ({"name": "Anna", "topic": "sales", "email": "not-an-address"}, "'email'"),
    ({"name": "Anna", "topic": "sales", "phone": "call me maybe"}, "'phone'"),
    ({"name": "Anna"}, "'topic'"),
])
def test_a_bad_pre_chat_form_is_400_naming_the_field(site: ChatSite, body: dict[str, str], problem: str) -> None:
    status, reply, _ = site.call("/chat/api/conversations", "POST", body)
    assert (status, reply["error"]) == (400, "bad_request") and problem in str(reply["message"])


def test_an_unknown_topic_is_404_naming_the_known_ones(site: ChatSite) -> None:
    status, reply, _ = site.call("/chat/api/conversations", "POST", {**ANNA, "topic": "billing"})
    assert status == 404 and "sales, support" in str(reply["message"])


def test_starting_conversations_is_rate_limited_per_address(site: ChatSite) -> None:
    for _ in range(10):
        start(site)
    status, reply, headers = site.call("/chat/api/conversations", "POST", ANNA)
    assert (status, reply["error"]) == (429, "too_many_attempts") and int(headers["Retry-After"]) > 0


def test_cors_answers_the_configured_site_origins_only(site: ChatSite) -> None:
    status, _, headers = site.call("/chat/api/conversations", "OPTIONS",
                                   headers={"Origin": "http://localhost:8080",
                                            "Access-Control-Request-Method": "POST"})
    assert status == 204 and headers["Access-Control-Allow-Origin"] == "http://localhost:8080"
    assert "Authorization" in headers["Access-Control-Allow-Headers"]
    _, _, headers = site.call("/chat/api/topics", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in headers


def test_a_customer_path_no_route_has_is_404_and_a_method_it_does_not_take_405(site: ChatSite) -> None:
    status, reply, _ = site.call("/chat/api/nosuch")
    assert (status, reply["error"]) == (404, "not_found")
    status, reply, headers = site.call("/chat/api/offline")
    assert (status, reply["error"], headers["Allow"]) == (405, "method_not_allowed", "POST")


def test_the_offline_form_is_kept(site: ChatSite) -> None:
    status, reply, _ = site.call("/chat/api/offline", "POST", {**ANNA, "text": "Call me tomorrow, please"})
    assert status == 201
    record = site.log.get(str(reply["id"]))
    assert record is not None and record.outcome == "offline"


def test_the_stream_sends_the_log_then_each_message_as_it_lands(site: ChatSite) -> None:
    conversation, token = start(site)
    lines: list[str] = []

    def read() -> None:
        request = urllib.request.Request(f"{site.url}/chat/api/conversations/{conversation}/events?token={token}")
        with urllib.request.urlopen(request, timeout=5) as response:
            for raw in response:
                lines.append(raw.decode().rstrip("\n"))
                if len([line for line in lines if line == "event: message"]) == 3:
                    return

    reader = gevent.spawn(read)
    with gevent.Timeout(5):
        while "event: status" not in lines:
            gevent.sleep(0.01)
    site.call(f"/chat/api/conversations/{conversation}/messages", "POST", {"text": "How much is the Router X1?"},
              token=token)
    reader.get(timeout=5)

    ids = [line for line in lines if line.startswith("id: ")]
    assert ids == ["id: 1", "id: 2", "id: 3"]  # the greeting from the log, then the question and the answer


def test_a_customers_chats_are_found_by_their_email_for_the_agent(site: ChatSite) -> None:
    conversation, _ = start(site)
    status, found, _ = site.call("/api/customers/history?email=anna@example.com")
    assert status == 200 and [(item["channel"], item["ref"]) for item in found] == [  # type: ignore[attr-defined]
        ("chat", conversation)]
    status, reply, _ = site.call("/api/customers/history")
    assert (status, reply["error"]) == (400, "bad_request")
