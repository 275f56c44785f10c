"""The ``redis+sentinel://`` URL: a Redis service that Redis Sentinel keeps available (pure: no I/O).

``redis+sentinel://[[username]:password@]host[:port][,host[:port]…]/<service>[/<db>][?sentinel_password=…]``

- the hosts are the sentinels (port 26379 unless given; an IPv6 address in brackets), asked in turn for the
  service's master;
- ``<service>`` is the name the sentinels monitor (``sentinel monitor <service> …`` in their configuration);
- ``<db>`` is the database number on the master (0 unless given);
- the username and password authenticate to the master (and its replicas, which become masters), as in a
  ``redis://`` URL; the sentinels are asked without a password unless ``sentinel_password`` is given (Sentinel's
  own ``requirepass``). Percent-encode ``@ : / , ? # %`` in either password.

Errors never repeat the URL or a password: they say which part is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote

SCHEME = "redis+sentinel://"
DEFAULT_PORT = 26379
_HOST = re.compile(r"\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]+)")
_SERVICE = re.compile(r"[A-Za-z0-9_.:-]+")


@dataclass(frozen=True, slots=True)
class SentinelUrl:
    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sentinel_password: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """Where, for logs and errors: the service and its sentinels, never a password."""
        hosts = ",".join(f"[{host}]:{port}" if ":" in host else f"{host}:{port}" for host, port in self.sentinels)
        return f"redis sentinel service {self.service} db {self.db} (sentinels {hosts})"


def is_sentinel_url(url: str) -> bool:
    return url.startswith(SCHEME)


def parse_sentinel_url(url: str) -> SentinelUrl:
    """Raises ``ValueError`` naming the wrong part (never the password)."""
    if not is_sentinel_url(url):
        raise ValueError(f"a sentinel URL starts with {SCHEME}")
    rest, _, fragment = url.removeprefix(SCHEME).partition("#")
    if fragment:
        raise ValueError("a sentinel URL has no #fragment")
    rest, _, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    credentials, at, hosts = netloc.rpartition("@")
    username, password = _credentials(credentials) if at else (None, None)
    sentinels = tuple(_sentinel(part) for part in hosts.split(","))
    service, _, db_text = path.partition("/") if slash else ("", "", "")
    if not _SERVICE.fullmatch(service):
        raise ValueError("the path must name the service the sentinels monitor: /<service>[/<db>]")
    if db_text and not (db_text.isascii() and db_text.isdigit() and int(db_text) < 1_000_000):
        raise ValueError("the database after the service must be a number: /<service>/<db>")
    return SentinelUrl(sentinels, service, int(db_text or "0"), username, password, _sentinel_password(query))


def _credentials(text: str) -> tuple[str | None, str | None]:
    user, colon, password = text.partition(":")
    if not colon:
        raise ValueError("credentials are written [username]:password@ (a password is required)")
    return unquote(user) or None, unquote(password)


def _sentinel(text: str) -> tuple[str, int]:
    host = _HOST.match(text)
    if host is None:
        raise ValueError("each sentinel is host[:port], separated by commas, e.g. s1:26379,s2:26379")
    port_text = text[host.end():]
    if not port_text:
        return host["ipv6"] or host["name"], DEFAULT_PORT
    if not re.fullmatch(r":[0-9]{1,5}", port_text) or not 0 < int(port_text[1:]) < 65536:
        raise ValueError("a sentinel's port must be a number 1..65535")
    return host["ipv6"] or host["name"], int(port_text[1:])


def _sentinel_password(query: str) -> str | None:
    if not query:
        return None
    try:
        options = parse_qs(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise ValueError("the query must be ?sentinel_password=…") from None
    if set(options) != {"sentinel_password"} or len(options["sentinel_password"]) != 1:
        raise ValueError("the only option a sentinel URL takes is ?sentinel_password=…")
    return options["sentinel_password"][0]
