"""The conversation log's contract, run against a SQLite file and a real PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import gevent
import psycopg
import pytest

from ccswitch.chat.messages import Attachment, ConversationRecord, Customer, Message, Sender
from ccswitch.errors import StoreError, UnknownNameError
from ccswitch.history import ConversationLog, HistoryItem, open_history

from .conftest import Database, terminate_connections
from .records import T0, contact

IVAN = Customer(name="Ivan", email="ivan@example.com", phone="79161234567", identity="visitor-1")


def conversation(id_: str, customer: Customer = IVAN, started_at: float = T0, **fields: object) -> ConversationRecord:
    values: dict[str, object] = {"id": id_, "channel": "chat", "queue": "support", "topic": "support",
                                 "customer": customer, "started_at": started_at, "token_hash": "ab" * 32}
    values.update(fields)
    return ConversationRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
def log(database: Database) -> Iterator[ConversationLog]:
    log = ConversationLog(database.url)
    yield log
    log.close()


def test_a_message_comes_back_as_written_with_its_attachment(log: ConversationLog) -> None:
    log.open(conversation("c1"))
    photo = Attachment("a" * 22, "receipt «1».png", "image/png", 2048)
    first = log.append("c1", Sender.CUSTOMER, "Ivan", "Здравствуйте", T0 + 1)
    second = log.append("c1", Sender.AGENT, "1001", "", T0 + 2, attachment=photo)
    assert first == Message("c1", 1, T0 + 1, Sender.CUSTOMER, "Ivan", "Здравствуйте")
    assert second == Message("c1", 2, T0 + 2, Sender.AGENT, "1001", "", photo)
    assert log.messages("c1") == [first, second]
    assert log.messages("c1", after_seq=1) == [second]
    assert log.messages("c1", limit=1) == [first]


def test_appends_from_many_greenlets_at_once_get_consecutive_numbers_in_few_transactions(
        log: ConversationLog) -> None:
    log.open(conversation("c1"))
    log.open(conversation("c2"))
    commits_before = log.commits
    appends = [gevent.spawn(log.append, f"c{1 + n % 2}", Sender.CUSTOMER, "Ivan", f"message {n}", T0 + n)
               for n in range(100)]
    gevent.joinall(appends, raise_error=True)
    for name in ("c1", "c2"):
        given = sorted(append.value.seq for append in appends if append.value.conversation == name)
        assert given == list(range(1, 51))
        stored = log.messages(name)
        assert [m.seq for m in stored] == list(range(1, 51))
        assert {m.text for m in stored} == {a.value.text for a in appends if a.value.conversation == name}
    assert log.commits - commits_before < 10


def test_a_new_log_on_the_same_database_sees_every_message_and_the_open_conversations(
        log: ConversationLog, database: Database) -> None:
    log.open(conversation("open", started_at=T0 + 10))
    log.open(conversation("ended"))
    log.update("ended", ended_at=T0 + 5, outcome="bot")
    written = [log.append("open", Sender.BOT, "shop", f"text {n}", T0 + n) for n in range(5)]
    log.close()
    restarted = ConversationLog(database.url)
    try:
        assert restarted.messages("open") == written
        assert [record.id for record in restarted.open_conversations()] == ["open"]
        assert restarted.append("open", Sender.CUSTOMER, "Ivan", "still there?", T0 + 20).seq == 6
    finally:
        restarted.close()


def test_opening_twice_keeps_the_first_record(log: ConversationLog) -> None:
    log.open(conversation("c1"))
    log.append("c1", Sender.CUSTOMER, "Ivan", "hello", T0)
    log.open(conversation("c1", queue="sales"))
    assert log.get("c1") == conversation("c1")
    assert [m.seq for m in log.messages("c1")] == [1]


def test_update_changes_what_it_is_given_and_returns_the_record(log: ConversationLog) -> None:
    log.open(conversation("c1"))
    assert log.update("c1", agent="1001") == conversation("c1", agent="1001")
    ended = log.update("c1", agent=None, ended_at=T0 + 60, outcome="answered", disposition="resolved",
                       queue="sales")
    assert ended == conversation("c1", ended_at=T0 + 60, outcome="answered", disposition="resolved", queue="sales")
    assert log.get("c1") == ended
    assert log.update("c1") == ended
    assert log.open_conversations() == []


def test_an_unknown_conversation_is_refused_alone_and_the_rest_of_the_batch_commits(log: ConversationLog) -> None:
    log.open(conversation("c1"))
    good = gevent.spawn(log.append, "c1", Sender.CUSTOMER, "Ivan", "kept", T0)
    bad = gevent.spawn(log.append, "nosuch", Sender.CUSTOMER, "Ivan", "lost", T0)
    gevent.joinall([good, bad])
    assert isinstance(bad.exception, UnknownNameError)
    assert "nosuch" in str(bad.exception)
    assert [m.text for m in log.messages("c1")] == ["kept"]
    with pytest.raises(UnknownNameError, match="nosuch"):
        log.update("nosuch", agent="1001")
    with pytest.raises(ValueError, match="token_hash"):
        log.update("c1", token_hash="")  # type: ignore[call-arg]
    assert log.get("nosuch") is None


def test_customer_keys_are_kept_in_the_form_they_link_by(log: ConversationLog) -> None:
    log.open(conversation("c1", Customer(name="Ivan", email=" Ivan@Example.COM", phone="8 (916) 123-45-67")))
    record = log.get("c1")
    assert record is not None
    assert record.customer == Customer(name="Ivan", email="ivan@example.com", phone="79161234567")


def test_customer_history_links_calls_and_chats_by_phone_and_chats_by_email_or_identity(
        log: ConversationLog, database: Database) -> None:
    history = open_history(database.url)
    history.record_batch([contact("call-1", started_at=T0, caller_number="+7 916 123-45-67"),
                          contact("call-other", started_at=T0 + 5, caller_number="+74950000000")])
    history.close()
    log.open(conversation("by-phone", Customer(phone="79161234567"), started_at=T0 + 10))
    log.open(conversation("by-email", Customer(email="ivan@example.com"), started_at=T0 + 20))
    log.open(conversation("by-identity", Customer(identity="visitor-1"), started_at=T0 + 30))
    log.open(conversation("someone-else", Customer(email="olga@example.com", phone="74950000000"),
                          started_at=T0 + 40))
    log.open(conversation("gave-nothing", Customer(name="Anon"), started_at=T0 + 50))
    log.update("by-email", agent="1001", ended_at=T0 + 25, outcome="answered")

    found = log.customer_history(Customer(email="IVAN@example.com", phone="+7 916 123 45 67", identity="visitor-1"))
    assert found == [
        HistoryItem("chat", T0 + 30, "support", None, None, "by-identity"),
        HistoryItem("chat", T0 + 20, "support", "1001", "answered", "by-email"),
        HistoryItem("chat", T0 + 10, "support", None, None, "by-phone"),
        HistoryItem("voice", T0, "support", "1000", "answered", "call-1"),
    ]
    assert [item.ref for item in log.customer_history(Customer(phone="89161234567"))] == ["by-phone", "call-1"]
    assert [item.ref for item in log.customer_history(Customer(email="ivan@example.com"))] == ["by-email"]
    assert [item.ref for item in log.customer_history(IVAN, limit=2)] == ["by-identity", "by-email"]
    assert log.customer_history(Customer(name="Anon")) == []


def test_a_failed_write_names_the_database_not_the_url(log: ConversationLog, database: Database) -> None:
    log.open(conversation("c1"))
    _drop_messages_table(database)
    with pytest.raises(StoreError) as failed:
        log.append("c1", Sender.CUSTOMER, "Ivan", "hello", T0)
    assert str(failed.value).startswith("history sqlite:" if database.url.startswith("sqlite") else
                                        "history postgresql 127.0.0.1:5432/test:")
    assert database.url not in str(failed.value)


def test_an_unreachable_postgresql_is_named_without_its_password() -> None:
    with pytest.raises(StoreError) as failed:
        ConversationLog("postgresql://chat:s3cret@127.0.0.1:1/chats")
    assert "postgresql 127.0.0.1:1/chats" in str(failed.value)
    assert "s3cret" not in str(failed.value)


def test_a_postgresql_restart_costs_no_append(postgres_database: Database) -> None:
    log = ConversationLog(postgres_database.url)
    try:
        log.open(conversation("c1"))
        log.append("c1", Sender.CUSTOMER, "Ivan", "before", T0)
        assert terminate_connections(postgres_database) >= 1
        assert log.append("c1", Sender.CUSTOMER, "Ivan", "after", T0 + 1).seq == 2
        assert [m.text for m in log.messages("c1")] == ["before", "after"]
    finally:
        log.close()


def test_two_logs_sharing_one_postgresql_never_give_a_number_twice(postgres_database: Database) -> None:
    first, second = ConversationLog(postgres_database.url), ConversationLog(postgres_database.url)
    try:
        first.open(conversation("c1"))
        appends = [gevent.spawn(log.append, "c1", Sender.CUSTOMER, "Ivan", f"{n}", T0 + n)
                   for n in range(40) for log in (first, second)]
        gevent.joinall(appends, raise_error=True)
        assert sorted(append.value.seq for append in appends) == list(range(1, 81))
        assert [m.seq for m in second.messages("c1")] == list(range(1, 81))
    finally:
        first.close()
        second.close()


def test_a_write_the_database_does_not_answer_in_time_is_an_error_saying_it_may_still_land(
        postgres_database: Database) -> None:
    log = ConversationLog(postgres_database.url, timeout_s=0.3)
    try:
        log.open(conversation("c1"))
        with psycopg.connect(postgres_database.url) as other_controller:  # holds the row's lock until it commits
            other_controller.execute("SELECT last_seq FROM conversations WHERE id = 'c1' FOR UPDATE")
            with pytest.raises(StoreError, match=r"no answer within 0\.3 s \(the write may still be committed\)"):
                log.append("c1", Sender.CUSTOMER, "Ivan", "slow", T0)
            assert log.messages("c1") == []
    finally:
        log.close()
    reopened = ConversationLog(postgres_database.url)
    assert [(m.seq, m.text) for m in reopened.messages("c1")] == [(1, "slow")]
    reopened.close()


def test_a_closed_log_takes_no_more_writes(database: Database) -> None:
    log = ConversationLog(database.url)
    log.open(conversation("c1"))
    log.close()
    with pytest.raises(StoreError, match="closed"):
        log.append("c1", Sender.CUSTOMER, "Ivan", "too late", T0)


def _drop_messages_table(database: Database) -> None:
    if database.url.startswith("sqlite:///"):
        with sqlite3.connect(Path(database.url.removeprefix("sqlite:///"))) as connection:
            connection.execute("DROP TABLE messages")
        return
    with psycopg.connect(database.url, autocommit=True) as connection:
        connection.execute("DROP TABLE messages")

