"""The safe subset of regular expressions: what an engineer writes passes, what can blow up is refused with the
reason, and the cost is the product of the choices a pattern leaves open."""

from __future__ import annotations

import pytest

from ccswitch.chat.patterns import MAX_COST, UnsafePattern, compile_pattern
from ccswitch.chat.text import MATCHED_CHARS


@pytest.mark.parametrize("pattern", [
    r"\bwhen\b.*\bopen", r"\bцен\w*", r"(?:please )?hours?", r"[a-z]{2,5}\d{1,3}", r"\{x\}", r"^faq$",
    r"\bhow soon\b.{0,30}\b(?:get|arrive)", r"(?:доставк|привез)\w{0,5}", r"[^\]]x", r"(open|close)d?",
])
def test_patterns_an_engineer_writes_pass(pattern: str) -> None:
    assert compile_pattern(pattern).pattern == pattern


@pytest.mark.parametrize(("pattern", "reason"), [
    (r"(a+)+$", "a group may be optional (?) but not repeated"),
    (r"(a|a)*b", "a group may be optional (?) but not repeated"),
    (r"(?:ab){2,}", "a group may be optional (?) but not repeated"),
    (r"(\w)\1", "back-references"),
    (r"(?P<x>a)(?P=x)", "only (…) and (?:…) groups"),
    (r"(?=a)a", "only (…) and (?:…) groups"),
    (r"(?i)a", "only (…) and (?:…) groups"),
    (r"\w+\s\w+", "too costly"),
    ("a?" * 20 + "a" * 20, "too costly"),
    ("(?:a|b|c)" * 10, "too costly"),
    (r"x*", "matches an empty message"),
    (r"a{", None),  # a literal brace, as Python reads it: fine
])
def test_what_can_blow_up_is_refused(pattern: str, reason: str | None) -> None:
    if reason is None:
        assert compile_pattern(pattern)
        return
    with pytest.raises(UnsafePattern, match=reason.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        compile_pattern(pattern)


def test_the_cost_is_the_product_of_the_choices_left_open() -> None:
    # One unbounded repeat over the matched characters, and a bounded one of 31 choices: within the limit.
    assert MATCHED_CHARS * (MATCHED_CHARS + 1) * 31 <= MAX_COST
    assert compile_pattern(r"a.*b.{0,30}c")
    with pytest.raises(UnsafePattern, match=f"up to {MATCHED_CHARS * (MATCHED_CHARS + 1) * 62:,} steps"):
        compile_pattern(r"a.*b.{0,61}c")


def test_yo_in_a_pattern_reads_as_ye_like_the_message() -> None:
    assert compile_pattern("ёлка").search("елка")
