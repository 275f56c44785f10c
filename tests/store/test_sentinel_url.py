"""The ``redis+sentinel://`` URL: its parts, their defaults, and errors that never repeat a password."""

from __future__ import annotations

import pytest

from ccswitch.sentinel_url import SentinelUrl, parse_sentinel_url


def test_given_the_shortest_form_then_one_sentinel_on_the_default_port_db_0_and_no_password() -> None:
    assert parse_sentinel_url("redis+sentinel://s1/mymaster") == SentinelUrl((("s1", 26379),), "mymaster")


def test_given_every_part_then_each_is_read() -> None:
    url = "redis+sentinel://ccs:p%40ss%3Aword@s1:26380,10.0.0.2,[::1]:26381/my-master.1/3?sentinel_password=sp%26"

    target = parse_sentinel_url(url)

    assert target.sentinels == (("s1", 26380), ("10.0.0.2", 26379), ("::1", 26381))
    assert (target.service, target.db) == ("my-master.1", 3)
    assert (target.username, target.password, target.sentinel_password) == ("ccs", "p@ss:word", "sp&")


def test_given_a_password_without_a_username_then_the_username_is_none() -> None:
    target = parse_sentinel_url("redis+sentinel://:secret@s1/ccs")
    assert (target.username, target.password) == (None, "secret")


def test_a_description_names_the_service_and_sentinels_but_no_password() -> None:
    target = parse_sentinel_url("redis+sentinel://:secret@s1,[::1]:5/ccs/2?sentinel_password=other")

    assert target.describe() == "redis sentinel service ccs db 2 (sentinels s1:26379,[::1]:5)"
    assert "secret" not in repr(target) and "other" not in repr(target)


@pytest.mark.parametrize(("url", "problem"), [
    ("redis://s1/ccs", "starts with redis+sentinel://"),
    ("redis+sentinel://:secret@s1", "must name the service"),
    ("redis+sentinel://:secret@s1/", "must name the service"),
    ("redis+sentinel://:secret@s1/a/b/c", "must be a number"),
    ("redis+sentinel://:secret@s1/ccs/x", "must be a number"),
    ("redis+sentinel://:secret@s1:0/ccs", "port must be a number 1..65535"),
    ("redis+sentinel://:secret@s1:65536/ccs", "port must be a number 1..65535"),
    ("redis+sentinel://:secret@s1:2x/ccs", "port must be a number 1..65535"),
    ("redis+sentinel://:secret@s1,,s2/ccs", "each sentinel is host[:port]"),
    ("redis+sentinel://:secret@/ccs", "each sentinel is host[:port]"),
    ("redis+sentinel://secret@s1/ccs", "credentials are written [username]:password@"),
    ("redis+sentinel://:secret@s1/ccs?db=2", "the only option"),
    ("redis+sentinel://:secret@s1/ccs?sentinel_password=a&sentinel_password=b", "the only option"),
    ("redis+sentinel://:secret@s1/ccs#x", "no #fragment"),
])
def test_given_a_wrong_part_then_the_error_names_it_without_the_password(url: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_sentinel_url(url)

    assert problem in str(caught.value)
    assert "secret" not in str(caught.value)
