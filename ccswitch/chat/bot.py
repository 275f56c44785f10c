"""The chatbot in front of a chat queue: pure, no I/O; time, the expected wait and the configuration are arguments.

Theory of operation
-------------------
A conversation starts NEW. When the chat opens (``Opened``) the bot greets and is TALKING. Each customer message
(``CustomerMessage``) is normalised (``chat.text``) and matched against the bot's intents: keywords by their stems,
patterns from the safe subset (``chat.patterns``), and, with a catalogue, the items the message names. A request
for a person always wins; otherwise the intent with the most keywords and patterns found, ties going to the one
listed first. The bot answers in the customer's language (the message's, else the conversation's so far):

* opening hours and whether it is open now, from the dialplan rule of its calendar (``chat.hours``);
* the expected wait for a person, which the caller of ``step`` supplies (the router's estimate); when the
  calendar says closed, the opening hours instead;
* prices, stock and offers of the catalogue items named, or, naming none, a question back; a message that names
  items and no intent gets what the catalogue knows of them;
* the intent's own reply, for the intents a bot defines.

A message nothing matches is a miss; ``max_misses_in_row`` misses in a row, a request for a person (in words, or
``PersonRequested`` from a button) hand the conversation over: the turn carries a ``Handover`` with the queue,
the reason and the transcript for the agent, and the conversation is HANDED_OVER, where the bot takes no more
events. Every message and reply goes into the transcript (the last ``MAX_TRANSCRIPT_LINES``), control characters
removed and each cut at ``MAX_MESSAGE_CHARS``.

Every allowed transition is one row of ``_TRANSITIONS`` ((state, event type) → handler); anything else raises
``InvalidTransition``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ccswitch.acd.waiting import whole_minutes
from ccswitch.chat.hours import describe_hours, describe_moment, is_open, next_opening
from ccswitch.chat.text import Language, detect_language, fill, normalise, printable
from ccswitch.config.model import CatalogueItem, ChatBot
from ccswitch.errors import InvalidTransition

MAX_MESSAGE_CHARS = 2000  # of a message, what the transcript keeps
MAX_TRANSCRIPT_LINES = 200
MAX_ITEMS_NAMED = 3  # items answered about in one turn
MAX_ITEMS_LISTED = 5  # items listed as examples or offers


class BotState(enum.Enum):
    NEW = "new"
    TALKING = "talking"
    HANDED_OVER = "handed_over"


@dataclass(frozen=True, slots=True)
class Opened:
    """The customer opened the chat: the bot greets."""


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    text: str


@dataclass(frozen=True, slots=True)
class PersonRequested:
    """The customer asked for a person without words (a button)."""


BotEvent = Opened | CustomerMessage | PersonRequested


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the transcript."""

    at: datetime
    by: Literal["customer", "bot"]
    text: str


@dataclass(frozen=True, slots=True)
class Conversation:
    bot: str
    state: BotState
    language: Language
    misses_in_row: int = 0
    transcript: tuple[Line, ...] = ()


@dataclass(frozen=True, slots=True)
class Understanding:
    """What the bot made of a message, for the engineer tuning it (``ccswitch bot``)."""

    intent: str | None  # None: no intent (a miss, unless items were named)
    keywords: tuple[str, ...] = ()  # the chosen intent's keywords found
    patterns: tuple[str, ...] = ()  # ... and its patterns that matched
    items: tuple[str, ...] = ()  # the catalogue items named (skus)


@dataclass(frozen=True, slots=True)
class Handover:
    queue: str
    reason: Literal["asked", "not_understood"]
    language: Language
    transcript: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Turn:
    conversation: Conversation
    replies: tuple[str, ...]
    handover: Handover | None = None
    understood: Understanding | None = None  # for a customer message


@dataclass(frozen=True, slots=True)
class _Moment:
    """What the shell knows when the event happens."""

    now: datetime
    expected_wait_s: float | None


def new_conversation(bot: ChatBot) -> Conversation:
    return Conversation(bot.name, BotState.NEW, bot.language)


