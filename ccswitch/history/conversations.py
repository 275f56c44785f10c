"""The durable log of text conversations: each conversation's record and every message, in the history database.

Theory of operation. A write (``open``, ``append``, ``update``) is a request put on one queue; the caller's
greenlet waits for its answer, which comes only after COMMIT, so whatever a write returns is durable. One committer
greenlet takes every request waiting and runs them all in one transaction (group commit: a hundred greenlets
appending at once cost a few commits, not a hundred), then answers each. Database calls run off the event loop
(``ccswitch.history.offload``): for SQLite, writes in one worker thread and reads in another.

Message numbers come from the database, never from memory: a conversation's row keeps ``last_seq``, and an append
raises it (``UPDATE … RETURNING``) in the transaction that inserts the message. In PostgreSQL that UPDATE holds the
row's lock until COMMIT, so controllers sharing one database give out each number once; a batch touches its
conversations in id order, so two batches never wait for each other in a circle.

A request that cannot apply (an unknown conversation) fails alone and the rest of its batch commits. A transaction
that fails fails every request in it with ``StoreError``, naming the database, never the URL. It is tried once more,
on a fresh connection, only if it failed before COMMIT (a restarted PostgreSQL leaves a dead connection behind):
after a COMMIT whose reply was lost, trying again could write a message twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ParamSpec, TypedDict, TypeVar, Unpack

import gevent
import gevent.event
import gevent.queue

from ccswitch.chat.messages import Attachment, ConversationRecord, Customer, Message, Sender
from ccswitch.errors import StoreError, UnknownNameError
from ccswitch.history.model import ContactRecord, phone_key
from ccswitch.history.offload import Offload
from ccswitch.history.storage import Cursor, insert_statement, open_history

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

MAX_BATCH = 500  # requests in one transaction


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One contact of a customer on any channel: a call (``ref`` is its uuid) or a conversation (its id)."""

    channel: str
    started_at: float
    queue: str | None
    agent: str | None
    outcome: str | None  # None: a conversation still open
    ref: str


class ConversationChanges(TypedDict, total=False):
    queue: str
    agent: str | None
    ended_at: float | None
    outcome: str | None
    disposition: str | None


_CHANGEABLE = frozenset(ConversationChanges.__annotations__)
_COLUMNS = ("id", "channel", "queue", "topic", "customer_name", "customer_email", "customer_phone",
            "customer_identity", "started_at", "token_hash", "language", "agent", "ended_at", "outcome", "disposition")
_SELECT_CONVERSATIONS = f"SELECT {', '.join(_COLUMNS)} FROM conversations"
_INSERT_CONVERSATION = insert_statement("conversations", (*_COLUMNS, "last_seq"))
_NEXT_SEQ = "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq"
_MESSAGE_COLUMNS = ("conversation", "seq", "at", "sender", "author", "text",
                    "attachment_id", "attachment_name", "attachment_type", "attachment_size")
_INSERT_MESSAGE = insert_statement("messages", _MESSAGE_COLUMNS)
_SELECT_MESSAGES = (f"SELECT {', '.join(_MESSAGE_COLUMNS)} FROM messages "
                    "WHERE conversation = ? AND seq > ? ORDER BY seq LIMIT ?")


def keyed(customer: Customer) -> Customer:
    """The customer with the keys that link their contacts in stored form: e-mail lower-cased, phone as
    ``phone_key`` writes it."""
    phone = phone_key(customer.phone) if customer.phone.strip() else ""
    return replace(customer, email=customer.email.strip().lower(), phone=phone, identity=customer.identity.strip())


def _record_row(record: ConversationRecord) -> tuple[Any, ...]:
    customer = keyed(record.customer)
    return (record.id, record.channel, record.queue, record.topic, customer.name, customer.email, customer.phone,
            customer.identity, record.started_at, record.token_hash, record.language, record.agent,
            record.ended_at, record.outcome, record.disposition, 0)


def _record_from_row(row: Sequence[Any]) -> ConversationRecord:
    (id_, channel, queue, topic, name, email, phone, identity, started_at, token_hash, language, agent, ended_at,
     outcome, disposition) = row
    return ConversationRecord(id=id_, channel=channel, queue=queue, topic=topic,
                              customer=Customer(name=name, email=email, phone=phone, identity=identity),
                              started_at=started_at, token_hash=token_hash, language=language, agent=agent,
                              ended_at=ended_at, outcome=outcome, disposition=disposition)


def _message_row(message: Message) -> tuple[Any, ...]:
    file = message.attachment
    attachment = (None, None, None, None) if file is None else (file.id, file.name, file.media_type, file.size)
    return (message.conversation, message.seq, message.at, message.sender.value, message.author, message.text,
            *attachment)


