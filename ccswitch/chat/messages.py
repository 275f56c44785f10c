"""What a text conversation is made of, as every layer sees it (pure values): who wrote (``Sender``), a message
(``Message``) and its file (``Attachment``), the customer as they gave themselves (``Customer``), and the
conversation's record (``ConversationRecord``), which ``ccswitch.history.conversations`` keeps durably."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Sender(enum.StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a participant sent; its bytes are in the attachment store (``ccswitch.webchat.attachments``)."""

    id: str  # random and url-safe
    name: str  # the sender's file name, cleaned: no path, no control characters
    media_type: str  # sniffed from the bytes, never taken from the sender
    size: int


@dataclass(frozen=True, slots=True)
class Message:
    conversation: str
    seq: int  # 1, 2, 3 … within the conversation, given by the log
    at: float
    sender: Sender
    author: str  # the customer's name, the bot's, the agent's id; "" for the system
    text: str
    attachment: Attachment | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    """What the customer gave of themselves; each key that is not "" links their calls and chats."""

    name: str = ""
    email: str = ""  # lower-cased
    phone: str = ""  # as ``ccswitch.history.model.phone_key`` writes it
    identity: str = ""  # the widget's lasting visitor id


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    id: str
    channel: str  # a ``ccswitch.acd.capacity.Channel`` value
    queue: str
    topic: str
    customer: Customer
    started_at: float
    token_hash: str  # sha256 (hex) of the customer's bearer token; the token itself is never kept
    language: str = ""
    agent: str | None = None
    ended_at: float | None = None
    outcome: str | None = None  # "answered", "abandoned", "bot" (the bot alone), "offline" (the offline form)
    disposition: str | None = None
