"""What the ``say`` application speaks: mod_say_en's sound files for the say types the simulator models.

mod_say_en (``choose_callback``) builds the whole phrase as one ``file_string://a.wav!b.wav`` and plays it with
switch_ivr_play_file, so a ``say`` fires one PLAYBACK_START / PLAYBACK_STOP pair for that path. Modelled: NUMBER,
ITEMS, PERSONS, MESSAGES (en_say_general_count), CURRENCY (en_say_money) and TIME_MEASUREMENT (en_say_time). The
types mod_say_en also speaks (dates and times, IP_ADDRESS, NAME_SPELLED, NAME_PHONETIC, TELEPHONE_NUMBER) are
not modelled: the simulator says nothing for them and logs a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ccswitch.sim.dialstring import atoi

# switch_ivr_say.c SAY_TYPE_NAMES / SAY_METHOD_NAMES, compared case-insensitively.
SAY_TYPES = (
    "NUMBER", "ITEMS", "PERSONS", "MESSAGES", "CURRENCY", "TIME_MEASUREMENT", "CURRENT_DATE", "CURRENT_TIME",
    "CURRENT_DATE_TIME", "TELEPHONE_NUMBER", "TELEPHONE_EXTENSION", "URL", "IP_ADDRESS", "EMAIL_ADDRESS",
    "POSTAL_ADDRESS", "ACCOUNT_NUMBER", "NAME_SPELLED", "NAME_PHONETIC", "SHORT_DATE_TIME",
)  # fmt: skip
# mod_say_en choose_callback: the types it has a callback for; any other makes it log "Unknown Say type".
EN_TYPES = frozenset(
    {
        "NUMBER", "ITEMS", "PERSONS", "MESSAGES", "TIME_MEASUREMENT", "CURRENT_DATE", "CURRENT_TIME",
        "CURRENT_DATE_TIME", "SHORT_DATE_TIME", "IP_ADDRESS", "NAME_SPELLED", "NAME_PHONETIC", "CURRENCY",
        "TELEPHONE_NUMBER",
    }
)  # fmt: skip
MODELLED_TYPES = frozenset({"NUMBER", "ITEMS", "PERSONS", "MESSAGES", "CURRENCY", "TIME_MEASUREMENT"})
METHODS = ("PRONOUNCED", "ITERATED", "COUNTED", "PRONOUNCED_YEAR")


@dataclass(frozen=True)
class Said:
    """One run of the ``say`` application: its parsed argument and the sound files spoken (empty: nothing)."""

    uuid: str
    module: str
    lang: str
    say_type: str
    method: str
    gender: str | None
    text: str
    files: tuple[str, ...]


def spoken_files(say_type: str, method: str, text: str, now: float) -> list[str]:
    """The files mod_say_en plays for a modelled ``say_type`` (upper case); ``now`` is the switch's epoch time
    (TIME_MEASUREMENT of zero or less says the current epoch, as en_say_time does)."""
    files: list[str] = []
    if say_type == "CURRENCY":
        _money(files, text, method)
    elif say_type == "TIME_MEASUREMENT":
        _time_measurement(files, text, now)
    else:
        _general_count(files, text, method)
    return files


def _strip_commas(text: str) -> str | None:
    """switch_utils.c switch_strip_commas: digits with commas dropped; anything else is a parse error."""
    return text.replace(",", "") if re.fullmatch(r"[0-9,]*", text) else None


def _general_count(files: list[str], text: str, method: str) -> None:
    """mod_say_en.c en_say_general_count."""
    digits = _strip_commas(text)
    if method == "ITERATED":
        files += [f"digits/{digit}" for digit in digits or ""]
        return
    if digits is None or len(digits) > 9:
        return  # "Parse Error!"
    number = atoi(digits)
    if number == 0:
        files.append("digits/0")
    elif method == "PRONOUNCED_YEAR":
        century, rest = divmod(number, 100)
        if not rest or not century % 10:
            _general_count(files, str(number), "PRONOUNCED")
        else:
            _general_count(files, str(century), "PRONOUNCED")
            _general_count(files, str(rest), "PRONOUNCED")
    elif method in ("PRONOUNCED", "COUNTED"):
        millions, thousands, units = number // 1_000_000, number // 1000 % 1000, number % 1000
        _group(files, millions, "PRONOUNCED", "digits/million")
        _group(files, thousands, "PRONOUNCED", "digits/thousand")
        _group(files, units, method, None)
    # any other method (N/A, unknown) says nothing for a non-zero number


def _group(files: list[str], value: int, method: str, what: str | None) -> None:
    """mod_say_en.c play_group: hundreds, tens (10-19 as one file), units; ``h-`` files for COUNTED."""
    hundreds, tens, units = value // 100, value // 10 % 10, value % 10
    if hundreds:
        files += [f"digits/{hundreds}", "digits/hundred"]
    if tens > 1:
        files.append(f"digits/h-{tens}0" if units == 0 and method == "COUNTED" else f"digits/{tens}0")
    elif tens == 1:
        files.append(f"digits/1{units}")
        units = 0
    if units:
        files.append(f"digits/h-{units}" if method == "COUNTED" else f"digits/{units}")
    if what and value:
        files.append(what)


def _money(files: list[str], text: str, method: str) -> None:
    """mod_say_en.c en_say_money: [negative] dollars dollar(s) [and cents cent(s)]."""
    if len(text) > 15:
        return  # "Parse Error!"
    kept = "".join(char for char in text if char.isdigit() or char in ".-+")  # switch_strip_nonnumerics
    dollars, has_cents, cents = kept.partition(".")
    if kept.startswith("-"):
        files.append("currency/negative")
    dollars = dollars[1:] if kept[:1] in ("+", "-") else dollars
    _general_count(files, dollars, method)
    files.append("currency/dollar" if atoi(dollars) == 1 else "currency/dollars")
    if has_cents:
        cents = cents[:2]
        files.append("currency/and")
        _general_count(files, cents, method)
        files.append("currency/cent" if atoi(cents) == 1 else "currency/cents")


def _time_measurement(files: list[str], text: str, now: float) -> None:
    """mod_say_en.c en_say_time for TIME_MEASUREMENT: ``[[h:]m:]s`` or seconds, as hours, minutes and seconds."""
    if ":" in text:
        head, _, seconds_text = text.rpartition(":")
        hours_text, _, minutes_text = head.partition(":") if ":" in head else ("0", "", head)
        hours, minutes, seconds = atoi(hours_text), atoi(minutes_text), atoi(seconds_text)
    else:
        seconds = atoi(text)
        if seconds <= 0:
            seconds = int(now)
        minutes, seconds = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
    for amount, unit in ((hours, "hour"), (minutes, "minute"), (seconds, "second")):
        if amount:
            _general_count(files, str(amount), "PRONOUNCED")
            files.append(f"time/{unit}" if amount == 1 else f"time/{unit}s")
        else:
            files += ["digits/0", f"time/{unit}s"]
