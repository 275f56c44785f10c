"""chatbots.yaml and its catalogue: the shipped bot loads; each mistake gives one ``file: key.path: problem``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ccswitch.config import load_config
from ccswitch.config._chat import MAX_CATALOGUE_BYTES, MAX_CATALOGUE_ITEMS

from .conftest import Tree
from .test_config_errors import problems

BOTS, CATALOGUE = "config/chatbots.yaml", "config/catalogue.csv"
HEADER = "sku,name_en,name_ru,keywords,price,stock,promotion_en,promotion_ru\n"


def test_the_shipped_bot_fronts_sales_with_the_business_hours_and_the_catalogue(tree: Tree) -> None:
    bot = load_config(tree.config_file, env={}).chatbots["shop"]

    assert (bot.queue, bot.language, bot.currency, bot.max_misses_in_row) == ("sales", "ru", "₽", 2)
    assert bot.calendar is not None
    assert (bot.calendar.dialplan.name, bot.calendar.rule.name, bot.calendar.did) == (
        "main", "business-hours", "88005550556")
    assert bot.catalogue is not None
    first = bot.catalogue.items[0]
    assert (first.sku, first.names["ru"], first.price, first.stock) == ("router-x1", "Роутер X1", Decimal(4990), 12)
    assert [intent.name for intent in bot.intents] == [
        "delivery", "returns", "handover", "hello", "hours", "wait", "price", "availability", "promotions"]
    hours = next(intent for intent in bot.intents if intent.name == "hours")
    words = {keyword.text for keyword in hours.keywords}
    assert "выходные" in words and "opening" in words  # ru replaced by the file's, en the built-in words


SHOP_TOPIC = '    - {name: sales, label: "Sales", bot: shop}\n'


def without_the_shop(tree: Tree) -> None:
    """The web chat's topic greeted by the shipped bot goes (that bot would be unknown)."""
    tree.edit("config/ccswitch.yaml", SHOP_TOPIC, "")


def test_no_file_means_no_bots(tree: Tree) -> None:
    without_the_shop(tree)
    (tree.root / BOTS).unlink()
    assert problems(tree) == [] and load_config(tree.config_file, env={}).chatbots == {}


def test_a_bot_without_calendar_or_catalogue_has_no_intents_that_need_them(tree: Tree) -> None:
    without_the_shop(tree)
    tree.write(BOTS, "plain: {queue: support}\n")
    bot = load_config(tree.config_file, env={}).chatbots["plain"]

    assert [intent.name for intent in bot.intents] == ["handover", "hello", "wait"]
    assert bot.texts["greeting"]["en"].startswith("Hello!")


def test_unknown_queue_and_calendar(tree: Tree) -> None:
    tree.edit(BOTS, "queue: sales", "queue: salse")
    tree.edit(BOTS, "rule: business-hours", "rule: office-hours")
    assert problems(tree) == [
        f"{BOTS}: shop.calendar.rule: unknown calendar: dialplan 'main' has no rule 'office-hours' (known: holidays, "
        "business-hours, out-of-hours)",
        f"{BOTS}: shop.queue: unknown queue 'salse' (known: operator, sales, support)",
    ]
    tree.edit(BOTS, "dialplan: main", "dialplan: mian")
    assert problems(tree)[0] == (f"{BOTS}: shop.calendar.dialplan: unknown calendar: no dialplan 'mian' "
                                 "(known: demo, main)")


@pytest.mark.parametrize(("pattern", "problem"), [
    ("'(a+)+$'", "a group may be optional (?) but not repeated"),
    ("'(\\w)\\1'", "back-references (\\1) are not allowed"),
    ("'(?<=a)b'", "only (…) and (?:…) groups are allowed"),
    ("'a.*b.*c'", "too costly to match: up to 64,320,400 steps on a 400-character message (limit 5,000,000)"),
    ("'x*'", "matches an empty message"),
    ("'(open'", "bad regular expression: missing ), unterminated subpattern at position 0"),
    ("'" + "a" * 201 + "'", "pattern is 201 characters; at most 200"),
])
def test_unsafe_patterns_are_refused(tree: Tree, pattern: str, problem: str) -> None:
    tree.edit(BOTS, "patterns: ['\\bhow soon\\b.{0,30}\\b(?:get|arrive)']", f"patterns: [{pattern}]")

    (found,) = problems(tree)
    assert found.startswith(f"{BOTS}: shop.intents.delivery.patterns[0]: {problem}")


