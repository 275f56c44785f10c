"""Pure parsing of the strings FreeSWITCH commands carry: dial strings, inline dialplans, app specs."""

from __future__ import annotations

import re
from dataclasses import dataclass


def separate_string(text: str, delim: str) -> list[str]:
    """switch_separate_string() for a non-blank delimiter (switch_utils.c, separate_string_char_delim):
    single quotes protect delimiters and are removed, a backslash escapes the next character, and each part
    loses
    its leading and trailing spaces."""
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i + 1])
            i += 2
            continue
        if char == "'" and (in_quotes or "'" in text[i + 1 :]):
            in_quotes = not in_quotes
        elif char == delim and not in_quotes:
            parts.append("".join(current).strip(" "))
            current = []
        else:
            current.append(char)
        i += 1
    if current or parts:
        parts.append("".join(current).strip(" "))
    return parts


@dataclass(frozen=True)
class AppCall:
    app: str
    arg: str


def parse_inline_dialplan(target: str) -> list[AppCall]:
    """mod_dptools.c inline_dialplan_hunt(): ``app:arg,app:arg`` or ``m:<sep>:app:arg<sep>app``."""
    delim = ","
    if len(target) >= 4 and target[0] == "m" and target[1] == ":" and target[3] == ":":
        delim, target = target[2], target[4:]
    calls = []
    for part in separate_string(target, delim):
        app, _, arg = part.partition(":")
        calls.append(AppCall(app.lstrip(" "), arg))
    return calls


def parse_broadcast_path(path: str) -> AppCall:
    """switch_ivr_async.c switch_ivr_broadcast: ``app::arg`` when the first ``:`` is doubled, else a file to play."""
    colon = path.find(":")
    if colon >= 0 and path[colon + 1 : colon + 2] == ":":
        return AppCall(path[:colon], path[colon + 2 :])
    return AppCall("playback", path)


def parse_app_spec(spec: str) -> AppCall:
    """``&app(args)`` or ``&app args`` from an originate command line."""
    body = spec.removeprefix("&")
    if "(" in body and body.endswith(")"):
        app, _, arg = body[:-1].partition("(")
        return AppCall(app, arg)
    app, _, arg = body.partition(" ")
    return AppCall(app, arg)


@dataclass(frozen=True)
class DialTarget:
    """One leg of a dial string: its endpoint (``user/1000``) and the variables that apply to it."""

    endpoint: str
    variables: tuple[tuple[str, str], ...]


def _parse_var_block(block: str) -> list[tuple[str, str]]:
    pairs = []
    for item in separate_string(block, ","):
        name, sep, value = item.partition("=")
        if sep:
            pairs.append((name.strip(), value))
    return pairs


def _take_block(text: str, close_char: str) -> tuple[str, str]:
    end = text.index(close_char)
    return text[1:end], text[end + 1 :]


def _split_outside_brackets(text: str, separator: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def parse_dial_string(dial: str) -> list[list[DialTarget]]:
    """``{global=vars}[leg=vars]endpoint,[leg=vars]endpoint|...``: groups tried one after another (``|``), each a
    list of legs that ring together (``,``), every leg with the global variables first, then its own (``[...]``
    wins)."""
    text = dial.strip()
    global_vars: list[tuple[str, str]] = []
    while text.startswith("{"):
        block, text = _take_block(text, "}")
        global_vars += _parse_var_block(block)
    groups = []
    for group in _split_outside_brackets(text, "|"):
        targets = []
        for leg in _split_outside_brackets(group, ","):
            leg_vars: list[tuple[str, str]] = []
            while leg.startswith("["):
                block, leg = _take_block(leg, "]")
                leg_vars += _parse_var_block(block)
            targets.append(DialTarget(leg, tuple(global_vars + leg_vars)))
        groups.append(targets)
    return groups


def split_command_args(text: str) -> list[str]:
    """Blank-separated api arguments; single-quoted parts stay whole (switch_separate_string with ' ')."""
    args: list[str] = []
    current: list[str] = []
    in_quotes = False
    for char in text:
        if char == "'":
            in_quotes = not in_quotes
        elif char == " " and not in_quotes:
            if current:
                args.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        args.append("".join(current))
    return args


def switch_true(value: str | None) -> bool:
    """switch_utils.h switch_true."""
    return value is not None and value.lower() in ("true", "yes", "on", "1", "enabled", "active", "allow")


def atoi(text: str) -> int:
    """C atoi: leading blanks, an optional sign, then digits; 0 when there are none."""
    match = re.match(r"\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else 0
