"""The chatbot engine: every transition of its table, every kind of answer, both languages, handing over, and
hostile input. Times are Europe/Moscow, the shipped configuration's zone: the shop is open Mon-Fri 09:00-18:00 and
closed on the holidays of dialplans/main.yaml."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ccswitch.chat.bot import (
    MAX_MESSAGE_CHARS,
    MAX_TRANSCRIPT_LINES,
    BotState,
    Conversation,
    CustomerMessage,
    Opened,
    PersonRequested,
    Turn,
    format_price,
    new_conversation,
    step,
)
from ccswitch.config import load_config
from ccswitch.config.model import ChatBot
from ccswitch.errors import InvalidTransition

from .conftest import REPO

MOSCOW = ZoneInfo("Europe/Moscow")
OPEN = datetime(2026, 12, 8, 10, 0, tzinfo=MOSCOW)  # a Tuesday
EVENING = datetime(2026, 12, 8, 19, 30, tzinfo=MOSCOW)
FRIDAY_NIGHT = datetime(2026, 12, 11, 20, 0, tzinfo=MOSCOW)
NEW_YEAR = datetime(2027, 1, 1, 12, 0, tzinfo=MOSCOW)  # a Friday and a holiday


@pytest.fixture(scope="module")
def shop() -> ChatBot:
    return load_config(REPO / "config" / "ccswitch.yaml", env={}).chatbots["shop"]


def talking(bot: ChatBot, language: str = "ru") -> Conversation:
    conversation = step(bot, new_conversation(bot), Opened(), OPEN).conversation
    return Conversation(conversation.bot, conversation.state, language, 0, conversation.transcript)  # type: ignore[arg-type]


def say(bot: ChatBot, text: str, now: datetime = OPEN, conversation: Conversation | None = None,
        wait: float | None = None) -> Turn:
    return step(bot, conversation or talking(bot), CustomerMessage(text), now, wait)


def test_opening_the_chat_greets_in_the_bots_language(shop: ChatBot) -> None:
    turn = step(shop, new_conversation(shop), Opened(), OPEN)

    assert turn.conversation.state is BotState.TALKING
    assert turn.replies[0].startswith("Здравствуйте! Я помощник магазина «Пример».")
    assert [(line.by, line.text) for line in turn.conversation.transcript] == [("bot", turn.replies[0])]


def test_a_message_before_the_greeting_is_answered(shop: ChatBot) -> None:
    turn = step(shop, new_conversation(shop), CustomerMessage("доставка"), OPEN)

    assert (turn.conversation.state, turn.understood and turn.understood.intent) == (BotState.TALKING, "delivery")


@pytest.mark.parametrize(("text", "now", "reply"), [
    ("Во сколько вы работаете?", OPEN, "Сейчас мы работаем. Часы работы: пн-пт 09:00-18:00."),
    ("Во сколько вы работаете?", EVENING, "Сейчас мы закрыты, откроемся завтра в 09:00. Часы работы: пн-пт "
                                          "09:00-18:00."),
    ("When are you open?", FRIDAY_NIGHT, "We are closed now and open on Mon at 09:00. Our hours: Mon-Fri "
                                         "09:00-18:00."),
    ("are you open today?", NEW_YEAR, "We are closed now and open on Mon at 09:00. Our hours: Mon-Fri 09:00-18:00."),
    ("open?", datetime(2026, 12, 8, 8, 30, tzinfo=MOSCOW), "We are closed now and open today at 09:00. Our hours: "
                                                           "Mon-Fri 09:00-18:00."),
])
def test_opening_hours_come_from_the_dialplans_calendar(shop: ChatBot, text: str, now: datetime, reply: str) -> None:
    assert say(shop, text, now).replies == (reply,)


def test_the_expected_wait_is_the_callers_estimate_unless_closed(shop: ChatBot) -> None:
    assert say(shop, "сколько ждать?", wait=125).replies == ("Сотрудник ответит примерно через 3 мин.",)
    assert say(shop, "how long is the wait?", wait=10).replies == ("A person can answer in about 1 min.",)
    assert say(shop, "how long is the wait?").replies[0].startswith("I cannot tell the wait right now")
    assert say(shop, "how long is the wait?", EVENING, wait=60).replies[0].startswith("We are closed now")


def test_prices_name_the_items_or_ask_which(shop: ChatBot) -> None:
    assert say(shop, "Сколько стоит роутер X1?").replies == ("Роутер X1: 4 990 ₽.",)
    assert say(shop, "how much is a router?").replies == ("Router X1: 4 990 ₽.", "Router X2 Pro: 8 990 ₽.")
    assert say(shop, "цена?").replies == ("Какой товар вас интересует? Например: Роутер X1, Роутер X2 Pro, "
                                          "Телефон A5, Кабель USB-C 1 м, Гарнитура H3.",)


def test_prices_show_kopecks_only_when_there_are_some() -> None:
    assert (format_price(Decimal("12990.5"), "₽"), format_price(Decimal(390), "")) == ("12 990.50 ₽", "390")


def test_availability_in_stock_out_of_stock_and_unknown(shop: ChatBot) -> None:
    assert say(shop, "роутер x1 есть в наличии?").replies == ("Роутер X1: есть в наличии (12 шт.).",)
    assert say(shop, "is the X2 Pro in stock?").replies == ("Router X2 Pro: out of stock.",)
    assert say(shop, "do you have the headset available?").replies == ("Headset H3: ask a person whether it is in "
                                                                       "stock.",)


def test_promotions_of_all_items_or_of_those_named(shop: ChatBot) -> None:
    assert say(shop, "any discounts?").replies == ("Router X1: -10% with the promo code WIFI until Sunday",
                                                   "Phone A5: A case as a gift")
    assert say(shop, "скидка на смартфон?").replies == ("Телефон A5: Чехол в подарок",)
    assert say(shop, "any deal on the usb-c cable?").replies == ("No offers right now.",)


def test_naming_an_item_alone_tells_what_the_catalogue_knows(shop: ChatBot) -> None:
    turn = say(shop, "наушники")

    assert turn.understood is not None and (turn.understood.intent, turn.understood.items) == (None, ("headset-h3",))
    assert turn.replies == ("Гарнитура H3: 2 490 ₽.", "Гарнитура H3: о наличии спросите сотрудника.")


def test_a_bots_own_intent_by_keyword_and_by_pattern(shop: ChatBot) -> None:
    by_word = say(shop, "Доставка в Тверь?")
    by_pattern = say(shop, "How soon would I get it?")

    assert by_word.replies[0].startswith("По Москве доставим")
    assert by_pattern.understood is not None and by_pattern.understood.patterns == (
        r"\bhow soon\b.{0,30}\b(?:get|arrive)",)
    assert by_pattern.replies[0].startswith("We deliver in Moscow")


def test_hello_answers_with_the_greeting_in_the_customers_language(shop: ChatBot) -> None:
    turn = say(shop, "Hello there")

    assert turn.conversation.language == "en" and turn.replies[0].startswith("Hello! I am the Example Shop")


def test_the_language_follows_the_customer_and_stays(shop: ChatBot) -> None:
    english = say(shop, "what about delivery").conversation
    turn = say(shop, "x1?", conversation=english)

    assert turn.conversation.language == "en" and turn.replies[0] == "Router X1: 4 990 ₽."


@pytest.mark.parametrize("text", ["Позовите оператора", "можно живого человека?", "I want a human", "agent please",
                                  "Сколько стоит роутер? Дайте менеджера"])
def test_asking_for_a_person_hands_over_whatever_else_is_asked(shop: ChatBot, text: str) -> None:
    turn = say(shop, text)

    assert turn.handover is not None
    assert (turn.handover.queue, turn.handover.reason, turn.conversation.state) == ("sales", "asked",
                                                                                    BotState.HANDED_OVER)
    assert turn.handover.transcript[-2].text == text and turn.handover.transcript[-1].by == "bot"


def test_a_button_hands_over_and_when_closed_the_customer_is_told_when_a_person_answers(shop: ChatBot) -> None:
    turn = step(shop, talking(shop, "en"), PersonRequested(), FRIDAY_NIGHT)

    assert turn.handover is not None and turn.handover.reason == "asked"
    assert turn.replies == ("We are closed now; a person will answer when we open, on Mon at 09:00. Our hours: "
                            "Mon-Fri 09:00-18:00.",)
    assert step(shop, new_conversation(shop), PersonRequested(), OPEN).handover is not None


def test_misunderstandings_in_a_row_hand_over_and_an_answer_resets_the_count(shop: ChatBot) -> None:
    first = say(shop, "ыыы")
    answered = say(shop, "доставка", conversation=first.conversation)
    again = say(shop, "ыыы", conversation=answered.conversation)
    second = say(shop, "ъъъ", conversation=again.conversation)

    assert (first.handover, first.conversation.misses_in_row) == (None, 1)
    assert first.replies[0].startswith("Извините, я не понял.")
    assert (answered.conversation.misses_in_row, again.conversation.misses_in_row) == (0, 1)
    assert second.handover is not None and second.handover.reason == "not_understood"
    assert [line.text for line in second.handover.transcript if line.by == "customer"] == ["ыыы", "доставка", "ыыы",
                                                                                           "ъъъ"]


@pytest.mark.parametrize("event", [Opened(), CustomerMessage("hi"), PersonRequested()])
def test_a_handed_over_conversation_takes_no_more_events(shop: ChatBot, event: Any) -> None:
    handed_over = say(shop, "оператор").conversation

    with pytest.raises(InvalidTransition, match="not allowed in state handed_over"):
        step(shop, handed_over, event, OPEN)


def test_opening_twice_is_refused(shop: ChatBot) -> None:
    with pytest.raises(InvalidTransition, match="Opened is not allowed in state talking"):
        step(shop, talking(shop), Opened(), OPEN)


def test_time_must_carry_its_zone(shop: ChatBot) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        step(shop, talking(shop), CustomerMessage("hi"), datetime(2026, 12, 8, 10, 0))


def test_a_tie_goes_to_the_intent_listed_first_and_more_words_win(make_bot: Any) -> None:
    bot = make_bot("queue: support\nintents:\n"
                   "  first: {keywords: {en: [parcel]}, reply: {en: First}}\n"
                   "  second: {keywords: {en: [parcel, tracking]}, reply: {en: Second}}\n")

    assert say(bot, "parcel?").replies == ("First",)
    assert say(bot, "parcel tracking?").replies == ("Second",)


def test_a_reply_in_one_language_serves_both_and_a_text_replaces_its_language_only(make_bot: Any) -> None:
    bot = make_bot("queue: support\ntexts: {fallback: {en: 'Pardon?'}}\nintents:\n"
                   "  faq: {patterns: ['^faq$'], reply: {ru: Смотрите раздел FAQ}}\n")

    assert say(bot, "faq", conversation=talking(bot, "en")).replies == ("Смотрите раздел FAQ",)
    assert say(bot, "uhh", conversation=talking(bot, "en")).replies == ("Pardon?",)
    assert say(bot, "ыыы").replies[0].startswith("Извините, я не понял.")


def test_a_huge_message_is_cut_for_the_transcript_and_read_from_its_start(shop: ChatBot) -> None:
    turn = say(shop, "доставка " + "я" * 5_000_000 + " оператор")

    assert turn.handover is None and turn.understood is not None and turn.understood.intent == "delivery"
    assert len(turn.conversation.transcript[-2].text) == MAX_MESSAGE_CHARS


def test_control_characters_never_reach_the_transcript(shop: ChatBot) -> None:
    turn = say(shop, "\x1b[2Jдоставка\x00\x07?")

    assert turn.conversation.transcript[-2].text == "[2Jдоставка?"


def test_input_built_against_the_shipped_pattern_is_answered(shop: ChatBot) -> None:
    turn = say(shop, "how soon " + "get " * 5_000 + "!")

    assert turn.understood is not None and turn.understood.intent == "delivery"


def test_the_transcript_keeps_the_last_lines(shop: ChatBot) -> None:
    conversation = talking(shop)
    for _ in range(MAX_TRANSCRIPT_LINES):
        conversation = say(shop, "доставка", conversation=conversation).conversation

    assert len(conversation.transcript) == MAX_TRANSCRIPT_LINES
    assert conversation.transcript[0].by == "customer"