def step(bot: ChatBot, conversation: Conversation, event: BotEvent, now: datetime,
         expected_wait_s: float | None = None) -> Turn:
    """The conversation after ``event`` at ``now`` (timezone-aware), the bot's replies and any handover;
    ``expected_wait_s``: the router's estimate of the wait for a person in the bot's queue (None: unknown).
    Raises ``InvalidTransition`` if the table does not allow the event in the conversation's state."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    handler = _TRANSITIONS.get((conversation.state, type(event)))
    if handler is None:
        raise InvalidTransition(f"chatbot {bot.name}: {type(event).__name__} is not allowed in state "
                                f"{conversation.state.value}")
    return handler(bot, conversation, event, _Moment(now, expected_wait_s))


def understand(bot: ChatBot, message: str) -> Understanding:
    """The intent and the catalogue items ``message`` names."""
    normal = normalise(message)
    words = normal.split()
    keywords = bot.intent_index.find(words)
    found: list[tuple[int, tuple[str, ...], tuple[str, ...]]] = []  # (position, keywords, patterns)
    for position, intent in enumerate(bot.intents):
        patterns = tuple(pattern.pattern for pattern in intent.patterns if pattern.search(normal))
        if keywords.get(position) or patterns:
            found.append((position, keywords.get(position, ()), patterns))
    items = _items_named(bot, words)
    if not found:
        return Understanding(None, items=items)
    asked_for_person = [each for each in found if bot.intents[each[0]].answer == "handover"]
    position, matched, patterns = (asked_for_person or
                                   sorted(found, key=lambda each: (-len(each[1]) - len(each[2]), each[0])))[0]
    return Understanding(bot.intents[position].name, matched, patterns, items)


def _items_named(bot: ChatBot, words: list[str]) -> tuple[str, ...]:
    """The items whose names and keywords the message names most (several when they tie)."""
    if bot.catalogue is None:
        return ()
    hits = bot.catalogue.index.find(words)
    if not hits:
        return ()
    best = max(len(keywords) for keywords in hits.values())
    return tuple(bot.catalogue.items[position].sku
                 for position in sorted(hits) if len(hits[position]) == best)[:MAX_ITEMS_NAMED]


def _greet(bot: ChatBot, conversation: Conversation, _event: Opened, moment: _Moment) -> Turn:
    return _say(bot, replace(conversation, state=BotState.TALKING), moment, [_text(bot, "greeting",
                                                                                  conversation.language)])


def _answer(bot: ChatBot, conversation: Conversation, event: CustomerMessage, moment: _Moment) -> Turn:
    text = printable(event.text[:MAX_MESSAGE_CHARS])  # cut first: a huge message costs no more than this
    conversation = replace(conversation, state=BotState.TALKING,
                           language=detect_language(normalise(text), conversation.language),
                           transcript=_added(conversation.transcript, Line(moment.now, "customer", text)))
    understood = understand(bot, text)
    intent = next((each for each in bot.intents if each.name == understood.intent), None)
    if intent is not None and intent.answer == "handover":
        return replace(_hand_over(bot, conversation, "asked", moment), understood=understood)
    if intent is None and not understood.items:
        misses = conversation.misses_in_row + 1
        if misses >= bot.max_misses_in_row:
            return replace(_hand_over(bot, conversation, "not_understood", moment), understood=understood)
        turn = _say(bot, replace(conversation, misses_in_row=misses), moment,
                    [_text(bot, "fallback", conversation.language)])
        return replace(turn, understood=understood)
    replies = _compose(bot, conversation.language, intent.answer if intent else "summary",
                       intent.reply if intent else {}, understood.items, moment)
    return replace(_say(bot, replace(conversation, misses_in_row=0), moment, replies), understood=understood)


def _person_requested(bot: ChatBot, conversation: Conversation, _event: PersonRequested, moment: _Moment) -> Turn:
    return _hand_over(bot, conversation, "asked", moment)


def _hand_over(bot: ChatBot, conversation: Conversation, reason: Literal["asked", "not_understood"],
               moment: _Moment) -> Turn:
    language = conversation.language
    if bot.calendar is not None and not is_open(bot.calendar, moment.now):
        text = _text(bot, "handover_closed", language, **_closed_fields(bot, language, moment.now))
    else:
        text = _text(bot, "handover", language)
    turn = _say(bot, replace(conversation, state=BotState.HANDED_OVER), moment, [text])
    return replace(turn, handover=Handover(bot.queue, reason, language, turn.conversation.transcript))


def _compose(bot: ChatBot, language: Language, answer: str, reply: Mapping[Language, str],
             skus: tuple[str, ...], moment: _Moment) -> list[str]:
    items = _items(bot, skus)
    closed = bot.calendar is not None and not is_open(bot.calendar, moment.now)
    if answer == "reply":
        return [reply[language]]
    if answer == "hello":
        return [_text(bot, "greeting", language)]
    if answer == "hours" or (answer == "wait" and closed):
        assert bot.calendar is not None  # the loader builds the hours intent only for a bot with a calendar
        if closed:
            return [_text(bot, "hours_closed", language, **_closed_fields(bot, language, moment.now))]
        return [_text(bot, "hours_open", language, hours=describe_hours(bot.calendar, language))]
    if answer == "wait":
        if moment.expected_wait_s is None:
            return [_text(bot, "wait_unknown", language)]
        return [_text(bot, "wait", language, minutes=str(whole_minutes(moment.expected_wait_s)))]
    if answer == "promotions":
        offered = [item for item in items or _all_items(bot) if item.promotions][:MAX_ITEMS_LISTED]
        return [_text(bot, "promotion", language, name=item.names[language], promotion=item.promotions[language])
                for item in offered] or [_text(bot, "no_promotions", language)]
    if not items:
        examples = ", ".join(item.names[language] for item in _all_items(bot)[:MAX_ITEMS_LISTED])
        return [_text(bot, "which_item", language, items=examples)]
    if answer == "price":
        return [_price(bot, item, language) for item in items]
    if answer == "availability":
        return [_stock(bot, item, language) for item in items]
    return [line for item in items for line in (_price(bot, item, language), _stock(bot, item, language),
                                               *_promotion(bot, item, language))]  # "summary"


def _price(bot: ChatBot, item: CatalogueItem, language: Language) -> str:
    if item.price is None:
        return _text(bot, "no_price", language, name=item.names[language])
    return _text(bot, "price", language, name=item.names[language], price=format_price(item.price, bot.currency))


def _stock(bot: ChatBot, item: CatalogueItem, language: Language) -> str:
    name = item.names[language]
    if item.stock is None:
        return _text(bot, "stock_unknown", language, name=name)
    if item.stock == 0:
        return _text(bot, "out_of_stock", language, name=name)
    return _text(bot, "in_stock", language, name=name, stock=str(item.stock))


def _promotion(bot: ChatBot, item: CatalogueItem, language: Language) -> list[str]:
    if not item.promotions:
        return []
    return [_text(bot, "promotion", language, name=item.names[language], promotion=item.promotions[language])]


def format_price(price: Decimal, currency: str) -> str:
    """``4990`` → ``4 990 ₽``; kopecks shown only when there are some (``12.50``)."""
    shown = f"{price:,.0f}" if price == price.to_integral_value() else f"{price:,.2f}"
    return f"{shown.replace(',', ' ')} {currency}".rstrip()


def _closed_fields(bot: ChatBot, language: Language, now: datetime) -> dict[str, str]:
    assert bot.calendar is not None
    return {"hours": describe_hours(bot.calendar, language),
            "next": describe_moment(next_opening(bot.calendar, now), now, language)}


def _items(bot: ChatBot, skus: tuple[str, ...]) -> list[CatalogueItem]:
    return [item for item in _all_items(bot) if item.sku in skus]


def _all_items(bot: ChatBot) -> tuple[CatalogueItem, ...]:
    return bot.catalogue.items if bot.catalogue is not None else ()


def _text(bot: ChatBot, key: str, language: Language, **values: str) -> str:
    return fill(bot.texts[key][language], values)


def _say(bot: ChatBot, conversation: Conversation, moment: _Moment, replies: list[str]) -> Turn:
    transcript = conversation.transcript
    for reply in replies:
        transcript = _added(transcript, Line(moment.now, "bot", reply[:MAX_MESSAGE_CHARS]))
    return Turn(replace(conversation, transcript=transcript), tuple(replies))


def _added(transcript: tuple[Line, ...], line: Line) -> tuple[Line, ...]:
    return (*transcript, line)[-MAX_TRANSCRIPT_LINES:]


# The table key guarantees the handler's event type, hence ``Any`` for the event parameter.
_Handler = Callable[[ChatBot, Conversation, Any, _Moment], Turn]

_S = BotState
_TRANSITIONS: dict[tuple[BotState, type[BotEvent]], _Handler] = {
    (_S.NEW, Opened): _greet,
    (_S.NEW, CustomerMessage): _answer,
    (_S.NEW, PersonRequested): _person_requested,
    (_S.TALKING, CustomerMessage): _answer,
    (_S.TALKING, PersonRequested): _person_requested,
}
