"""Regular-expression patterns a chatbot may use: a subset whose worst case is bounded before it ever runs.

Python's ``re`` backtracks, and no timeout can interrupt a match, so a pattern such as ``(a+)+$`` or ``(a|a)*b``
takes exponential time on a message an attacker chooses. A pattern is therefore checked when the configuration
loads, by a small scanner of its text (no private ``re`` modules):

* at most ``MAX_PATTERN_CHARS`` characters, and ``re.compile`` must accept it;
* groups are plain ``(…)`` or ``(?:…)``: no look-arounds, no back-references, no conditionals, no inline flags;
* a group may be made optional (``?``) but not repeated (``*``, ``+``, ``{m,n}``): repeats apply to one character,
  a class or an escape such as ``\\w`` (nested repeats are what blows up);
* the product of the choices it leaves open stays under ``MAX_COST`` for a message of ``MATCHED_CHARS``
  characters: each repeat gives ``max - min + 1`` choices (an unbounded one as many as the message has
  characters), each alternation one per branch, and the search tries every start position. In practice: one
  unbounded repeat (``.*``, ``\\w+``) and a few small bounded ones (``.{0,30}``).

The bot matches patterns against the normalised message (``text.normalise``): lower case, ``ё`` as ``е``,
punctuation as spaces, at most ``MATCHED_CHARS`` characters; they are compiled case-insensitive.
"""

from __future__ import annotations

import re

from ccswitch.chat.text import MATCHED_CHARS

MAX_PATTERN_CHARS = 200
MAX_COST = 5_000_000  # worst-case steps of one search; about 10 ms of Python's re

_QUANTIFIER = re.compile(r"(?:([*+?])|\{(\d*)(,?)(\d*)\})[?+]?")


class UnsafePattern(ValueError):
    """A pattern outside the safe subset, with the reason in words."""


def compile_pattern(text: str) -> re.Pattern[str]:
    """``text`` compiled for matching normalised messages; UnsafePattern (a ValueError) says why not."""
    if len(text) > MAX_PATTERN_CHARS:
        raise UnsafePattern(f"pattern is {len(text)} characters; at most {MAX_PATTERN_CHARS}")
    try:
        compiled = re.compile(text.replace("ё", "е").replace("Ё", "Е"), re.IGNORECASE)
    except re.error as exc:
        raise UnsafePattern(f"bad regular expression: {exc}") from exc
    cost = MATCHED_CHARS * _choices(text)
    if cost > MAX_COST:
        raise UnsafePattern(f"too costly to match: up to {cost:,} steps on a {MATCHED_CHARS}-character message "
                            f"(limit {MAX_COST:,}); keep to one unbounded repeat (.* \\w+) and bound the others "
                            "(.{0,30})")
    if compiled.search(""):
        raise UnsafePattern("matches an empty message, so it would take every message")
    return compiled


def _choices(text: str) -> int:
    """The product of the choices the pattern leaves open (see the module's docstring); raises UnsafePattern for
    the constructs outside the subset."""
    product = 1
    branches = [1]  # per open group (the outermost is the pattern): its number of alternatives
    position = 0
    last_atom: str | None = None  # "char" | "group" | None (nothing that may take a quantifier)
    while position < len(text):
        char = text[position]
        quantifier = _QUANTIFIER.match(text, position) if last_atom else None
        if quantifier:
            low, high = _bounds(quantifier)
            if last_atom == "group" and (high is None or high > 1):
                raise UnsafePattern("a group may be optional (?) but not repeated: repeat single characters, "
                                    "classes or escapes only (nested repeats can take exponential time)")
            product *= (MATCHED_CHARS if high is None else high) - low + 1
            position, last_atom = quantifier.end(), None
            continue
        if char == "\\":
            following = text[position + 1: position + 2]
            if following.isdigit() and following != "0":
                raise UnsafePattern("back-references (\\1) are not allowed: they can take exponential time")
            position, last_atom = position + 2, "char"
        elif char == "[":
            position, last_atom = _class_end(text, position), "char"
        elif char == "(":
            if text.startswith("(?", position) and not text.startswith("(?:", position):
                raise UnsafePattern("only (…) and (?:…) groups are allowed: no look-arounds, back-references, "
                                    "conditionals or inline flags")
            branches.append(1)
            position, last_atom = position + (3 if text.startswith("(?:", position) else 1), None
        elif char == ")":
            product *= branches.pop() if len(branches) > 1 else 1
            position, last_atom = position + 1, "group"
        elif char == "|":
            branches[-1] += 1
            position, last_atom = position + 1, None
        else:
            position, last_atom = position + 1, "char" if char not in "^$" else None
    return product * branches[0]


def _bounds(quantifier: re.Match[str]) -> tuple[int, int | None]:
    symbol, low, comma, high = quantifier.groups()
    if symbol:
        return {"*": (0, None), "+": (1, None), "?": (0, 1)}[symbol]
    least = int(low) if low else 0
    if not comma:
        return least, least
    return least, int(high) if high else None


def _class_end(text: str, start: int) -> int:
    """The position after the ``]`` that closes the class opening at ``start`` (re.compile has vouched for it)."""
    position = start + 1
    if text.startswith("^", position):
        position += 1
    if text.startswith("]", position):
        position += 1
    while position < len(text) and text[position] != "]":
        position += 2 if text[position] == "\\" else 1
    return position + 1
