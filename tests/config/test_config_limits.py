"""What a broken or hostile configuration file can cost is bounded: size, alias expansion, nesting, encoding."""

from __future__ import annotations

import pytest

from ccswitch.config import check_config

from .conftest import Tree

FILE = "config/supervisors.yaml"


def problems_of(tree: Tree, text: str | bytes) -> list[str]:
    path = tree.root / FILE
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return [str(error) for error in check_config(tree.config_file, env={})]


def alias_bomb(levels: int) -> str:
    """Each level is nine references to the one before: 9**levels leaves from a few hundred bytes."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_before_it_is_expanded(tree: Tree) -> None:
    assert problems_of(tree, alias_bomb(9)) == [f"{FILE}: aliases expand the document to over 1,000,000 nodes"]


def test_a_recursive_alias_is_refused(tree: Tree) -> None:
    assert problems_of(tree, "loop: &loop [*loop]\n") == [
        f"{FILE}: aliases expand the document to over 1,000,000 nodes"
    ]


def test_anchors_that_share_settings_are_fine(tree: Tree) -> None:
    shared = (
        '"2001": {name: Supervisor 2001, contact: user/2001, queues: &sales_and_support [sales, support]}\n'
        '"2002": {name: Supervisor 2002, contact: user/2002, queues: *sales_and_support}\n'
    )
    assert problems_of(tree, shared) == []


def test_a_file_over_the_size_limit_is_not_read(tree: Tree) -> None:
    assert problems_of(tree, "# padding\n" * 500_000) == [
        f"{FILE}: file is 5,000,000 bytes; a configuration file may have at most 4,194,304"
    ]


def test_deep_nesting_is_an_error_not_a_crash(tree: Tree) -> None:
    assert problems_of(tree, "deep: " + "[" * 100_000 + "]" * 100_000 + "\n") == [
        f"{FILE}: the document nests too deeply"
    ]


@pytest.mark.parametrize(("text", "problem"), [(b"x: \xff\xfe\n", "not UTF-8 text: invalid start byte at byte 3")])
def test_a_file_that_is_not_utf8_names_the_byte(tree: Tree, text: bytes, problem: str) -> None:
    assert problems_of(tree, text) == [f"{FILE}: {problem}"]


@pytest.mark.parametrize(
    ("url", "problem"),
    [("http://ops:s3cret@redis.example:6379/0", "a 'http' URL: expected redis://, rediss://, unix:// or "
      "redis+sentinel://"),
     ("ops:s3cret@redis.example:6379", "not a URL: expected redis://, rediss://, unix:// or redis+sentinel://")],
)
def test_a_store_url_of_the_wrong_kind_is_reported_without_repeating_it(tree: Tree, url: str, problem: str) -> None:
    # The URL may carry a password: the message names at most its scheme.
    problems = [str(error) for error in check_config(tree.config_file, env={"CCSWITCH_REDIS_URL": url})]
    assert problems == [f"environment: CCSWITCH_REDIS_URL: {problem}"]
    assert not any("s3cret" in text for text in problems)
