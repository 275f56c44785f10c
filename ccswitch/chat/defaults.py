"""What every chatbot knows before its YAML says anything: the built-in intents' words and the reply texts, in
English and Russian. A bot's ``intents:`` and ``texts:`` replace these per language (``ccswitch.config._chat``).

Keywords match word forms by their stem (``ccswitch.chat.text``): ``цена`` also finds ``цены`` and ``ценой``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal

from ccswitch.chat.text import Language

# What an intent does: a fixed reply of its own, or one of the answers the bot composes.
Answer = Literal["reply", "hello", "hours", "wait", "price", "availability", "promotions", "handover"]

# The built-in intents, in the order they win a tie (a bot's own intents come before them; a request for a person
# wins always). Each answer but "reply" is one built-in intent of the same name.
BUILT_IN: dict[Answer, dict[Language, tuple[str, ...]]] = {
    "handover": {
        "en": ("operator", "human", "person", "agent", "real person", "manager", "someone"),
        "ru": ("оператор", "человек", "менеджер", "консультант", "сотрудник", "специалист"),
    },
    "hello": {
        "en": ("hello", "hi", "hey", "good morning", "good afternoon", "good evening"),
        "ru": ("привет", "здравствуйте", "добрый день", "доброе утро", "добрый вечер"),
    },
    "hours": {
        "en": ("hours", "open", "opening", "close", "closed", "working hours", "schedule"),
        "ru": ("часы работы", "работаете", "открыты", "открыто", "закрыты", "график", "расписание",
               "до скольки", "во сколько"),
    },
    "wait": {
        "en": ("wait", "how long", "queue", "waiting time"),
        "ru": ("ждать", "ожидание", "очередь", "как долго", "сколько ждать"),
    },
    "price": {
        "en": ("price", "cost", "how much"),
        "ru": ("цена", "стоимость", "сколько стоит"),
    },
    "availability": {
        "en": ("in stock", "available", "availability", "have you got", "do you have"),
        "ru": ("наличие", "в наличии", "есть ли", "есть в", "осталось"),
    },
    "promotions": {
        "en": ("promotion", "discount", "sale", "offer", "deal"),
        "ru": ("акция", "скидка", "распродажа", "предложение", "промокод"),
    },
}

# Each reply text and the {fields} it may use (the loader refuses any other field).
TEXT_FIELDS: dict[str, frozenset[str]] = {
    "greeting": frozenset(),
    "fallback": frozenset(),
    "handover": frozenset(),
    "handover_closed": frozenset({"next", "hours"}),
    "hours_open": frozenset({"hours"}),
    "hours_closed": frozenset({"next", "hours"}),
    "wait": frozenset({"minutes"}),
    "wait_unknown": frozenset(),
    "price": frozenset({"name", "price"}),
    "no_price": frozenset({"name"}),
    "in_stock": frozenset({"name", "stock"}),
    "out_of_stock": frozenset({"name"}),
    "stock_unknown": frozenset({"name"}),
    "promotion": frozenset({"name", "promotion"}),
    "no_promotions": frozenset(),
    "which_item": frozenset({"items"}),
}

TEXTS: dict[str, dict[Language, str]] = {
    "greeting": {"en": "Hello! I am the shop's assistant. Ask me about opening hours, prices, what is in stock or "
                       "our offers, or type \"operator\" to talk to a person.",
                 "ru": "Здравствуйте! Я помощник магазина. Спросите о часах работы, ценах, наличии товара или "
                       "акциях, или напишите «оператор», чтобы поговорить с человеком."},
    "fallback": {"en": "Sorry, I did not understand. Ask about opening hours, prices, stock or offers, or type "
                       "\"operator\".",
                 "ru": "Извините, я не понял. Спросите о часах работы, ценах, наличии или акциях, или напишите "
                       "«оператор»."},
    "handover": {"en": "I am passing you to a person; they will see our conversation.",
                 "ru": "Передаю вас сотруднику, он увидит нашу переписку."},
    "handover_closed": {"en": "We are closed now; a person will answer when we open, {next}. Our hours: {hours}.",
                        "ru": "Сейчас мы не работаем; сотрудник ответит, когда мы откроемся: {next}. Часы "
                              "работы: {hours}."},
    "hours_open": {"en": "We are open now. Our hours: {hours}.",
                   "ru": "Сейчас мы работаем. Часы работы: {hours}."},
    "hours_closed": {"en": "We are closed now and open {next}. Our hours: {hours}.",
                     "ru": "Сейчас мы закрыты, откроемся {next}. Часы работы: {hours}."},
    "wait": {"en": "A person can answer in about {minutes} min.",
             "ru": "Сотрудник ответит примерно через {minutes} мин."},
    "wait_unknown": {"en": "I cannot tell the wait right now; a person will answer as soon as one is free.",
                     "ru": "Сейчас не могу сказать, сколько ждать; ответит первый освободившийся сотрудник."},
    "price": {"en": "{name}: {price}.", "ru": "{name}: {price}."},
    "no_price": {"en": "{name}: no price yet, ask a person.", "ru": "{name}: цены пока нет, спросите сотрудника."},
    "in_stock": {"en": "{name}: in stock ({stock}).", "ru": "{name}: есть в наличии ({stock} шт.)."},
    "out_of_stock": {"en": "{name}: out of stock.", "ru": "{name}: нет в наличии."},
    "stock_unknown": {"en": "{name}: ask a person whether it is in stock.",
                      "ru": "{name}: о наличии спросите сотрудника."},
    "promotion": {"en": "{name}: {promotion}", "ru": "{name}: {promotion}"},
    "no_promotions": {"en": "No offers right now.", "ru": "Сейчас акций нет."},
    "which_item": {"en": "Which product do you mean? For example: {items}.",
                   "ru": "Какой товар вас интересует? Например: {items}."},
}

# Words of the answers the bot composes (opening hours, the next opening).
DAY_NAMES: dict[Language, tuple[str, ...]] = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "ru": ("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
}
WORDS: dict[Language, MappingProxyType[str, str]] = {
    "en": MappingProxyType({"today": "today at", "tomorrow": "tomorrow at", "on": "on", "at": "at",
                            "every_day": "every day", "all_day": "all day", "not_soon": "in more than two weeks"}),
    "ru": MappingProxyType({"today": "сегодня в", "tomorrow": "завтра в", "on": "в", "at": "в",
                            "every_day": "ежедневно", "all_day": "круглосуточно",
                            "not_soon": "не раньше чем через две недели"}),
}
