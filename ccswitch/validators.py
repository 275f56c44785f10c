"""Validators the configuration, the pure core and the ESL command builders share, so that none of them imports
another: values that can go into a FreeSWITCH command (names, uuids, extensions, channel variables, dial
endpoints and dial strings), refused with ``UnsafeValueError`` otherwise; caller-controlled text made safe for one;
an IANA time zone by name."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NewType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccswitch.errors import UnsafeValueError

CALLER_ID_MAX_CHARS = 48
CALLER_ID_PUNCTUATION = " .-_+@"
"""Besides letters (any script) and the digits 0-9, the only characters ``caller_id_text`` keeps."""

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_UUID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,35}")
_EXTENSION = re.compile(r"[A-Za-z0-9_.+*#][A-Za-z0-9_.+*#-]{0,63}")
_HANGUP_CAUSE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_USER = r"[A-Za-z0-9_.+*#-]+"
_HOST = r"[A-Za-z0-9.-]+(:[0-9]{1,5})?"
_DIAL_ENDPOINT = re.compile(
    rf"user/{_USER}(@{_HOST})?"
    rf"|sofia/gateway/{NAME.pattern}/{_USER}"
    rf"|sofia/{NAME.pattern}/{_USER}(@{_HOST})?"
    rf"|loopback/{_USER}(/{NAME.pattern}){{0,2}}"
    rf"|error/{_HANGUP_CAUSE.pattern}"
)
_VALUE_PUNCTUATION = " ._+@/:=#*-"
_MAX_VALUE_CHARS = 256

DialString = NewType("DialString", str)
"""A dial string built by ``dial_string()``; ``commands.originate()`` takes nothing else."""


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def unsafe(role: str, value: object, allowed: str) -> UnsafeValueError:
    return UnsafeValueError(f"{role} {_shown(value)} can't go into a FreeSWITCH command (allowed: {allowed})")


def matching(pattern: re.Pattern[str], value: str, role: str, allowed: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise unsafe(role, value, allowed)
    return value


def is_letter_or_digit(char: str) -> bool:
    return char.isalpha() or char in "0123456789"


def gateway(value: str, role: str = "gateway") -> str:
    """A sofia gateway name, as it appears in ``sofia/gateway/<name>/<number>``."""
    return matching(NAME, value, role, "1-64 letters, digits and _ . -, not starting with '.' or '-'")


def caller_id_text(value: str) -> str:
    """Caller-controlled text (display name, number) made safe wherever a command carries it; never raises.

    Survives: letters of any script, the digits 0-9, and ``. - _ + @``; any whitespace becomes one space;
    everything else (``, { } [ ] ' " \\ $ ^ | : % / = ;``, control characters, emoji...) is dropped. The
    result has no leading or trailing space, is at most ``CALLER_ID_MAX_CHARS`` characters and may be empty.
    """
    kept = "".join(
        char if is_letter_or_digit(char) or char in CALLER_ID_PUNCTUATION else " " if char.isspace() else ""
        for char in value
    )
    return " ".join(kept.split())[:CALLER_ID_MAX_CHARS].rstrip(" ")


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ``ValueError`` saying so in words a person can act on."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Moscow)") from None


def uuid(value: str, role: str = "channel uuid") -> str:
    """A FreeSWITCH uuid (8-4-4-4-12 hex) or any token of our own for ``origination_uuid``/``Job-UUID``."""
    return matching(_UUID, value, role, "1-36 letters, digits and '-', not starting with '-'")


def extension(value: str, role: str = "extension") -> str:
    return matching(_EXTENSION, value, role, "1-64 letters, digits and _ . + * # -, not starting with '-'")


def dialplan_context(value: str, role: str = "dialplan context") -> str:
    return matching(NAME, value, role, "a context name")


def var_name(value: str, role: str = "channel variable name") -> str:
    return matching(VAR_NAME, value, role, "[A-Za-z_][A-Za-z0-9_]*, at most 64 chars")


def var_value(value: str, role: str = "channel variable value") -> str:
    """A config-supplied value that must survive a ``{}`` block, a quoted argument and an inline app list."""
    allowed = f"1-{_MAX_VALUE_CHARS} letters, digits, inner spaces and {_VALUE_PUNCTUATION.strip()}, no ':_:'"
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= _MAX_VALUE_CHARS
        or value != value.strip(" ")
        or ":_:" in value
        or not all(is_letter_or_digit(char) or char in _VALUE_PUNCTUATION for char in value)
    ):
        raise unsafe(role, value, allowed)
    return value


def dial_endpoint(value: str, role: str = "dial endpoint") -> str:
    return matching(
        _DIAL_ENDPOINT,
        value,
        role,
        "user/<ext>[@domain], sofia/gateway/<gw>/<number>, sofia/<profile>/<user>[@host[:port]], "
        "loopback/<ext>[/<context>[/<dialplan>]] or error/<CAUSE>",
    )


def hangup_cause(value: str, role: str = "hangup cause") -> str:
    return matching(_HANGUP_CAUSE, value, role, "UPPER_SNAKE_CASE, e.g. NORMAL_CLEARING")


def dial_string(endpoint: str, variables: Mapping[str, str]) -> DialString:
    """``{k=v,...}endpoint``: the variables go to every leg the endpoint creates (not to the caller)."""
    pairs = variable_pairs(variables)
    block = f"{{{pairs}}}" if pairs else ""
    return DialString(f"{block}{dial_endpoint(endpoint)}")


def variable_pairs(variables: Mapping[str, str]) -> str:
    """``k=v,k=v`` for a ``{}`` or ``[]`` block, every name and value validated."""
    return ",".join(f"{var_name(name)}={var_value(value, f'{name} value')}" for name, value in variables.items())


_CHAT_ADDRESS = re.compile(rf"({NAME.pattern}/)?{_USER}@{_HOST}")
CHAT_TEXT_MAX_CHARS = 400
_CHAT_TEXT_REFUSED = "|'\"\\$"


def chat_address(value: str, role: str = "chat address") -> str:
    """``[<sofia profile>/]<user>@<host>``, a field of ``chat``: no ``|`` (the field separator), no spaces."""
    return matching(_CHAT_ADDRESS, value, role, "[<profile>/]<user>@<host>[:port]")


def chat_text(value: str, role: str = "message text") -> str:
    """The text of a ``chat`` message: one line of printable characters, without the ``|`` that separates the
    command's fields nor the quotes and backslash FreeSWITCH's splitter consumes (switch_utils.c
    ``separate_string_char_delim`` then ``cleanup_separated_string``), nor ``$``; at most ``CHAT_TEXT_MAX_CHARS``."""
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= CHAT_TEXT_MAX_CHARS
        or value != value.strip()
        or any(not char.isprintable() or char in _CHAT_TEXT_REFUSED for char in value)
    ):
        raise unsafe(role, value, f"1-{CHAT_TEXT_MAX_CHARS} printable characters on one line, without | ' \" \\ $")
    return value
