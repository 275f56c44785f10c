"""Test-wide setup. gevent must patch the standard library before redis or sockets are imported."""

from gevent import monkey

monkey.patch_all()

import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture
def host_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The host's own time zone is New York (UTC-5), far from the configured Europe/Moscow (UTC+3): a time shown in
    the host's zone instead of the configured one is 8 hours off."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
