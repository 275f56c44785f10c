"""Numbers a waiting caller hears ("caller number 3", "about 4 minutes"), as our own sound files.

Why not FreeSWITCH's ``say``: a source-built switch has mod_say_en but no sound files for it, and neither builds
nor loads mod_say_ru (build/modules.conf.in, conf/vanilla modules.conf.xml), so ``say`` is silent there. The
controller instead picks the files itself, the way mod_say_en (``play_group``) and mod_say_ru (``play_group``,
``ru_say_time``) do, from ``sounds/numbers/<language>/``, and plays them as one prompt. The files keep those
modules' names (``digits/…``, ``time/…``); ``scripts/make_sounds.sh`` makes them.

Russian needs the gender of what is counted: "три минуты" but "одна минута", so a count takes the noun it goes
with; the noun's form follows the number (минута / минуты / минут), as in mod_say_ru.
"""

from __future__ import annotations

from enum import Enum

LANGUAGES = ("en", "ru")
MAX_NUMBER = 999_999  # thousands are the largest group: no queue position or wait in minutes comes near


class Noun(Enum):
    """What a number counts; None in ``spoken`` is a bare count ("caller number 3")."""

    MINUTE = "minute"


def spoken(language: str, number: int, noun: Noun | None = None) -> tuple[str, ...]:
    """The sound files (names under sounds/, without .wav) that say ``number`` [and its ``noun``] in
    ``language``, in order."""
    if not 0 <= number <= MAX_NUMBER:
        raise ValueError(f"cannot say {number}: 0..{MAX_NUMBER}")
    if language == "en":
        words = _english(number) + ([_english_noun(number, noun)] if noun else [])
    elif language == "ru":
        feminine = noun is not None and noun in _RU_FEMININE
        words = _russian(number, feminine) + ([f"time/{_russian_form(number, _RU_NOUNS[noun])}"] if noun else [])
    else:
        raise ValueError(f"no spoken numbers for language {language!r} (known: {', '.join(LANGUAGES)})")
    return tuple(f"numbers/{language}/{word}" for word in words)


def vocabulary(language: str) -> frozenset[str]:
    """Every file ``spoken`` can name for ``language``: what sounds/numbers/<language>/ must hold."""
    tens = [f"digits/{ten}0" for ten in range(2, 10)]
    if language == "en":
        words = [f"digits/{n}" for n in range(20)] + tens + ["digits/hundred", "digits/thousand"]
        units = [f"time/{unit}" for unit in ("minute", "minutes")]
    elif language == "ru":
        words = ([f"digits/{n}" for n in range(20)] + ["digits/1f", "digits/2f"] + tens
                 + [f"digits/{h}00" for h in range(1, 10)] + [f"digits/{t}" for t in _RU_THOUSAND])
        units = [f"time/{form}" for forms in _RU_NOUNS.values() for form in forms]
    else:
        raise ValueError(f"no spoken numbers for language {language!r} (known: {', '.join(LANGUAGES)})")
    return frozenset(f"numbers/{language}/{word}" for word in words + units)


def _english(number: int) -> list[str]:
    """mod_say_en.c en_say_general_count, PRONOUNCED: groups of three, "thousand" after a non-zero one."""
    if number == 0:
        return ["digits/0"]
    thousands, units = divmod(number, 1000)
    words = _english_group(thousands) + (["digits/thousand"] if thousands else [])
    return words + _english_group(units)


def _english_group(value: int) -> list[str]:
    """mod_say_en.c play_group: "3 hundred", then 20..90 and a unit, or 10..19 as one file."""
    hundreds, rest = divmod(value, 100)
    words = [f"digits/{hundreds}", "digits/hundred"] if hundreds else []
    tens, unit = divmod(rest, 10)
    if tens == 1:
        return [*words, f"digits/{rest}"]
    if tens > 1:
        words.append(f"digits/{tens}0")
    return [*words, f"digits/{unit}"] if unit else words


def _english_noun(number: int, noun: Noun) -> str:
    return f"time/{noun.value}" if number == 1 else f"time/{noun.value}s"


# mod_say_ru.h / mod_say_ru.c ru_say_time: the three forms of a counted noun (one, two to four, five and more).
_RU_THOUSAND = ("thousand", "thousands-i", "thousands")  # тысяча, тысячи, тысяч
_RU_NOUNS = {Noun.MINUTE: ("minute", "minutes-i", "minutes")}  # минута, минуты, минут
_RU_FEMININE = frozenset({Noun.MINUTE})  # одна минута, две минуты


def _russian(number: int, feminine: bool) -> list[str]:
    """mod_say_ru.c play_group for the nominative: тысяча is feminine (одна тысяча, две тысячи)."""
    if number == 0:
        return ["digits/0"]
    thousands, units = divmod(number, 1000)
    words = _russian_group(thousands, feminine=True) + ([f"digits/{_russian_form(thousands, _RU_THOUSAND)}"]
                                                          if thousands else [])
    return words + _russian_group(units, feminine)


def _russian_group(value: int, feminine: bool) -> list[str]:
    hundreds, rest = divmod(value, 100)
    words = [f"digits/{hundreds}00"] if hundreds else []
    tens, unit = divmod(rest, 10)
    if tens == 1:
        return [*words, f"digits/{rest}"]
    if tens > 1:
        words.append(f"digits/{tens}0")
    if unit in (1, 2) and feminine:
        return [*words, f"digits/{unit}f"]  # одна, две
    return [*words, f"digits/{unit}"] if unit else words


def _russian_form(number: int, forms: tuple[str, str, str]) -> str:
    """1, 21, 101 → the first form; 2-4, 22-24 → the second; 0, 5-20, 25-30, 111-114 → the third."""
    last, last_two = number % 10, number % 100
    if last == 1 and last_two != 11:
        return forms[0]
    if 2 <= last <= 4 and not 12 <= last_two <= 14:
        return forms[1]
    return forms[2]