def test_intent_mistakes(tree: Tree) -> None:
    without_the_shop(tree)
    tree.write(BOTS, "plain:\n  queue: support\n  intents:\n"
                     "    faq: {keywords: {en: [faq]}}\n"
                     "    empty: {reply: {en: Hi}}\n"
                     "    hours: {keywords: {en: [open]}}\n"
                     "    price: {keywords: {de: [preis]}}\n")
    assert problems(tree) == [
        f"{BOTS}: plain.intents.faq.reply: missing: what the bot answers (built-in intents: handover, hello, hours, "
        "wait, price, availability, promotions)",
        f"{BOTS}: plain.intents.empty: an intent needs keywords, patterns or both",
        f"{BOTS}: plain.intents.hours: the built-in intent 'hours' needs a calendar in this bot",
        f"{BOTS}: plain.intents.price: the built-in intent 'price' needs a catalogue in this bot",
    ]


def test_texts_may_use_only_their_fields(tree: Tree) -> None:
    tree.edit(BOTS, "  texts:\n", "  texts:\n    wait: {en: 'About {minutes} min, {name}'}\n")
    assert problems(tree) == [
        f"{BOTS}: shop.texts.wait.en: unknown field {{name}} (this text may use: {{minutes}})"]


def test_missing_catalogue_file(tree: Tree) -> None:
    tree.edit(BOTS, "catalogue: catalogue.csv", "catalogue: nope.csv")
    assert problems(tree) == [f"{BOTS}: shop.catalogue: file not found: config/nope.csv"]


def test_catalogue_too_large(tree: Tree) -> None:
    tree.write(CATALOGUE, HEADER + "".join(f"item-{n},Item {n},,,1,1,,\n" for n in range(MAX_CATALOGUE_ITEMS + 1)))
    assert problems(tree) == [f"{CATALOGUE}: more than 5,000 items; a catalogue may have at most 5,000"]
    tree.write(CATALOGUE, HEADER + "x" * MAX_CATALOGUE_BYTES)
    assert problems(tree) == [f"{CATALOGUE}: file is {len(HEADER) + MAX_CATALOGUE_BYTES:,} bytes; a catalogue may "
                              f"have at most {MAX_CATALOGUE_BYTES:,}"]


def test_bad_catalogue_rows_are_reported_with_their_line_numbers(tree: Tree) -> None:
    tree.write(CATALOGUE, HEADER + "router-x1,Router X1,,,4990,12,,\n"
                                   "bad sku,Thing,,,1,1,,\n"
                                   "nameless,,,,1,1,,\n"
                                   "dear,Dear,,,-5,1,,\n"
                                   "thousands,Thousands,,,\"4,990\",1,,\n"
                                   "spaced,Spaced,,,\"12 990,50\",1,,\n"
                                   "many,Many,,,5,lots,,\n"
                                   "router-x1,Again,,,1,1,,\n")
    assert problems(tree) == [
        f"{CATALOGUE}: line 3: sku: 'bad sku' is not letters, digits, '_' and '-'",
        f"{CATALOGUE}: line 4: name_en, name_ru: the item needs a name",
        f"{CATALOGUE}: line 5: price: expected a number such as 4990 or 12.50 (spaces between thousands, '.' or ',' "
        "before at most two decimals), got '-5'",
        f"{CATALOGUE}: line 6: price: expected a number such as 4990 or 12.50 (spaces between thousands, '.' or ',' "
        "before at most two decimals), got '4,990'",
        f"{CATALOGUE}: line 8: stock: expected a whole number of at least 0, got 'lots'",
        f"{CATALOGUE}: line 9: sku 'router-x1' listed twice",
    ]
    tree.write(CATALOGUE, "sku,title\nx,X\n")
    assert problems(tree) == [f"{CATALOGUE}: line 1: expected the columns sku, name_en and/or name_ru, and optionally "
                              "keywords, price, stock, promotion_en, promotion_ru; got sku, title"]
