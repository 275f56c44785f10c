"""What the controller holds on each switch node: channels, media ports, channels created in the last second
(and callers' arrival rate).

Admission (``ccswitch.admission``) asks on every arrival, so the count must not cost a walk over every call (2,000
at 100 calls/s in ``bench/inbound_path.py``): ``NodeLoads`` keeps each node's sum as calls change. A call's share
is recomputed from the call itself (``call_load``) whenever one of the fields it depends on is assigned
(``CallSession.on_load_change``) or the call enters or leaves the engine's table (``CallTable``), so there is no
delta to get wrong; ``load_of`` is the recount from scratch, which the tests compare with the kept sums after every
engine step. Pure: time is an argument.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from ccswitch.admission import NodeLoad
from ccswitch.calls import CallSession, Phase

RATE_WINDOW_S = 1.0  # FreeSWITCH refills its session budget once a second (switch_time.c)
ARRIVALS_WINDOW_S = 5.0  # callers' rate, for the headroom pacing keeps them: smooth, and still following a surge


def call_load(call: CallSession) -> tuple[int, int]:
    """(channels, media ports) that ``call`` holds on its node: the caller's (while the switch has it), the legs
    ringing its agents (an outgoing leg holds its port from the INVITE on), and its agent's leg once connected."""
    own = int(call.channel_expected)
    legs = sum(1 for leg in call.ringing.values() if leg) + int(
        call.agent_leg is not None and call.phase is Phase.CONNECTED)
    return own + legs, own * int(call.answered) + legs


def load_of(calls: Iterable[CallSession], node: str, recent_sessions: int) -> NodeLoad:
    """The load of ``node`` recounted from every call: the reference ``NodeLoads`` must always agree with."""
    sessions = media = 0
    for call in calls:
        if call.node == node:
            call_sessions, call_media = call_load(call)
            sessions += call_sessions
            media += call_media
    return NodeLoad(sessions, media, recent_sessions)


class NodeLoads:
    """Per node, the sum of ``call_load`` over the calls of a ``CallTable``, kept as the calls change."""

    def __init__(self) -> None:
        self._totals: dict[str, list[int]] = {}  # node -> [channels, media ports]
        self._shares: dict[int, tuple[str, int, int, int]] = {}  # id(call) -> node, table keys, channels, media

    def load(self, node: str, recent_sessions: int) -> NodeLoad:
        sessions, media = self._totals.get(node, (0, 0))
        return NodeLoad(sessions, media, recent_sessions)

    def entered(self, call: CallSession) -> None:
        keys = self._withdraw(call)
        self._count(call, keys + 1)
        call.on_load_change = self.changed

    def left(self, call: CallSession) -> None:
        keys = self._withdraw(call)
        if keys > 1:
            self._count(call, keys - 1)
        else:
            call.on_load_change = None

    def changed(self, call: CallSession) -> None:
        keys = self._withdraw(call)
        if keys:
            self._count(call, keys)

    def _withdraw(self, call: CallSession) -> int:
        share = self._shares.pop(id(call), None)
        if share is None:
            return 0
        node, keys, sessions, media = share
        totals = self._totals[node]
        totals[0] -= keys * sessions
        totals[1] -= keys * media
        return keys

    def _count(self, call: CallSession, keys: int) -> None:
        sessions, media = call_load(call)
        self._shares[id(call)] = (call.node, keys, sessions, media)
        totals = self._totals.setdefault(call.node, [0, 0])
        totals[0] += keys * sessions
        totals[1] += keys * media


class CallTable(dict[str, CallSession]):
    """The engine's calls by channel uuid, telling its ``NodeLoads`` of every call that enters or leaves. Only
    item assignment, ``del`` and ``pop`` change it; the other ways a dict can change would bypass the count, so
    they are refused."""

    def __init__(self, loads: NodeLoads) -> None:
        super().__init__()
        self.loads = loads

    def __setitem__(self, uuid: str, call: CallSession) -> None:
        before = self.get(uuid)
        if before is not None:
            self.loads.left(before)
        super().__setitem__(uuid, call)
        self.loads.entered(call)

    def __delitem__(self, uuid: str) -> None:
        self.loads.left(self[uuid])
        super().__delitem__(uuid)

    def pop(self, uuid: str, default: CallSession | None = None, /) -> CallSession | None:  # type: ignore[override]
        """The call under ``uuid`` taken out, or ``default`` if there was none (never ``KeyError``)."""
        call = super().pop(uuid, None)
        if call is None:
            return default
        self.loads.left(call)
        return call

    def _refused(self, *_args: object, **_kwargs: object) -> None:
        raise TypeError("CallTable changes only by item assignment, del and pop (NodeLoads counts them)")

    update = setdefault = popitem = clear = __ior__ = _refused  # type: ignore[assignment]


class RecentSessions:
    """Per node: the channels created over the last second (callers arriving, channels the controller creates), as
    the switch's per-second budget counts them, and the callers' rate over the last ``ARRIVALS_WINDOW_S``."""

    def __init__(self) -> None:
        self._created: dict[str, deque[float]] = {}
        self._arrived: dict[str, deque[float]] = {}

    def created(self, node: str, now: float, count: int = 1) -> None:
        self._add(self._created, node, now, count, RATE_WINDOW_S)

    def arrived(self, node: str, now: float) -> None:
        """A caller's channel (the switch created it: counted among the created too)."""
        self.created(node, now)
        self._add(self._arrived, node, now, 1, ARRIVALS_WINDOW_S)

    def count(self, node: str, now: float) -> int:
        return self._within(self._created, node, now, RATE_WINDOW_S)

    def arrivals_per_second(self, node: str, now: float) -> float:
        return self._within(self._arrived, node, now, ARRIVALS_WINDOW_S) / ARRIVALS_WINDOW_S

    @classmethod
    def _add(cls, books: dict[str, deque[float]], node: str, now: float, count: int, window: float) -> None:
        times = books.setdefault(node, deque())
        cls._forget_before(times, now - window)  # (an outbound-only centre never asks: it must not grow for ever)
        times.extend([now] * count)

    @classmethod
    def _within(cls, books: dict[str, deque[float]], node: str, now: float, window: float) -> int:
        times = books.get(node)
        if times is None:
            return 0
        cls._forget_before(times, now - window)
        return len(times)

    @staticmethod
    def _forget_before(times: deque[float], since: float) -> None:
        while times and times[0] <= since:
            times.popleft()
