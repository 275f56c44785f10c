"""What the controller holds on each switch node: channels, media ports, channels created in the last second.

The engine counts these for admission (``ccswitch.admission``) from its own calls, at the moment a caller arrives:
nothing is updated as calls move, so nothing can drift. Pure: time is an argument.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from ccswitch.admission import NodeLoad
from ccswitch.calls import CallSession, Phase

RATE_WINDOW_S = 1.0  # FreeSWITCH refills its session budget once a second (switch_time.c)


def load_of(calls: Iterable[CallSession], node: str, recent_sessions: int) -> NodeLoad:
    """The channels the controller holds on ``node``: each caller's (while the switch has it), the legs ringing
    its agents (an outgoing leg holds its port from the INVITE on), and its agent's leg once connected."""
    sessions = media = 0
    for call in calls:
        if call.node != node:
            continue
        own = int(call.channel_expected)
        legs = sum(1 for leg in call.ringing.values() if leg) + int(
            call.agent_leg is not None and call.phase is Phase.CONNECTED)
        sessions += own + legs
        media += own * int(call.answered) + legs
    return NodeLoad(sessions, media, recent_sessions)


class RecentSessions:
    """Channels created per node over the last second (callers arriving, agent legs the controller starts)."""

    def __init__(self) -> None:
        self._created: dict[str, deque[float]] = {}

    def created(self, node: str, now: float, count: int = 1) -> None:
        times = self._created.setdefault(node, deque())
        self._forget_before(times, now)  # (an outbound-only centre never asks: it must not grow for ever)
        times.extend([now] * count)

    def count(self, node: str, now: float) -> int:
        times = self._created.get(node)
        if times is None:
            return 0
        self._forget_before(times, now)
        return len(times)

    @staticmethod
    def _forget_before(times: deque[float], now: float) -> None:
        while times and times[0] <= now - RATE_WINDOW_S:
            times.popleft()
