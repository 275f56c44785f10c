"""What a chatbot reads in a message: normalised words, the language, and which configured keywords they name.

Pure: no I/O. A message is normalised before anything looks at it: lower case (``casefold``), ``ё`` read as ``е``,
every character that is not a letter or a digit (punctuation, symbols, control characters) read as a space, and
only the first ``MATCHED_CHARS`` characters kept, so that no message, however long, costs more than a short one.

Word forms: a keyword matches the words that begin with its stem, the keyword less one common ending (Russian
``цена`` → ``цен`` matches ``цены``, ``ценой``, ``цену``; English ``price`` → ``pric`` matches ``prices``,
``pricing``). Prefix matching on a light stem was chosen over a full stemmer (Snowball): it needs no dependency,
behaves the same on both sides for any word an engineer writes (a stemmer maps ``работа`` and ``работаете`` to
different stems), and what it does can be said in one sentence. It can over-match (``час`` in ``часто``): words of
up to three letters therefore match only whole, and a regular-expression pattern is there for precision.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Language = Literal["en", "ru"]
LANGUAGES: tuple[Language, ...] = ("en", "ru")

MATCHED_CHARS = 400  # of a normalised message, what keywords and patterns look at
MIN_STEM = 3  # shorter words match only whole

# One inflectional ending is stripped from a keyword word, the longest that leaves MIN_STEM letters.
_ENDINGS = {
    "ru": sorted(("а", "я", "о", "е", "ы", "и", "у", "ю", "ь", "й", "ой", "ей", "ий", "ый", "ая", "яя", "ое",
                  "ее", "ые", "ие", "ам", "ям", "ах", "ях", "ом", "ем", "ов", "ев", "ами", "ями", "ть", "ет",
                  "ут", "ют", "ит", "ат", "ят", "ешь", "ете", "ите", "ого", "его", "ому", "ему", "ых", "их"),
                 key=len, reverse=True),
    "en": ["ing", "es", "ed", "s", "e", "y"],
}
_CYRILLIC = re.compile(r"[а-я]")
_LATIN = re.compile(r"[a-z]")
LANGUAGE_SWITCH_LATIN = 4  # Latin letters it takes to switch a conversation to English ("x1" does not)


def normalise(text: str) -> str:
    """``text`` as keywords and patterns see it: lower case, ``ё`` as ``е``, anything but letters and digits as
    one space, at most ``MATCHED_CHARS`` characters."""
    folded = text[: MATCHED_CHARS * 4].casefold().replace("ё", "е")
    kept = "".join(char if char.isalnum() else " " for char in folded)
    return " ".join(kept.split())[:MATCHED_CHARS].rstrip()


def printable(text: str) -> str:
    """``text`` without control characters (kept: tab and line feed), for a transcript a person reads."""
    return "".join(char for char in text if char in "\t\n" or unicodedata.category(char)[0] != "C")


def detect_language(normalised: str, current: Language) -> Language:
    """The language a message is written in: Russian when it has Cyrillic letters (and no more Latin ones),
    English when it has Latin letters enough to be words and no Cyrillic; otherwise the conversation's so far."""
    cyrillic, latin = len(_CYRILLIC.findall(normalised)), len(_LATIN.findall(normalised))
    if cyrillic and cyrillic >= latin:
        return "ru"
    if not cyrillic and latin >= LANGUAGE_SWITCH_LATIN:
        return "en"
    return current


def stem(word: str) -> str:
    """The part of a (normalised) keyword word that message words must begin with; the whole word if it is short."""
    if len(word) <= MIN_STEM:
        return word
    endings = _ENDINGS["ru" if _CYRILLIC.search(word) else "en"]
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


@dataclass(frozen=True, slots=True)
class Keyword:
    """A configured keyword: one word or a phrase whose words must follow each other in the message."""

    text: str  # normalised, as shown to people
    stems: tuple[str, ...]
    whole: tuple[bool, ...]  # per word: matches only itself (a short word), not the words it begins

    def word_matches(self, index: int, word: str) -> bool:
        wanted = self.stems[index]
        return word == wanted if self.whole[index] else word.startswith(wanted)


def keyword(text: str) -> Keyword | None:
    """``text`` as a Keyword; None when nothing of it is left after normalising (only punctuation)."""
    words = normalise(text).split()
    if not words:
        return None
    return Keyword(" ".join(words), tuple(stem(word) for word in words),
                   tuple(len(word) <= MIN_STEM for word in words))


@dataclass(frozen=True, slots=True)
class WordIndex:
    """The keywords of many owners (intents, catalogue items, numbered by position), indexed by their first stem so
    that a message costs a few look-ups per word however many keywords there are."""

    by_first: Mapping[str, tuple[tuple[Keyword, int], ...]]

    @staticmethod
    def build(entries: Iterable[tuple[Keyword, int]]) -> WordIndex:
        grouped: dict[str, list[tuple[Keyword, int]]] = {}
        for entry in entries:
            grouped.setdefault(entry[0].stems[0], []).append(entry)
        return WordIndex(MappingProxyType({first: tuple(each) for first, each in grouped.items()}))

    def find(self, words: Sequence[str]) -> dict[int, tuple[str, ...]]:
        """Owner → the keywords of it that ``words`` (a normalised message, split) contain, each once, in order."""
        found: dict[int, list[str]] = {}
        for position, word in enumerate(words):
            for first in _candidates(word):
                for entry, owner in self.by_first.get(first, ()):
                    if _phrase_at(entry, words, position) and entry.text not in found.get(owner, ()):
                        found.setdefault(owner, []).append(entry.text)
        return {owner: tuple(texts) for owner, texts in found.items()}


def _candidates(word: str) -> Iterable[str]:
    """The first stems that could match ``word``: the word itself and each prefix long enough to be a stem."""
    yield word
    yield from (word[:length] for length in range(MIN_STEM, len(word)))


def _phrase_at(entry: Keyword, words: Sequence[str], position: int) -> bool:
    if position + len(entry.stems) > len(words):
        return False
    return all(entry.word_matches(offset, words[position + offset]) for offset in range(len(entry.stems)))


_FIELD = re.compile(r"\{([a-z_]+)\}")


def template_fields(template: str) -> list[str]:
    """The ``{field}`` names a reply template uses."""
    return _FIELD.findall(template)


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{field}`` replaced by its value (the loader has checked every field is known)."""
    return _FIELD.sub(lambda found: values.get(found[1], found[0]), template)
