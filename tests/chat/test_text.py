"""Normalising messages, telling the language, and keywords by their stems."""

from __future__ import annotations

import pytest

from ccswitch.chat.text import MATCHED_CHARS, WordIndex, detect_language, fill, keyword, normalise, printable, stem


def test_normalise_folds_case_yo_punctuation_and_control_characters() -> None:
    assert normalise("  ЁЛКА?! Wi-Fi\x00\x1b[31m…  РОУТЕР,цена ") == "елка wi fi 31m роутер цена"


def test_normalise_keeps_only_the_first_characters_of_a_huge_message() -> None:
    assert len(normalise("слово " * 100_000)) <= MATCHED_CHARS


def test_printable_drops_control_characters_but_keeps_lines() -> None:
    assert printable("a\x00b\x1b[0m\tc\nd\u200b") == "ab[0m\tc\nd"


@pytest.mark.parametrize(("text", "current", "language"), [
    ("сколько стоит роутер x1", "en", "ru"),
    ("how much is the router", "ru", "en"),
    ("x1", "ru", "ru"),  # too few Latin letters to switch
    ("ok", "ru", "ru"),
    ("12345", "en", "en"),
    ("wifi роутер", "en", "ru"),
])
def test_the_language_of_a_message(text: str, current: str, language: str) -> None:
    assert detect_language(normalise(text), current) == language  # type: ignore[arg-type]


@pytest.mark.parametrize(("word", "expected"), [
    ("цена", "цен"), ("работаете", "работа"), ("доставка", "доставк"), ("час", "час"),
    ("price", "pric"), ("opening", "open"), ("hours", "hour"), ("x1", "x1"), ("курьер", "курьер"),
])
def test_a_keyword_loses_one_ending_and_keeps_three_letters(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_a_keyword_matches_word_forms_by_its_stem_and_short_words_only_whole() -> None:
    index = WordIndex.build([(keyword("цена"), 0), (keyword("час"), 1), (keyword("сколько стоит"), 2)])  # type: ignore[list-item]

    assert index.find(normalise("Какие у вас цены? Сколько СТОИТ?").split()) == {0: ("цена",), 2: ("сколько стоит",)}
    assert index.find(["часто", "бываю"]) == {}
    assert index.find(["час"]) == {1: ("час",)}
    assert index.find(["стоит", "сколько"]) == {}  # a phrase in its order only


def test_punctuation_alone_is_no_keyword() -> None:
    assert keyword("?!") is None


def test_fill_replaces_fields_and_never_reads_values_as_templates() -> None:
    assert fill("{name}: {price}", {"name": "{price}", "price": "5"}) == "{price}: 5"
