"""``OpenConversations``: the conversations not ended, each with its lock and stream, and the agents' streams.

Every line of a conversation goes through ``append``: kept in the log first, then told to the conversation's stream
and to its agent's. A conversation leaves through ``finish``, which closes its record and tells its stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import gevent.lock

from ccswitch.chat import bot
from ccswitch.chat.messages import Attachment, ConversationRecord, Message, Sender
from ccswitch.history.conversations import ConversationLog
from ccswitch.webchat.errors import ChatInputError
from ccswitch.webchat.feed import Feed

ENDED = {"status": "ended", "agent": None, "position": None, "expected_wait_s": None}


@dataclass
class Conversation:
    record: ConversationRecord
    bot: bot.Conversation | None  # while the bot talks; None once with the desk (or for a topic without a bot)
    last_at: float  # when its last line was written (or it was opened or resumed)
    feed: Feed = field(default_factory=Feed)
    lock: gevent.lock.RLock = field(default_factory=gevent.lock.RLock)  # one customer turn at a time
    ending: bool = False  # the chat service is ending it: the desk's "ended" news is no news


class OpenConversations:
    def __init__(self, log: ConversationLog, clock: Callable[[], float],
                 agent_of: Callable[[str], str | None], view: Callable[[Message], dict[str, object]]) -> None:
        """``agent_of(conversation)``: the agent it is offered to or held by now, if any; ``view``: a message as the
        streams send it."""
        self._log, self._now, self._agent_of, self._view = log, clock, agent_of, view
        self._open: dict[str, Conversation] = {}
        self._agent_feeds: dict[str, Feed] = {}

    def add(self, record: ConversationRecord, bot_state: bot.Conversation | None) -> Conversation:
        conversation = Conversation(record, bot_state, self._now())
        self._open[record.id] = conversation
        return conversation

    def get(self, conversation_id: str) -> Conversation | None:
        return self._open.get(conversation_id)

    def live(self, conversation_id: str) -> Conversation:
        conversation = self._open.get(conversation_id)
        if conversation is None:
            raise ChatInputError("the conversation has ended")
        return conversation

    def __iter__(self) -> Iterator[Conversation]:
        return iter(list(self._open.values()))

    def record(self, conversation_id: str) -> ConversationRecord | None:
        conversation = self._open.get(conversation_id)
        return conversation.record if conversation is not None else self._log.get(conversation_id)

    def agent_feed(self, agent: str) -> Feed:
        return self._agent_feeds.setdefault(agent, Feed())

    def append(self, conversation: Conversation, sender: Sender, author: str, text: str,
               attachment: Attachment | None = None) -> Message:
        message = self._log.append(conversation.record.id, sender, author, text, self._now(), attachment)
        conversation.last_at = message.at
        view = self._view(message)
        conversation.feed.publish("message", view)
        agent = self._agent_of(conversation.record.id)
        if agent is not None:
            self.agent_feed(agent).publish("message", {"id": conversation.record.id, **view})
        return message

    def finish(self, conversation: Conversation, outcome: str, disposition: str | None = None) -> None:
        record = conversation.record
        conversation.record = self._log.update(record.id, ended_at=self._now(), outcome=outcome,
                                               disposition=disposition)
        self._open.pop(record.id, None)
        conversation.feed.publish("status", dict(ENDED))
