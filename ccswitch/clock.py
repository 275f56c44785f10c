"""Time as an injectable dependency.

The pure core never reads the clock: the engine passes ``now`` in. The engine, the simulator and the demo read time
from a ``Clock`` so the demo can run a scripted hour in a few real seconds (``ScaledClock``) with every timer — the
controller's wrap-up and max-wait, the simulated callers' patience and agents' answer delays — scaled alike.
"""

from __future__ import annotations

import time
from typing import Protocol

import gevent


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch, in this clock's time."""

    def sleep(self, seconds: float) -> None:
        """Block the current greenlet for ``seconds`` of this clock's time."""

    def real_seconds(self, seconds: float) -> float:
        """How many wall-clock seconds ``seconds`` of this clock's time take."""


class WallClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        gevent.sleep(max(0.0, seconds))

    def real_seconds(self, seconds: float) -> float:
        return seconds


class ScaledClock:
    """A clock running ``factor`` times faster than the wall clock, starting at ``start`` (default: now)."""

    def __init__(self, factor: float, start: float | None = None) -> None:
        if factor <= 0:
            raise ValueError("factor must be positive")
        self.factor = factor
        self._real_origin = time.monotonic()
        self._origin = time.time() if start is None else start

    def now(self) -> float:
        return self._origin + (time.monotonic() - self._real_origin) * self.factor

    def sleep(self, seconds: float) -> None:
        gevent.sleep(max(0.0, seconds) / self.factor)

    def real_seconds(self, seconds: float) -> float:
        return seconds / self.factor
