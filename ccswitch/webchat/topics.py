"""The pre-chat form's topics (``chat.topics``): which one a customer chose, who answers it, whether a person can
now. Pure: the time and whether a queue is staffed are arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ccswitch.chat.hours import is_open
from ccswitch.config.model import ChatBot, ChatTopic, Config
from ccswitch.errors import UnknownNameError


@dataclass(frozen=True, slots=True)
class Availability:
    open: bool
    reason: str | None  # "closed" | "no-agents" | None
    topics: tuple[ChatTopic, ...]


def find_topic(config: Config, name: str) -> ChatTopic:
    topic = next((topic for topic in config.chat.topics if topic.name == name), None)
    if topic is None:
        known = ", ".join(topic.name for topic in config.chat.topics) or "none: chat is off"
        raise UnknownNameError(f"unknown topic (known: {known})")
    return topic


def bot_of(config: Config, topic: ChatTopic) -> ChatBot | None:
    return config.chatbots.get(topic.bot or "")


def queue_of(config: Config, topic: ChatTopic) -> str:
    """Where a person answers the topic: its own queue, or its bot's."""
    chatbot = bot_of(config, topic)
    return topic.queue or (chatbot.queue if chatbot is not None else "")


def availability(config: Config, now: datetime, staffed: Callable[[str], bool]) -> Availability:
    """Open when some topic's queue has an agent logged in (``staffed``) and, for a topic whose bot has a
    calendar, it is open hours; otherwise the first topic's reason."""
    reasons = []
    for topic in config.chat.topics:
        chatbot = bot_of(config, topic)
        if chatbot is not None and chatbot.calendar is not None and not is_open(chatbot.calendar, now):
            reasons.append("closed")
        elif not staffed(queue_of(config, topic)):
            reasons.append("no-agents")
        else:
            return Availability(True, None, config.chat.topics)
    return Availability(False, reasons[0] if reasons else "no-agents", config.chat.topics)
