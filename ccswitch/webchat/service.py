"""``ChatService``: the web chat's shell, in the controller process. It keeps every conversation in the
``ConversationLog``, lets the chatbot (pure: ``ccswitch.chat.bot``) talk first, hands the customer over to the ACD
(``ChatDesk``) and tells each open stream what happened (``OpenConversations``, ``Feed``).

Theory of operation
-------------------
A conversation starts with the topic the customer chose: a topic with a bot greets and answers until the bot hands
over (asked for a person, or not understood too often); a topic with a queue goes to the desk at once. Every line
anyone writes is appended to the log before anything else happens with it (the bot's answer, the desk's activity,
the reply to the request), so a line the customer has seen acknowledged survives a crash. The customer proves each
request with a bearer token given once at the start; only its sha256 is kept.

What is only in memory: the bot's state of each conversation still with the bot (rebuilt after a restart by feeding
the logged customer lines to the bot again: the bot is deterministic), and the feeds. The desk keeps the queued and
offered conversations in the store itself, so a restart needs nothing from here for those.

The engine's news (``DeskNews``) arrive on the controller's greenlet: they are put on a queue and this service's
own greenlet turns them into stream events, never blocking the engine.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import gevent
import gevent.event
import gevent.queue

from ccswitch.auth import limits
from ccswitch.auth.gate import TooManyAttempts
from ccswitch.chat import bot
from ccswitch.chat.messages import Attachment, ConversationRecord, Customer, Message, Sender
from ccswitch.chat.text import printable
from ccswitch.config.model import ChatBot, Config
from ccswitch.errors import CcswitchError, UnknownChoiceError
from ccswitch.history.conversations import ConversationLog, HistoryItem
from ccswitch.webchat.attachments import AttachmentStore
from ccswitch.webchat.conversations import Conversation, OpenConversations
from ccswitch.webchat.desk import AgentAction, ChatDesk, DeskNews, DeskStatus
from ccswitch.webchat.errors import ChatAccessError, ChatInputError
from ccswitch.webchat.feed import Feed
from ccswitch.webchat.topics import Availability, availability, bot_of, find_topic, queue_of
from ccswitch.webchat.views import customer_view, message_view

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 2000
CHANNEL = "chat"
# A customer who closed the page without ending the chat: with the bot alone, the conversation ends after this long
# without a line (with a person, the agent closes it). Checked every SWEEP_EVERY_S (real seconds).
BOT_IDLE_S = 30 * 60
SWEEP_EVERY_S = 60.0
RESUME_RETRY_S = 2.0


# Conversations (and offline messages) one client address may start: ten at once, then one a minute, so a script
# cannot open thousands, while a shop's visitors behind one office NAT are not turned away.
STARTS_PER_ADDRESS = limits.Rule(capacity=10, refill_per_s=1 / 60)

class ChatService:
    def __init__(self, config: Callable[[], Config], log_: ConversationLog, desk: ChatDesk,
                 clock: Callable[[], float], attachments: AttachmentStore | None = None) -> None:
        self._config, self._log, self._desk, self._now = config, log_, desk, clock
        self._attachments = attachments
        self._open = OpenConversations(log_, clock, self._agent_of, self.message_view)
        self._news: gevent.queue.Queue[DeskNews] = gevent.queue.Queue()
        self._starts = limits.Throttle(STARTS_PER_ADDRESS)
        self._resumed = gevent.event.Event()
        desk.listen(self._news.put_nowait)
        self._worker = gevent.spawn(self._run)
        self._sweeper = gevent.spawn(self._sweep)

    def wait_resumed(self, timeout: float) -> bool:
        """Whether the conversations open before a restart are open again (the desk answers once the controller
        runs, so this service may be made before the controller starts)."""
        self._resumed.wait(timeout)
        return bool(self._resumed.is_set())

    def close(self) -> None:
        gevent.killall([self._worker, self._sweeper])

    def end_idle(self) -> None:
        """End the conversations with the bot alone that have had no line for ``BOT_IDLE_S``."""
        idle_since = self._now() - BOT_IDLE_S
        for conversation in self._open:
            if conversation.bot is not None and conversation.last_at < idle_since:
                self.end(conversation.record.id, "The chat ended: no message for a while.")

    @property
    def max_attachment_bytes(self) -> int:
        return self._config().chat.max_attachment_bytes

    # ------------------------------------------------------------------ the customer's side
    def admit(self, address: str) -> None:
        """Count a conversation (or offline message) started from ``address``; ``TooManyAttempts`` beyond
        ``STARTS_PER_ADDRESS``."""
        wait = self._starts.take(address, self._now())
        if wait:
            raise TooManyAttempts(wait, "conversations from this address")

    def availability(self) -> Availability:
        config = self._config()
        return availability(config, datetime.fromtimestamp(self._now(), config.timezone), self._desk.staffed)

    def start(self, topic_name: str, customer: Customer) -> tuple[ConversationRecord, str]:
        """A new conversation and its customer's token (returned once, never kept): the topic's bot greets, or
        the conversation is queued for a person."""
        config, now = self._config(), self._now()
        topic = find_topic(config, topic_name)
        chatbot = bot_of(config, topic)
        token = secrets.token_urlsafe(32)
        record = ConversationRecord(
            id=secrets.token_urlsafe(16), channel=CHANNEL, queue=queue_of(config, topic),
            topic=topic.name, customer=customer, started_at=now, token_hash=_hash(token),
            language=chatbot.language if chatbot else "")
        self._log.open(record)
        conversation = self._open.add(record, bot.new_conversation(chatbot) if chatbot else None)
        if chatbot is not None:
            self._bot_turn(conversation, bot.Opened())
        else:
            self._hand_over(conversation)
        return record, token

    def conversation(self, conversation_id: str, token: str) -> ConversationRecord:
        """The conversation whose customer holds ``token``; ``ChatAccessError`` otherwise."""
        record = self._open.record(conversation_id)
        if record is None or not hmac.compare_digest(record.token_hash, _hash(token)):
            raise ChatAccessError("no such conversation for this token")
        return record

    def post(self, conversation_id: str, text: str) -> Message:
        """The customer's message, durable; then the bot answers it or the desk sees the activity."""
        conversation = self._open.live(conversation_id)
        with conversation.lock:
            message = self._open.append(conversation, Sender.CUSTOMER, conversation.record.customer.name, _clean(text))
            if conversation.bot is not None:
                self._bot_turn(conversation, bot.CustomerMessage(message.text))
            else:
                self._desk.activity(conversation_id, Sender.CUSTOMER, message.at)
        return message

    def send_file(self, conversation_id: str, sender: Sender, author: str, filename: str, data: bytes) -> Message:
        """A file from the customer or the agent (``AttachmentRefused`` says why one is not taken)."""
        if self._attachments is None:
            raise ChatInputError("this chat takes no files (chat.attachments is not set)")
        conversation = self._open.live(conversation_id)
        # Written and synced to disk in a thread: a 10 MB file must not hold up every other conversation.
        attachment = gevent.get_hub().threadpool.apply(self._attachments.save, (conversation_id, filename, data))
        message = self._open.append(conversation, sender, author, "", attachment)
        if conversation.bot is None:
            self._desk.activity(conversation_id, sender, message.at)
        return message

    def attachment(self, conversation_id: str, attachment_id: str) -> tuple[Attachment, Path] | None:
        return None if self._attachments is None else self._attachments.open(conversation_id, attachment_id)

    def typing(self, conversation_id: str, sender: Sender) -> None:
        """Not kept: only the other side's open streams hear of it."""
        conversation = self._open.live(conversation_id)
        if sender is Sender.CUSTOMER:
            agent = self._agent_of(conversation_id)
            if agent is not None:
                self._open.agent_feed(agent).publish("typing", {"id": conversation_id, "sender": sender.value})
        else:
            conversation.feed.publish("typing", {"sender": sender.value})

    def ask_for_person(self, conversation_id: str) -> None:
        conversation = self._open.live(conversation_id)
        with conversation.lock:
            if conversation.bot is not None:
                self._bot_turn(conversation, bot.PersonRequested())

    def end(self, conversation_id: str, why: str = "The customer left the chat.") -> None:
        """The customer left (``why`` is the system line that says so): the desk lets go of the conversation, the
        record is closed."""
        conversation = self._open.get(conversation_id)
        if conversation is None:
            return
        with conversation.lock:
            with_bot = conversation.bot is not None
            conversation.ending = True
            if not with_bot:
                self._desk.gone(conversation_id)
            self._open.append(conversation, Sender.SYSTEM, "", why)
            agent = self._agent_of(conversation_id) or conversation.record.agent
            outcome = "bot" if with_bot else ("answered" if agent else "abandoned")
            self._open.finish(conversation, outcome)

    def leave_message(self, topic_name: str, customer: Customer, text: str) -> ConversationRecord:
        """The offline form: kept as a conversation already ended, with outcome "offline" and its message."""
        config, now = self._config(), self._now()
        topic = find_topic(config, topic_name)
        record = ConversationRecord(
            id=secrets.token_urlsafe(16), channel=CHANNEL, queue=queue_of(config, topic),
            topic=topic.name, customer=customer, started_at=now, token_hash="", ended_at=now, outcome="offline")
        self._log.open(record)
        self._log.append(record.id, Sender.CUSTOMER, customer.name, _clean(text), now)
        return record

    def messages(self, conversation_id: str, after: int = 0) -> list[Message]:
        return self._log.messages(conversation_id, after)

    def status(self, conversation_id: str) -> tuple[str, DeskStatus | None]:
        """"bot", "queued", "with_agent" or "ended", and where the desk holds it."""
        conversation = self._open.get(conversation_id)
        if conversation is None:
            return "ended", None
        if conversation.bot is not None:
            return "bot", None
        held = self._desk.status(conversation_id)
        if held is None or held.phase == "ended":
            return "ended", held
        return ("with_agent" if held.phase == "active" else "queued"), held

    def record(self, conversation_id: str) -> ConversationRecord | None:
        return self._open.record(conversation_id)

    def feed(self, conversation_id: str) -> Feed:
        conversation = self._open.get(conversation_id)
        return conversation.feed if conversation is not None else Feed()

    # ------------------------------------------------------------------ the agent's side
    def agent_feed(self, agent: str) -> Feed:
        return self._open.agent_feed(agent)

    def customer_history(self, customer: Customer) -> list[HistoryItem]:
        return self._log.customer_history(customer)

    def held_by(self, agent: str) -> list[DeskStatus]:
        return self._desk.held_by(agent)

    def is_held_by(self, conversation_id: str, agent: str) -> bool:
        """Offered to or taken by ``agent`` now, or answered by them before."""
        held = self._desk.status(conversation_id)
        if held is not None and held.agent == agent:
            return True
        record = self._open.record(conversation_id)
        return record is not None and record.agent == agent

    def agent_post(self, agent: str, conversation_id: str, text: str) -> Message:
        conversation = self._open.live(conversation_id)
        self._must_hold(agent, conversation_id)
        message = self._open.append(conversation, Sender.AGENT, agent, _clean(text))
        self._desk.activity(conversation_id, Sender.AGENT, message.at)
        return message

    def agent_act(self, agent: str, conversation_id: str, action: AgentAction, *, disposition: str | None = None,
                  to_queue: str | None = None, to_agent: str | None = None) -> None:
        """Forward the action to the desk (which refuses one not allowed), then say in the conversation what
        changed for the customer."""
        conversation = self._open.live(conversation_id)
        if disposition is not None:
            self._check_disposition(conversation.record.queue, disposition)
        conversation.ending = action == "close"
        try:
            self._desk.act(agent, conversation_id, action, disposition=disposition, to_queue=to_queue,
                           to_agent=to_agent)
        except CcswitchError:
            conversation.ending = False
            raise
        name = self._agent_name(agent)
        if action == "accept":
            conversation.record = self._log.update(conversation_id, agent=agent)
            self._open.append(conversation, Sender.SYSTEM, "", f"{name} joined the chat.")
        elif action == "transfer":
            if to_queue is not None:
                conversation.record = self._log.update(conversation_id, queue=to_queue)
            self._open.append(conversation, Sender.SYSTEM, "", f"{name} transferred the chat to "
                                                          f"{to_queue or self._agent_name(to_agent or '')}.")
        elif action == "close":
            self._open.append(conversation, Sender.SYSTEM, "", f"{name} closed the chat.")
            self._open.finish(conversation, "answered", disposition)
        self._publish_status(conversation)

    # ------------------------------------------------------------------ inside
    def _resume(self) -> None:
        """After a restart: every conversation not ended is open again. The desk keeps those it was given; one it
        does not hold is still with the bot, which gets its state back by replaying the customer's lines, or was
        about to be queued when the controller stopped: it is queued now (a customer is never left with nobody)."""
        config = self._config()
        for record in self._log.open_conversations():
            if record.channel != CHANNEL or self._open.get(record.id) is not None:
                continue  # (one started since this service began: it is live already, with its bot and stream)
            conversation = self._open.add(record, None)
            if self._desk.status(record.id) is not None:
                continue
            topic = next((topic for topic in config.chat.topics if topic.name == record.topic), None)
            chatbot = bot_of(config, topic) if topic is not None else None
            state, handover = self._replayed(chatbot, record) if chatbot is not None else (None, True)
            if handover:
                self._hand_over(conversation)
            else:
                conversation.bot = state

    def _replayed(self, chatbot: ChatBot, record: ConversationRecord) -> tuple[bot.Conversation, bool]:
        """The bot's state after the logged conversation, and whether it handed over on the way."""
        zone = self._config().timezone
        state = bot.step(chatbot, bot.new_conversation(chatbot), bot.Opened(),
                         datetime.fromtimestamp(record.started_at, zone)).conversation
        for message in self._log.messages(record.id):
            if message.sender is Sender.CUSTOMER and message.text:
                turn = bot.step(chatbot, state, bot.CustomerMessage(message.text),
                                datetime.fromtimestamp(message.at, zone))
                state = turn.conversation
                if turn.handover is not None:
                    return state, True
        return state, False

    def _bot_turn(self, conversation: Conversation, event: bot.BotEvent) -> None:
        assert conversation.bot is not None
        config = self._config()
        chatbot = config.chatbots[conversation.bot.bot]
        turn = bot.step(chatbot, conversation.bot, event, datetime.fromtimestamp(self._now(), config.timezone),
                        self._desk.expected_wait_s(chatbot.queue, 1))
        conversation.bot = turn.conversation
        for reply in turn.replies:
            self._open.append(conversation, Sender.BOT, chatbot.name, reply)
        if turn.handover is not None:
            conversation.bot = None
            self._hand_over(conversation)

    def _hand_over(self, conversation: Conversation) -> None:
        record = conversation.record
        self._desk.queue(record.id, record.queue, record.customer, self._now())
        self._publish_status(conversation)

    def _publish_status(self, conversation: Conversation) -> None:
        conversation.feed.publish("status", self.status_view(conversation.record.id))

    def status_view(self, conversation_id: str) -> dict[str, object]:
        status, held = self.status(conversation_id)
        agent = held.agent if held is not None and held.phase == "active" else None
        place = held.position if held is not None and status == "queued" else None
        record = self._open.record(conversation_id)
        wait = self._desk.expected_wait_s(record.queue, place) if place is not None and record is not None else None
        return {"status": status, "agent": self._agent_name(agent) if agent else None, "position": place,
                "expected_wait_s": round(wait) if wait is not None else None}

    def _sweep(self) -> None:
        while True:
            gevent.sleep(SWEEP_EVERY_S)
            try:
                self.end_idle()
            except Exception:  # the database away for a moment: the next sweep tries again
                log.exception("chat: idle conversations not ended")

    def _run(self) -> None:
        while not self._resumed.is_set():
            try:
                self._resume()
                self._resumed.set()
            except (Exception, gevent.Timeout):  # the controller not answering yet, the database away: again
                log.exception("chat: open conversations not taken back yet; trying again in %.0f s", RESUME_RETRY_S)
                gevent.sleep(RESUME_RETRY_S)
        while True:
            news = self._news.get()
            try:
                self._tell(news)
            except Exception:  # one bad piece of news must not stop the others reaching the streams
                log.exception("chat %s: news %s not told", news.contact, news.kind)

    def _tell(self, news: DeskNews) -> None:
        if news.agent is not None:
            event = "offer" if news.kind == "offered" else news.kind
            self._open.agent_feed(news.agent).publish(event, {"id": news.contact, **self._summary(news.contact)})
        conversation = self._open.get(news.contact) or self._taken_over(news.contact)
        if conversation is None:
            return
        if news.kind == "ended" and not conversation.ending:  # the desk ended it of itself
            self._open.finish(conversation, "answered" if conversation.record.agent else "abandoned")
        else:
            self._publish_status(conversation)

    def _taken_over(self, conversation_id: str) -> Conversation | None:
        """A conversation this service has not open that the desk tells of: another controller's, which this one
        took over (its lease lapsed). It is open here from now on, as after a restart (with the person, not the
        bot: the desk has it)."""
        record = self._log.get(conversation_id)
        if record is None or record.ended_at is not None or record.channel != CHANNEL:
            return None
        log.info("chat %s: taken over from another controller", conversation_id)
        return self._open.add(record, None)

    def _summary(self, conversation_id: str) -> dict[str, object]:
        record = self._open.record(conversation_id)
        if record is None:
            return {}
        return {"customer": customer_view(record.customer), "topic": record.topic, "queue": record.queue}

    def _must_hold(self, agent: str, conversation_id: str) -> None:
        held = self._desk.status(conversation_id)
        if held is None or held.agent != agent or held.phase != "active":
            raise ChatInputError(f"agent {agent} does not have this conversation open (accept the offer first)")

    def _check_disposition(self, queue: str, disposition: str) -> None:
        found = self._config().queues.get(queue)
        allowed = found.dispositions if found is not None else ()
        if disposition not in allowed:
            raise UnknownChoiceError(f"unknown disposition (queue {queue} has: {', '.join(allowed) or 'none'})")

    def _agent_of(self, conversation_id: str) -> str | None:
        held = self._desk.status(conversation_id) if self._open.get(conversation_id) is not None else None
        return held.agent if held is not None and held.phase in ("offered", "active") else None

    def message_view(self, message: Message) -> dict[str, object]:
        """A message as the routes answer and the streams send it: an agent's under the agent's name."""
        return message_view(message, self._agent_name)

    def _agent_name(self, agent: str) -> str:
        found = self._config().agents.get(agent)
        return found.name if found is not None else agent


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean(text: str) -> str:
    cleaned = printable(text).strip()
    if not cleaned:
        raise ChatInputError("the message is empty")
    if len(cleaned) > MAX_TEXT_CHARS:
        raise ChatInputError(f"a message may have at most {MAX_TEXT_CHARS} characters")
    return cleaned


__all__ = ["ChatService"]
