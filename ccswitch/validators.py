"""Validators both the configuration and the ESL command builders use, so that neither imports the other: a
name that can go into a FreeSWITCH command (a gateway's), refused with ``UnsafeValueError`` otherwise, and
caller-controlled text made safe for one."""

from __future__ import annotations

import re

from ccswitch.errors import UnsafeValueError

CALLER_ID_MAX_CHARS = 48
CALLER_ID_PUNCTUATION = " .-_+@"
"""Besides letters (any script) and the digits 0-9, the only characters ``caller_id_text`` keeps."""

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


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
