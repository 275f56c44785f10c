"""ChatService's decisions with a real conversation log (SQLite) and attachment store, and a fake desk."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import gevent
import pytest

from ccswitch.auth.gate import TooManyAttempts
from ccswitch.chat.messages import Customer, Sender
from ccswitch.config import Config, load_config
from ccswitch.errors import UnknownChoiceError
from ccswitch.history import ConversationLog
from ccswitch.webchat.attachments import AttachmentRefused, AttachmentStore
from ccswitch.webchat.desk import DeskNews, DeskStatus
from ccswitch.webchat.errors import ChatAccessError, ChatInputError
from ccswitch.webchat.service import ChatService

from .fakes import FakeDesk

REPO = Path(__file__).resolve().parents[2]
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Europe/Moscow")).timestamp()
SUNDAY_NIGHT = datetime(2026, 11, 22, 23, 0, tzinfo=ZoneInfo("Europe/Moscow")).timestamp()
ANNA = Customer(name="Anna", email="anna@example.com")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(REPO / "config" / "ccswitch.yaml", env={})


class Centre:
    def __init__(self, config: Config, folder: Path) -> None:
        self.config, self.folder = config, folder
        self.now = MONDAY_NOON
        self.desk = FakeDesk()
        self.log = ConversationLog(f"sqlite:///{folder / 'history.sqlite'}")
        self.chat = self.restart()

    def restart(self) -> ChatService:
        """A new service (as after a controller restart) on the same log."""
        self.chat = ChatService(lambda: self.config, self.log, self.desk, lambda: self.now,
                                AttachmentStore(self.folder / "files"))
        assert self.chat.wait_resumed(5)
        return self.chat

    def texts(self, conversation: str) -> list[tuple[str, str]]:
        return [(m.sender.value, m.text) for m in self.log.messages(conversation)]


@pytest.fixture
def centre(config: Config, tmp_path: Path) -> Iterator[Centre]:
    centre = Centre(config, tmp_path)
    yield centre
    centre.chat.close()
    centre.log.close()


def test_a_topic_with_a_bot_greets_and_keeps_only_the_tokens_hash(centre: Centre) -> None:
    record, token = centre.chat.start("sales", ANNA)

    assert centre.log.get(record.id).token_hash == hashlib.sha256(token.encode()).hexdigest()  # type: ignore[union-attr]
    assert [sender for sender, _ in centre.texts(record.id)] == ["bot"]
    assert centre.chat.status(record.id)[0] == "bot"
    assert centre.desk.asked == []
    assert centre.chat.conversation(record.id, token).id == record.id


def test_the_bot_answers_a_price_from_the_catalogue_after_the_message_is_kept(centre: Centre) -> None:
    record, _ = centre.chat.start("sales", ANNA)

    message = centre.chat.post(record.id, "How much is the Router X1?")

    assert (message.seq, message.sender, message.author) == (2, Sender.CUSTOMER, "Anna")
    (sender, answer), = centre.texts(record.id)[2:]
    assert sender == "bot" and "Router X1" in answer and "4 990" in answer


def test_asking_for_a_person_hands_the_conversation_to_the_bots_queue_and_the_bot_stops(
        centre: Centre) -> None:
    record, _ = centre.chat.start("sales", ANNA)
    centre.chat.post(record.id, "operator please")

    assert centre.desk.asked == [("queue", record.id, "sales")]
    assert centre.chat.status_view(record.id) == {"status": "queued", "agent": None, "position": 1,
                                                  "expected_wait_s": 90}
    centre.chat.post(record.id, "hello?")
    assert centre.desk.asked[-1] == ("activity", record.id, Sender.CUSTOMER)
    assert len(centre.texts(record.id)) == 4  # the bot says no more


def test_the_person_button_hands_over_and_a_second_press_changes_nothing(centre: Centre) -> None:
    record, _ = centre.chat.start("sales", ANNA)
    centre.chat.ask_for_person(record.id)
    centre.chat.ask_for_person(record.id)

    assert [asked[0] for asked in centre.desk.asked] == ["queue"]


def test_a_topic_with_a_queue_is_queued_at_once_without_a_bot(centre: Centre) -> None:
    record, _ = centre.chat.start("support", ANNA)

    assert centre.desk.asked == [("queue", record.id, "support")]
    assert centre.texts(record.id) == []


def test_another_token_and_an_unknown_conversation_are_refused_alike(centre: Centre) -> None:
    mine, _ = centre.chat.start("sales", ANNA)
    _, other_token = centre.chat.start("sales", ANNA)

    with pytest.raises(ChatAccessError):
        centre.chat.conversation(mine.id, other_token)
    with pytest.raises(ChatAccessError):
        centre.chat.conversation("no-such-conversation", other_token)


@pytest.mark.parametrize(("text", "problem"), [(" \x07 ", "empty"), ("x" * 2001, "at most 2000")])
def test_an_empty_or_too_long_message_is_refused_and_not_kept(centre: Centre, text: str, problem: str) -> None:
    record, _ = centre.chat.start("sales", ANNA)
    with pytest.raises(ChatInputError, match=problem):
        centre.chat.post(record.id, text)
    assert len(centre.texts(record.id)) == 1


def test_an_agent_joins_writes_and_closes_with_a_disposition(centre: Centre) -> None:
    record, _ = centre.chat.start("support", ANNA)
    centre.desk.offer(record.id, "1004")
    centre.chat.agent_act("1004", record.id, "accept")
    reply = centre.chat.agent_post("1004", record.id, "Hello Anna, how can I help?")
    centre.chat.agent_act("1004", record.id, "close", disposition="resolved")

    assert (reply.sender, reply.author) == (Sender.AGENT, "1004")
    assert centre.texts(record.id) == [("system", "Agent 1004 joined the chat."),
                                       ("agent", "Hello Anna, how can I help?"),
                                       ("system", "Agent 1004 closed the chat.")]
    closed = centre.log.get(record.id)
    assert closed is not None
    assert (closed.agent, closed.outcome, closed.disposition, closed.ended_at) == (
        "1004", "answered", "resolved", centre.now)
    assert centre.chat.status(record.id)[0] == "ended"


def test_a_disposition_not_of_the_queue_is_refused_and_the_chat_stays_open(centre: Centre) -> None:
    record, _ = centre.chat.start("support", ANNA)
    centre.desk.offer(record.id, "1004")
    centre.chat.agent_act("1004", record.id, "accept")
    with pytest.raises(UnknownChoiceError, match="resolved, escalated, callback_needed"):
        centre.chat.agent_act("1004", record.id, "close", disposition="sale")
    assert centre.chat.status(record.id)[0] == "with_agent"


def test_an_agent_cannot_write_before_accepting(centre: Centre) -> None:
    record, _ = centre.chat.start("support", ANNA)
    centre.desk.offer(record.id, "1004")
    with pytest.raises(ChatInputError, match="accept the offer first"):
        centre.chat.agent_post("1004", record.id, "Hi")


def test_an_offer_reaches_the_agents_stream_at_once(centre: Centre) -> None:
    record, _ = centre.chat.start("support", ANNA)
    feed = centre.chat.agent_feed("1004")
    gevent.spawn_later(0.01, centre.desk.offer, record.id, "1004")

    (item,) = feed.wait(feed.cursor, timeout=5)

    assert (item.event, item.data["id"], item.data["topic"]) == ("offer", record.id, "support")


def test_a_conversation_the_desk_ends_of_itself_is_closed_in_the_log_and_on_the_stream(centre: Centre) -> None:
    record, _ = centre.chat.start("support", ANNA)
    feed = centre.chat.feed(record.id)
    cursor = feed.cursor
    centre.desk.statuses.pop(record.id)
    centre.desk.tell(DeskNews(record.id, "ended"))

    (item,) = feed.wait(cursor, timeout=5)
    assert (item.event, item.data["status"]) == ("status", "ended")
    assert centre.log.get(record.id).outcome == "abandoned"  # type: ignore[union-attr]


def test_typing_is_told_to_the_other_side_and_never_kept(centre: Centre) -> None:
    record, _ = centre.chat.start("support", ANNA)
    centre.desk.statuses[record.id] = DeskStatus(record.id, "active", "1004")
    agent_feed, customer_feed = centre.chat.agent_feed("1004"), centre.chat.feed(record.id)
    agent_cursor, customer_cursor = agent_feed.cursor, customer_feed.cursor

    centre.chat.typing(record.id, Sender.CUSTOMER)
    centre.chat.typing(record.id, Sender.AGENT)

    assert [(i.event, i.data["sender"]) for i in agent_feed.after(agent_cursor)] == [("typing", "customer")]
    assert [(i.event, i.data["sender"]) for i in customer_feed.after(customer_cursor)] == [("typing", "agent")]
    assert centre.texts(record.id) == []


def test_a_file_is_kept_as_a_message_with_its_attachment_and_a_wrong_type_is_refused(centre: Centre) -> None:
    record, _ = centre.chat.start("support", ANNA)
    message = centre.chat.send_file(record.id, Sender.CUSTOMER, "Anna", "../receipt.png", PNG)

    assert message.attachment is not None and message.attachment.media_type == "image/png"
    assert message.attachment.name == "receipt.png"
    found = centre.chat.attachment(record.id, message.attachment.id)
    assert found is not None and found[1].read_bytes() == PNG
    with pytest.raises(AttachmentRefused):
        centre.chat.send_file(record.id, Sender.CUSTOMER, "Anna", "evil.png", b"<html>")


def test_the_customer_leaving_lets_the_desk_go_and_closes_the_record(centre: Centre) -> None:
    record, _ = centre.chat.start("support", ANNA)
    centre.chat.end(record.id)

    assert centre.desk.asked[-1] == ("gone", record.id)
    closed = centre.log.get(record.id)
    assert closed is not None and (closed.outcome, closed.ended_at) == ("abandoned", centre.now)
    with pytest.raises(ChatInputError, match="ended"):
        centre.chat.post(record.id, "still there?")


def test_a_conversation_the_bot_alone_answered_ends_as_bot(centre: Centre) -> None:
    record, _ = centre.chat.start("sales", ANNA)
    centre.chat.end(record.id)

    assert centre.log.get(record.id).outcome == "bot"  # type: ignore[union-attr]
    assert all(asked[0] != "gone" for asked in centre.desk.asked)


def test_a_conversation_left_with_the_bot_ends_after_half_an_hour_without_a_line(centre: Centre) -> None:
    idle, _ = centre.chat.start("sales", ANNA)
    queued, _ = centre.chat.start("support", ANNA)
    centre.now += 20 * 60
    talking, _ = centre.chat.start("sales", ANNA)
    centre.now += 11 * 60
    centre.chat.end_idle()

    assert [centre.chat.status(each.id)[0] for each in (idle, queued, talking)] == ["ended", "queued", "bot"]
    ended = centre.log.get(idle.id)
    assert ended is not None and ended.outcome == "bot"
    assert centre.texts(idle.id)[-1] == ("system", "The chat ended: no message for a while.")


def test_the_offline_form_is_kept_as_an_ended_conversation_with_its_message(centre: Centre) -> None:
    record = centre.chat.leave_message("support", ANNA, "Please call me back tomorrow")

    kept = centre.log.get(record.id)
    assert kept is not None and (kept.outcome, kept.queue, kept.ended_at) == ("offline", "support", centre.now)
    assert centre.texts(record.id) == [("customer", "Please call me back tomorrow")]
    assert centre.log.open_conversations() == []


def test_availability_says_closed_out_of_hours_and_no_agents_when_nobody_is_logged_in(centre: Centre) -> None:
    assert (centre.chat.availability().open, centre.chat.availability().reason) == (True, None)
    centre.desk.staffed_queues.clear()
    assert (centre.chat.availability().open, centre.chat.availability().reason) == (False, "no-agents")
    centre.now = SUNDAY_NIGHT
    assert centre.chat.availability().reason == "closed"


def test_an_unknown_topic_names_the_known_ones(centre: Centre) -> None:
    with pytest.raises(Exception, match="known: sales, support"):
        centre.chat.start("billing", ANNA)


def test_after_a_restart_a_conversation_with_the_bot_goes_on_where_it_was(centre: Centre) -> None:
    """The shop bot hands over after two messages it does not understand in a row: one before, one after."""
    record, _ = centre.chat.start("sales", ANNA)
    centre.chat.post(record.id, "zzzz qqqq")
    centre.chat.close()
    centre.restart()

    assert centre.chat.status(record.id)[0] == "bot"
    centre.chat.post(record.id, "xxxx wwww")
    assert centre.desk.asked == [("queue", record.id, "sales")]


def test_after_a_restart_a_conversation_the_desk_holds_stays_with_the_desk(centre: Centre) -> None:
    record, _ = centre.chat.start("sales", ANNA)
    centre.chat.post(record.id, "operator")
    centre.chat.close()
    centre.restart()

    assert centre.chat.status(record.id)[0] == "queued"
    assert [asked[0] for asked in centre.desk.asked] == ["queue"]


def test_after_a_restart_a_conversation_the_desk_never_got_is_queued(centre: Centre) -> None:
    record, _ = centre.chat.start("support", ANNA)
    centre.chat.close()
    centre.desk.statuses.clear()  # as if the controller stopped before the desk kept it
    centre.restart()

    assert centre.desk.asked[-1] == ("queue", record.id, "support")
    assert centre.chat.status(record.id)[0] == "queued"


def test_taking_back_the_open_conversations_is_tried_again_until_the_desk_answers(
        centre: Centre, monkeypatch: pytest.MonkeyPatch) -> None:
    record, _ = centre.chat.start("support", ANNA)
    centre.chat.close()
    answers = iter([gevent.Timeout(), None])

    def status(contact: str) -> DeskStatus | None:
        answer = next(answers, None)
        if isinstance(answer, gevent.Timeout):
            raise answer
        return centre.desk.statuses.get(contact)

    monkeypatch.setattr(centre.desk, "status", status)
    monkeypatch.setattr("ccswitch.webchat.service.RESUME_RETRY_S", 0.01)
    chat = ChatService(lambda: centre.config, centre.log, centre.desk, lambda: centre.now)

    assert chat.wait_resumed(5)
    assert chat.status(record.id)[0] == "queued"
    chat.close()


def test_one_address_may_start_ten_conversations_then_one_a_minute(centre: Centre) -> None:
    for _ in range(10):
        centre.chat.admit("192.0.2.1")
    with pytest.raises(TooManyAttempts, match="too many conversations from this address") as refused:
        centre.chat.admit("192.0.2.1")
    centre.chat.admit("192.0.2.2")
    assert refused.value.retry_after == 61  # whole seconds, rounded up
    centre.now += 60
    centre.chat.admit("192.0.2.1")


def test_a_conversation_started_before_the_service_has_resumed_keeps_its_bot_and_stream(
        config: Config, tmp_path: Path) -> None:
    log = ConversationLog(f"sqlite:///{tmp_path / 'history.sqlite'}")
    chat = ChatService(lambda: config, log, FakeDesk(), lambda: MONDAY_NOON)  # resumes in its own greenlet, later
    try:
        record, _token = chat.start("sales", ANNA)
        stream = chat.feed(record.id)
        assert chat.wait_resumed(5)
        chat.post(record.id, "How much is the Router X1?")
        assert chat.feed(record.id) is stream  # not replaced by the resume
        assert [item.data["sender"] for item in stream.after(0) if item.event == "message"] == [
            "bot", "customer", "bot"]  # the greeting, the question, the price: the bot still talks
    finally:
        chat.close()
        log.close()


def test_a_conversation_another_controller_held_is_taken_up_when_the_desk_tells_of_it(config: Config,
                                                                                     tmp_path: Path) -> None:
    log = ConversationLog(f"sqlite:///{tmp_path / 'history.sqlite'}")
    first, second_desk = ChatService(lambda: config, log, FakeDesk(), lambda: MONDAY_NOON), FakeDesk()
    second = ChatService(lambda: config, log, second_desk, lambda: MONDAY_NOON)  # both up: each resumed nothing
    try:
        assert first.wait_resumed(5) and second.wait_resumed(5)
        record, _token = first.start("support", ANNA)  # queued at once by the first controller's desk
        assert second.feed(record.id).cursor == 0  # not open on the second
        second_desk.statuses[record.id] = DeskStatus(record.id, "offered", "1005")
        second_desk.tell(DeskNews(record.id, "offered", "1005"))  # the second took the first's chats over
        with gevent.Timeout(5, AssertionError("the second never took the conversation up")):
            while second.feed(record.id).cursor == 0:
                gevent.sleep(0.01)
        assert [item.event for item in second.feed(record.id).after(0)] == ["status"]
        assert any(item.data.get("id") == record.id for item in second.agent_feed("1005").after(0))
    finally:
        first.close()
        second.close()
        log.close()
