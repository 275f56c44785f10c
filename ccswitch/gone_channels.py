"""Channels the switch has said are gone: no command is sent for them any more.

Once FreeSWITCH has sent a channel's ``CHANNEL_HANGUP`` it answers every command for it ``-ERR No such channel!``
(mod_commands: the session no longer takes a read lock once the channel is down), so a decision taken after that
for that channel is stale. The switch's own events say how the call ended: the controller keeps the channels it
has seen hang up for a while (``keep_s``) and drops effects aimed at them before they become commands. Pure: no
I/O, time is an argument.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from ccswitch.effects import (
    BridgeLegs,
    DialOut,
    Effect,
    HangupLeg,
    HoldLeg,
    MuteLeg,
    Originate,
    RunInline,
    SendDtmf,
    SetLegVar,
)

#: Long past any decision the engine takes on a channel's last events; bounds the memory (~200 channels/s).
KEEP_S = 120.0


def channels_of(effect: Effect) -> tuple[str, ...]:
    """The existing channels ``effect``'s command acts on (an originate acts on none: it makes a new one)."""
    if isinstance(effect, Originate):
        return ()
    if isinstance(effect, BridgeLegs):
        return effect.a_leg, effect.b_leg
    if isinstance(effect, SetLegVar | HoldLeg | MuteLeg | HangupLeg | RunInline | SendDtmf | DialOut):
        return (effect.leg,)
    return (effect.call,)


class GoneChannels:
    def __init__(self, keep_s: float = KEEP_S) -> None:
        self.keep_s = keep_s
        self._gone: OrderedDict[str, float] = OrderedDict()  # uuid -> when it hung up, oldest first

    def hung_up(self, uuid: str, now: float) -> None:
        self._gone.setdefault(uuid, now)
        while self._gone:
            oldest, at = next(iter(self._gone.items()))
            if now - at <= self.keep_s:
                break
            del self._gone[oldest]

    def __contains__(self, uuid: object) -> bool:
        return uuid in self._gone

    def split(self, effects: Sequence[Effect]) -> tuple[list[Effect], list[Effect]]:
        """(the effects still worth sending, those aimed at a channel that is gone)."""
        sendable: list[Effect] = []
        stale: list[Effect] = []
        for effect in effects:
            (stale if any(channel in self._gone for channel in channels_of(effect)) else sendable).append(effect)
        return sendable, stale
