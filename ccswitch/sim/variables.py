"""``${var}`` expansion in application data, as switch_core_session.c switch_core_session_exec does it (through
switch_channel.c switch_channel_expand_variables_check) just before an application runs: the CHANNEL_EXECUTE
``Application-Data``, ``current_application_data`` and what the application gets are the expanded text.

Modelled: ``${name}`` and ``$${name}`` (both looked up alike at run time: switch_channel_get_variable_dup gives
the channel variable, else the caller-profile field, else the global variable; nothing at all expands to the
empty string), a name that itself holds ``${...}``, a value that holds ``${...}`` (expanded again, at most 100
deep), ``${name:offset[:length]}``, ``\\$`` for a literal ``$``. Text without ``${`` / ``\\$`` / ``\\'`` is used
unchanged. Not simulated: ``${api args}`` / ``${api(args)}`` (FreeSWITCH runs the api command), array indexes."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ccswitch.sim.dialstring import atoi

log = logging.getLogger(__name__)

Lookup = Callable[[str], str | None]
_MAX_DEPTH = 100


def expand_variables(text: str, lookup: Lookup, depth: int = 0) -> str:
    if depth > _MAX_DEPTH or not ("${" in text or "\\$" in text or "\\'" in text):
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and text[i + 1 : i + 2] == "$":  # \$ (and \$$) is a literal $
            out.append("$")
            i += 3 if text[i + 2 : i + 3] == "$" else 2
            continue
        if char == "\\" and text[i + 1 : i + 2] == "'":  # dropped, with the quote
            i += 2
            continue
        start = i + 2 if text.startswith("$${", i) else i + 1 if text.startswith("${", i) else -1
        if start < 0:
            out.append(char)
            i += 1
            continue
        end = _closing_brace(text, start)
        out.append(_value(text[start + 1 : end], lookup, depth))
        i = end + 1
    return "".join(out)


def _closing_brace(text: str, opening: int) -> int:
    depth = 0
    for i in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return len(text)


def _value(name: str, lookup: Lookup, depth: int) -> str:
    if " " in name or "(" in name:
        log.warning("${%s}: api expansion is not simulated: expanded to nothing", name)
        return ""
    name = expand_variables(name, lookup, depth + 1)
    name, _, offsets = name.partition(":")
    name = name.partition("[")[0]
    value = lookup(name)
    if value is None:
        return ""
    value = expand_variables(value, lookup, depth + 1)
    if offsets:
        offset_text, has_length, length_text = offsets.partition(":")
        offset, length = atoi(offset_text), atoi(length_text) if has_length else 0
        if offset >= 0 or -offset <= len(value):
            value = value[offset:]
        if length > 0:
            value = value[:length]
    return value
