"""Test-wide setup. gevent must patch the standard library before redis or sockets are imported."""

from gevent import monkey

monkey.patch_all()

import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from ccswitch.engine import Engine  # noqa: E402
from ccswitch.occupancy import load_of  # noqa: E402


@pytest.fixture
def host_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The host's own time zone is New York (UTC-5), far from the configured Europe/Moscow (UTC+3): a time shown in
    the host's zone instead of the configured one is 8 hours off."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def node_loads_match_a_recount(monkeypatch: pytest.MonkeyPatch) -> None:
    """After every step of every engine in every test, the channels and media ports it keeps per node
    (``ccswitch.occupancy.NodeLoads``, read by admission on each arrival) equal a recount from its calls: a field
    changed behind the count's back fails the test that changed it."""
    flush = Engine._flush

    def flush_and_check(engine: Engine) -> None:
        flush(engine)
        for node in {call.node for call in engine.calls.values()} | set(engine.capacities):
            kept = engine.calls.loads.load(node, 0)
            assert kept == load_of(engine.calls.values(), node, 0), f"node {node}: kept {kept}"

    monkeypatch.setattr(Engine, "_flush", flush_and_check)