def _message_from_row(row: Sequence[Any]) -> Message:
    conversation, seq, at, sender, author, text, file_id, file_name, media_type, size = row
    attachment = None if file_id is None else Attachment(file_id, file_name, media_type, int(size))
    return Message(conversation, int(seq), at, Sender(sender), author, text, attachment)


def _call_item(record: ContactRecord) -> HistoryItem:
    return HistoryItem(record.channel.value, record.started_at, record.queue, record.agent, record.outcome,
                       record.call_uuid)


def _conversation_item(record: ConversationRecord) -> HistoryItem:
    return HistoryItem(record.channel, record.started_at, record.queue, record.agent, record.outcome, record.id)


@dataclass(frozen=True, slots=True)
class _Open:
    record: ConversationRecord

    @property
    def conversation(self) -> str:
        return self.record.id


@dataclass(frozen=True, slots=True)
class _Append:
    message: Message  # its seq is given in the transaction

    @property
    def conversation(self) -> str:
        return self.message.conversation


@dataclass(frozen=True, slots=True)
class _Update:
    conversation: str
    changes: tuple[tuple[str, Any], ...]  # (column, value), columns from _CHANGEABLE only


_Write = _Open | _Append | _Update
_Result = Message | ConversationRecord | UnknownNameError | None
_Request = tuple[_Write, "gevent.event.AsyncResult"]


def _unknown(conversation: str) -> UnknownNameError:
    return UnknownNameError(f"no conversation {conversation!r}")


