"""One contract for the history database, run against a SQLite file and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ccswitch.errors import StoreError
from ccswitch.history import (
    MIGRATIONS,
    DispositionRecord,
    History,
    Migration,
    MonitoringRecord,
    default_history_url,
    open_history,
)
from ccswitch.history.model import AuditRecord

from .conftest import Database, terminate_connections
from .records import T0, contact, state


@pytest.fixture
def history(database: Database) -> Iterator[History]:
    history = open_history(database.url)
    yield history
    history.close()


def test_every_field_comes_back_as_written(history: History) -> None:
    full = contact("full", ivr_path=("main:3", "main:2", "support:*#"), recording_path="/rec/full.wav",
                   disposition="resolved", transferred_to="1099", callback=True, campaign="winter",
                   caller_name="Иван «Петров»")
    bare = contact("bare", outcome="abandoned_in_ivr", ivr_path=(), queue=None, enqueued_at=None,
                   answered_at=None, agent=None, wait_s=None, talk_s=0.0, wrap_up_s=0.0, started_at=T0 + 1)
    history.record_batch([full, bare])
    assert history.contacts_by_phone("+79161234567") == [bare, full]


def test_phone_lookup_matches_every_way_of_writing_the_number_newest_first_up_to_the_limit(
        history: History) -> None:
    history.record_batch([
        contact("a", caller_number="+79161234567", started_at=T0),
        contact("b", caller_number="79161234567", started_at=T0 + 100),
        contact("c", caller_number="8 (916) 123-45-67", started_at=T0 + 200),
        contact("other", caller_number="+79160000000", started_at=T0 + 300),
    ])
    for written in ("+79161234567", "79161234567", "89161234567", "+7 916 123 45 67"):
        assert [r.call_uuid for r in history.contacts_by_phone(written)] == ["c", "b", "a"]
    assert [r.call_uuid for r in history.contacts_by_phone("79161234567", limit=2)] == ["c", "b"]
    assert history.contacts_by_phone("+74950000000") == []


def test_contacts_between_returns_contacts_alive_in_the_window_oldest_first(history: History) -> None:
    history.record_batch([
        contact("ended-before", started_at=T0 - 300, ended_at=T0 - 1),
        contact("ended-at-start", started_at=T0 - 300, ended_at=T0),
        contact("straddles-end", started_at=T0 + 50, ended_at=T0 + 500),
        contact("sales", started_at=T0 + 10, ended_at=T0 + 20, queue="sales"),
        contact("starts-at-end", started_at=T0 + 100, ended_at=T0 + 200),
    ])
    assert [r.call_uuid for r in history.contacts_between(T0, T0 + 100)] == [
        "ended-at-start", "sales", "straddles-end"]
    assert [r.call_uuid for r in history.contacts_between(T0, T0 + 100, queue="support")] == [
        "ended-at-start", "straddles-end"]


def test_agent_states_between_by_agent_then_time(history: History) -> None:
    records = [state("1001", "available", T0, T0 + 60), state("1000", "on_break", T0 + 30, T0 + 90, "lunch"),
               state("1000", "available", T0 - 100, T0 + 30), state("1000", "on_call", T0 - 200, T0 - 100)]
    history.record_batch(records)
    assert history.agent_states_between(T0, T0 + 60) == [records[2], records[1], records[0]]
    assert history.agent_states_between(T0, T0 + 60, agent="1001") == [records[0]]


def test_writing_a_record_twice_keeps_one(history: History) -> None:
    history.record_contact(contact("twice"))
    history.record_batch([contact("twice"), state("1000", "available", T0, T0 + 1)])
    history.record_agent_state(state("1000", "available", T0, T0 + 1))
    assert len(history.contacts_between(T0, T0 + 1)) == 1
    assert len(history.agent_states_between(T0, T0 + 1)) == 1


def test_a_failing_batch_writes_nothing_and_the_next_one_works(history: History) -> None:
    broken = contact("broken", caller_name=None)  # NOT NULL refuses it
    with pytest.raises(StoreError, match="write 2 records failed"):
        history.record_batch([contact("good"), broken])
    assert history.contacts_between(T0, T0 + 1) == []
    history.record_contact(contact("good"))
    assert [r.call_uuid for r in history.contacts_between(T0, T0 + 1)] == ["good"]


def test_a_fresh_database_is_migrated_to_the_current_version_and_reopening_changes_nothing(
        database: Database) -> None:
    first = open_history(database.url)
    assert first.schema_version() == MIGRATIONS[-1].version
    first.record_contact(contact("kept"))
    first.close()
    again = open_history(database.url)
    assert again.schema_version() == MIGRATIONS[-1].version
    assert [r.call_uuid for r in again.contacts_by_phone("79161234567")] == ["kept"]
    again.close()


def test_an_older_database_is_upgraded_and_keeps_its_data(database: Database) -> None:
    current = MIGRATIONS[-1].version
    old = open_history(database.url)
    old.record_contact(contact("from-old"))
    old.close()
    added_column = Migration(current + 1, "a column the next version adds",
                             ("ALTER TABLE contacts ADD COLUMN note TEXT",))
    upgraded = open_history(database.url, (*MIGRATIONS, added_column))
    assert upgraded.schema_version() == current + 1
    assert [r.call_uuid for r in upgraded.contacts_by_phone("79161234567")] == ["from-old"]
    upgraded.record_contact(contact("after-upgrade", started_at=T0 + 1))
    assert len(upgraded.contacts_by_phone("79161234567")) == 2
    upgraded.close()
    with pytest.raises(StoreError, match=rf"schema version {current + 1}, newer than this ccswitch knows "
                                         rf"\({current}\)"):
        open_history(database.url)


def test_version_1_gains_the_recording_columns(database: Database) -> None:
    open_history(database.url, MIGRATIONS[:1]).close()
    upgraded = open_history(database.url)
    recorded = contact("rec", recording_path="/rec/a.wav", recording_started_at=T0 + 35, recording_s=165.0)
    upgraded.record_contact(recorded)
    assert upgraded.contacts_by_phone("79161234567") == [recorded]
    upgraded.close()


def test_recordings_since_by_agent_and_queue_oldest_first(history: History) -> None:
    history.record_batch([
        contact("early", recording_path="/r/1.wav", recording_started_at=T0 - 10, recording_s=5.0),
        contact("b", recording_path="/r/2.wav", recording_started_at=T0 + 20, recording_s=5.0, agent="1001"),
        contact("a", recording_path="/r/3.wav", recording_started_at=T0 + 10, recording_s=5.0, agent="1001",
                queue="sales"),
        contact("not-recorded", started_at=T0 + 30),
    ])
    assert [r.call_uuid for r in history.recordings_since(T0)] == ["a", "b"]
    assert [r.call_uuid for r in history.recordings_since(T0 - 60, agent="1000")] == ["early"]
    assert [r.call_uuid for r in history.recordings_since(T0, agent="1001", queue="support")] == ["b"]
    assert [r.call_uuid for r in history.recordings_since(T0 - 60, limit=1)] == ["early"]


def test_a_restarted_postgresql_is_reconnected_to(postgres_database: Database) -> None:
    history = open_history(postgres_database.url)
    history.record_contact(contact("before"))
    assert history.contacts_by_phone("79161234567")
    assert terminate_connections(postgres_database) == 2  # the writer's and the reader's
    with pytest.raises(StoreError):
        history.record_contact(contact("lost"))
    with pytest.raises(StoreError):
        history.contacts_by_phone("79161234567")
    history.record_contact(contact("after", started_at=T0 + 1))
    assert [r.call_uuid for r in history.contacts_by_phone("79161234567")] == ["after", "before"]
    history.close()


def test_an_unreachable_postgresql_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match=r"history postgresql 127\.0\.0\.1:1/test: cannot connect") as caught:
        open_history("postgresql://postgres:s3cret@127.0.0.1:1/test")
    assert "s3cret" not in str(caught.value)


def test_an_unknown_url_scheme_is_refused() -> None:
    with pytest.raises(StoreError, match="history url must start with"):
        open_history("mysql://localhost/history")


def test_a_sqlite_file_that_cannot_be_created_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="history sqlite: cannot create"):
        open_history(f"sqlite:///{tmp_path / 'file' / 'data' / 'history.sqlite'}")


def test_the_default_database_is_a_sqlite_file_under_the_config_directory(tmp_path: Path) -> None:
    url = default_history_url(tmp_path / "config")
    assert url == f"sqlite:///{tmp_path}/config/data/history.sqlite"
    open_history(url).close()
    assert (tmp_path / "config" / "data" / "history.sqlite").is_file()


def test_a_memory_sqlite_database_is_refused() -> None:
    with pytest.raises(StoreError, match="needs a SQLite file"):
        open_history("sqlite:///:memory:")


def test_monitoring_sessions_by_supervisor_overlapping_the_window(history: History) -> None:
    first = MonitoringRecord("leg-1", "2001", "1003", "call-1", T0, T0 + 60, f"listen@{T0:.3f}", "stopped")
    other = MonitoringRecord("leg-2", "2002", None, "call-2", T0 + 30, T0 + 90, f"barge@{T0 + 30:.3f}", "hung up")
    history.record_batch([first, other, first])
    assert history.monitoring_between(T0 + 10, T0 + 20) == [first]
    assert history.monitoring_between(T0, T0 + 100) == [first, other]
    assert history.monitoring_between(T0, T0 + 100, supervisor="2002") == [other]


def test_audited_actions_are_kept_once_and_read_back_by_time(history: History) -> None:
    reload = AuditRecord("a1", T0, "root", "admin", "10.0.0.7", "POST /api/reload", 200)
    refused = AuditRecord("a2", T0 + 5, "alice", "agent", "10.0.0.8", "POST /api/reload", 403)
    history.record_batch([refused, reload, reload])
    assert history.audit_between(T0, T0 + 10) == [reload, refused]
    assert history.audit_between(T0 + 1, T0 + 10) == [refused]


def test_a_disposition_set_after_the_call_is_read_back_with_its_contact_and_the_last_one_wins(
    history: History,
) -> None:
    history.record_batch([contact("sold", started_at=T0, campaign="promo-nov")])
    history.record_batch([DispositionRecord("sold", "callback", T0 + 100)])
    history.record_batch([DispositionRecord("sold", "sale", T0 + 200), DispositionRecord("never-called", "x", T0)])
    (record,) = history.contacts_between(T0, T0 + 300)
    assert record.disposition == "sale"
    assert [r.disposition for r in history.contacts_by_phone(record.caller_number)] == ["sale"]
