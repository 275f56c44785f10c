"""Wire-test fixtures: the real FreeSWITCH traces kept in tests/fixtures/fs-traces (provenance in its README)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

TRACES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "fs-traces"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "any_trace" in metafunc.fixturenames:
        metafunc.parametrize("any_trace", sorted(path.name for path in TRACES_DIR.glob("*.recv.raw")))


@pytest.fixture
def load_trace() -> Callable[[str], bytes]:
    def load(name: str) -> bytes:
        return (TRACES_DIR / name).read_bytes()

    return load