class ConversationLog:
    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        """``url`` as for ``open_history``; the database is migrated first (a blocking call: at start-up)."""
        self.commits = 0  # transactions the writes took: fewer than the writes when they were grouped
        self._history = open_history(url)
        self._timeout_s = timeout_s
        self._writes = Offload(self._history.blocks_event_loop)
        self._reads = Offload(self._history.blocks_event_loop)
        self._requests: gevent.queue.JoinableQueue[_Request] = gevent.queue.JoinableQueue()
        self._closed = False
        self._committer = gevent.spawn(self._run)

    # ----------------------------------------------------------------- writes: durable on return
    def open(self, record: ConversationRecord) -> None:
        """Keep the conversation's record; opening an id again changes nothing."""
        self._submit(_Open(record))

    def append(self, conversation: str, sender: Sender, author: str, text: str, at: float,
               attachment: Attachment | None = None) -> Message:
        """Keep a message; it gets the conversation's next ``seq``. ``UnknownNameError`` if never opened."""
        message = self._submit(_Append(Message(conversation, 0, at, sender, author, text, attachment)))
        assert isinstance(message, Message)
        return message

    def update(self, conversation: str, **changes: Unpack[ConversationChanges]) -> ConversationRecord:
        """Change the record's queue, agent, end, outcome or disposition; returns the record as it now is."""
        unknown = set(changes) - _CHANGEABLE
        if unknown:
            raise ValueError(f"a conversation's {', '.join(sorted(unknown))} cannot be changed")
        record = self._submit(_Update(conversation, tuple(changes.items()))) if changes else self.get(conversation)
        if record is None:
            raise _unknown(conversation)
        assert isinstance(record, ConversationRecord)
        return record

    # ----------------------------------------------------------------- reads
    def messages(self, conversation: str, after_seq: int = 0, limit: int = 500) -> list[Message]:
        """The conversation's messages numbered above ``after_seq``, in order, at most ``limit``."""
        rows = self._read(self._history.query, _SELECT_MESSAGES, (conversation, after_seq, limit))
        return [_message_from_row(row) for row in rows]

    def get(self, conversation: str) -> ConversationRecord | None:
        rows = self._read(self._history.query, f"{_SELECT_CONVERSATIONS} WHERE id = ?", (conversation,))
        return _record_from_row(rows[0]) if rows else None

    def open_conversations(self) -> list[ConversationRecord]:
        """Conversations not ended, oldest first: what a restarted controller resumes."""
        rows = self._read(self._history.query,
                          f"{_SELECT_CONVERSATIONS} WHERE ended_at IS NULL ORDER BY started_at, id", ())
        return [_record_from_row(row) for row in rows]

    def customer_history(self, customer: Customer, limit: int = 50) -> list[HistoryItem]:
        """The customer's calls (by phone) and conversations (by e-mail, phone or visitor identity), newest first,
        at most ``limit``. Keys the customer did not give match nothing."""
        given = keyed(customer)
        keys = [(column, value) for column, value in (("customer_email", given.email), ("customer_phone", given.phone),
                                                      ("customer_identity", given.identity)) if value]
        items: list[HistoryItem] = []
        if keys:
            where = " OR ".join(f"{column} = ?" for column, _ in keys)
            rows = self._read(self._history.query,
                              f"{_SELECT_CONVERSATIONS} WHERE {where} ORDER BY started_at DESC LIMIT ?",
                              [*(value for _, value in keys), limit])
            items += [_conversation_item(_record_from_row(row)) for row in rows]
        if given.phone:
            items += [_call_item(call) for call in self._read(self._history.contacts_by_phone, given.phone, limit)]
        return sorted(items, key=lambda item: item.started_at, reverse=True)[:limit]

    def close(self, timeout_s: float = 5.0) -> None:
        """Take no more writes, give those waiting ``timeout_s`` to commit, then let go of the database."""
        self._closed = True
        self._requests.join(timeout_s)
        self._committer.kill()
        while not self._requests.empty():
            _, answer = self._requests.get_nowait()
            answer.set_exception(self._closed_error())
        self._writes.close()
        self._reads.close()
        self._history.close()

    # ----------------------------------------------------------------- plumbing
    def _submit(self, write: _Write) -> _Result:
        if self._closed:
            raise self._closed_error()
        answer: gevent.event.AsyncResult = gevent.event.AsyncResult()
        self._requests.put((write, answer))
        try:
            result: _Result = answer.get(timeout=self._timeout_s)
        except gevent.Timeout:
            raise StoreError(f"history {self._history.where}: no answer within {self._timeout_s:g} s "
                             f"(the write may still be committed)") from None
        return result

    def _closed_error(self) -> StoreError:
        return StoreError(f"history {self._history.where}: the conversation log is closed")

    def _run(self) -> None:
        while True:
            batch = [self._requests.get()]
            while len(batch) < MAX_BATCH and not self._requests.empty():
                batch.append(self._requests.get_nowait())
            self._answer(batch)
            for _ in batch:
                self._requests.task_done()

    def _answer(self, batch: list[_Request]) -> None:
        try:
            results = self._writes.run(self._commit, [write for write, _ in batch])
        except Exception as exc:  # every waiter hears of it; a bug (not a database error) is logged in full
            if not isinstance(exc, StoreError):
                log.exception("conversation log: a batch of %d writes failed", len(batch))
            for _, answer in batch:
                answer.set_exception(exc)
            return
        self.commits += 1
        for (_, answer), result in zip(batch, results, strict=True):
            if isinstance(result, Exception):
                answer.set_exception(result)
            else:
                answer.set(result)

    def _commit(self, writes: Sequence[_Write]) -> list[_Result]:
        """Apply ``writes`` in one transaction (in conversation order, each conversation's in the order given);
        their results in the order given."""
        ordered = sorted(enumerate(writes), key=lambda pair: pair[1].conversation)
        results: dict[int, _Result] = {}
        try:
            self._transact(ordered, results)
        except StoreError as exc:
            if len(results) == len(writes):  # it failed at COMMIT, which may have reached the database
                raise
            log.warning("conversation log: %s; trying once more on a fresh connection", exc)
            results.clear()
            self._transact(ordered, results)
        return [results[index] for index in range(len(writes))]

    def _transact(self, ordered: Sequence[tuple[int, _Write]], results: dict[int, _Result]) -> None:
        with self._history.transaction(f"write {len(ordered)} conversation records", ("BEGIN",)) as cursor:
            for index, write in ordered:
                results[index] = self._apply(cursor, write)

    def _apply(self, cursor: Cursor, write: _Write) -> _Result:
        sql = self._history.dialect.sql
        if isinstance(write, _Open):
            cursor.execute(sql(_INSERT_CONVERSATION), _record_row(write.record))
            return None
        if isinstance(write, _Append):
            cursor.execute(sql(_NEXT_SEQ), (write.conversation,))
            counted = cursor.fetchall()
            if not counted:
                return _unknown(write.conversation)
            message = replace(write.message, seq=int(counted[0][0]))
            cursor.execute(sql(_INSERT_MESSAGE), _message_row(message))
            return message
        assignments = ", ".join(f"{column} = ?" for column, _ in write.changes)
        cursor.execute(sql(f"UPDATE conversations SET {assignments} WHERE id = ? RETURNING {', '.join(_COLUMNS)}"),
                       (*(value for _, value in write.changes), write.conversation))
        updated = cursor.fetchall()
        return _record_from_row(updated[0]) if updated else _unknown(write.conversation)

    def _read(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A read off the event loop, tried once more if it fails: a read is safe to repeat, and the first after a
        PostgreSQL restart meets the connection the restart closed."""
        try:
            return self._reads.run(function, *args, **kwargs)
        except StoreError as exc:
            log.warning("conversation log: %s; trying once more", exc)
            return self._reads.run(function, *args, **kwargs)
