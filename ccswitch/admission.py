"""Admission: whether a new caller is taken in, given what the switch node can carry.

Theory of operation. A FreeSWITCH node refuses work past three limits, each in its own way, and none of them tells
the caller or the carrier anything useful:

- **sessions** (``max-sessions`` in switch.conf.xml, 1000 by default): a new channel past it is not created
  (switch_core_session.c: "Over Session Limit!"); sofia answers the INVITE ``503 Maximum Calls In Progress`` and an
  agent leg fails with DESTINATION_OUT_OF_ORDER;
- **session rate** (``sessions-per-second``, 30): each new channel takes one from a budget refilled every second,
  refused when it reaches 0 ("Throttle Error!"), so at most 29 new channels a second, inbound and agent legs alike;
- **media ports** (``rtp-start-port``..``rtp-end-port``, 16384..32768): every answered or early-media channel and
  every ringing agent leg holds one even RTP port (switch_rtp.c, SPF_EVEN), 8193 by default; an answer that finds
  none fails ("No audio RTP ports available!") and sofia hangs the caller up with DESTINATION_OUT_OF_ORDER. A
  ringing, unanswered caller holds none.

The engine asks ``decide`` for every new inbound caller before answering it. Under each limit a reserve is kept
(for the agent legs that connect the callers already admitted, and for the overflow's own short announcement):
a caller who would eat into it takes the configured overflow step at once (an announcement and a hang-up with a
cause the carrier understands, a callback, a transfer elsewhere), counted by the limit that stopped it. When no
media port is left at all, the overflow hangs up without answering (a callback step keeping the caller's number):
that needs no port.

Pacing. The controller cannot stop callers from arriving, but it creates channels of its own (the legs ringing
agents, callbacks' and previews' legs, the dialler's lines), and those take from the same per-second budget:
``channels_allowed`` says how many it may create now, and the engine defers the rest (an offer goes back to its
place and is tried again on the next tick). FreeSWITCH counts its budget in seconds of its own clock, whose start
the controller does not know; but any one of them lies within the last second as seen when its last channel is
created. So every channel created on the node in the last second (callers and ours alike) plus the new ones is
kept to ``sessions_per_second - 1``, less a headroom for the callers who will still arrive in the rest of the
switch's second, which it takes without asking. On average that rest brings as many callers as the part of the
last second before the switch's second began (already counted); the headroom covers the difference between the
two, a fluctuation of Poisson arrivals whose standard deviation is at most sqrt(2 x arrivals a second), taken
``deviations`` times (``overload.pacing_headroom``: more spares callers the switch's 503, fewer lets agents' legs
through sooner near the limit). Callers arriving faster than the budget itself are beyond any pacing: the switch
answers them 503, and only a larger ``sessions-per-second`` helps.

What a node carries now (``NodeLoad``) and what was created on it lately are counted by ``ccswitch.occupancy``.
Everything here is pure.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

# FreeSWITCH's own defaults (switch_core_session.c session_limit 1000, switch.conf.xml sessions-per-second 30,
# switch_rtp.c RTP_START_PORT 16384 .. RTP_END_PORT 32768, even ports only).
DEFAULT_MAX_SESSIONS = 1000
DEFAULT_SESSIONS_PER_SECOND = 30
DEFAULT_RTP_START_PORT = 16384
DEFAULT_RTP_END_PORT = 32768


def media_ports(start: int, end: int) -> int:
    """Audio streams a port range carries: switch_core_port_allocator with SPF_EVEN hands out the even ports from
    ``start`` (rounded up) to ``end`` (rounded down), both included: ((end - start) + 2) / 2."""
    start += start % 2
    end -= end % 2
    return max(0, (end - start + 2) // 2)


# Why FreeSWITCH hangs up a caller it could not carry (the hang-up cause, as the engine sees it).
SWITCH_DROP_CAUSES = {
    "DESTINATION_OUT_OF_ORDER": "no RTP port left to answer with (mod_sofia.c sofia_answer_channel)",
    "INCOMPATIBLE_DESTINATION": "the answer failed (switch_channel.c switch_channel_perform_answer)",
}

_PER_SECOND = re.compile(r"^\d+ session\(s\) per Sec out of max (\d+),", re.MULTILINE)
_MAX_SESSIONS = re.compile(r"^(\d+) session\(s\) max$", re.MULTILINE)


def limits_of(status: str) -> tuple[int | None, int | None]:
    """``max-sessions`` and ``sessions-per-second`` from FreeSWITCH's ``status`` reply (mod_commands.c
    status_function: "N session(s) per Sec out of max 30, peak …", "1000 session(s) max"); None for a line not
    there."""
    per_second, max_sessions = _PER_SECOND.search(status), _MAX_SESSIONS.search(status)
    return (int(max_sessions.group(1)) if max_sessions else None, int(per_second.group(1)) if per_second else None)


class Limit(Enum):
    """What stopped a caller (the ``cause`` label of the overflow counter)."""

    SESSIONS = "sessions"
    RATE = "sessions_per_second"
    MEDIA = "media_ports"


@dataclass(frozen=True, slots=True)
class Capacity:
    """What one switch node carries (read from ``api status`` at connect, else configured)."""

    max_sessions: int = DEFAULT_MAX_SESSIONS
    sessions_per_second: int = DEFAULT_SESSIONS_PER_SECOND
    media_ports: int = media_ports(DEFAULT_RTP_START_PORT, DEFAULT_RTP_END_PORT)


@dataclass(frozen=True, slots=True)
class Reserve:
    """Kept free under each limit: new callers stop this far from it."""

    sessions: int = 20
    sessions_per_second: int = 0  # 0: no rate check (see ``decide``)
    media_ports: int = 20


@dataclass(frozen=True, slots=True)
class NodeLoad:
    """What the node carries now, the new caller's own channel included."""

    sessions: int  # channels
    media: int  # of them, holding an RTP port
    recent_sessions: int  # channels created in the last second


@dataclass(frozen=True, slots=True)
class Admit:
    pass


@dataclass(frozen=True, slots=True)
class Overflow:
    limit: Limit
    media_left: bool  # a port is still free for the overflow's own announcement (else: hang up unanswered)


Decision = Admit | Overflow


def decide(capacity: Capacity, reserve: Reserve, load: NodeLoad, needs_media: bool) -> Decision:
    """Admit the new caller, or overflow them by the first limit they would break into the reserve of.

    An admitted caller will need one more channel and one more port for their agent's leg, and (``needs_media``:
    not a caller left ringing) a port for themself; their own channel is already in ``load``, and among the
    channels created in the last second.
    """
    media_left = load.media < capacity.media_ports
    if load.sessions + 1 > capacity.max_sessions - reserve.sessions:
        return Overflow(Limit.SESSIONS, media_left)
    # FreeSWITCH refuses a channel once its budget, counted down from sessions_per_second, reaches 0. A reserve
    # keeps part of each second's budget for the agent legs of the callers already waiting; without one there is
    # nothing to check: a caller who got in costs no budget to admit (the switch itself refuses those past it).
    if reserve.sessions_per_second and (
            load.recent_sessions > capacity.sessions_per_second - 1 - reserve.sessions_per_second):
        return Overflow(Limit.RATE, media_left)
    if load.media + int(needs_media) + 1 > capacity.media_ports - reserve.media_ports:
        return Overflow(Limit.MEDIA, media_left)
    return Admit()


DEFAULT_PACING_HEADROOM = 2.0  # standard deviations of the arrivals' fluctuation kept free for callers


def inbound_headroom(arrivals_per_second: float, deviations: float) -> int:
    """Channels of the per-second budget kept for callers still to arrive in the switch's second, beyond those
    counted in the last one (see the module's docstring)."""
    return math.ceil(deviations * math.sqrt(2 * max(0.0, arrivals_per_second)))


def channels_allowed(capacity: Capacity, created_last_second: int, arrivals_per_second: float, wanted: int,
                     deviations: float = DEFAULT_PACING_HEADROOM) -> int:
    """How many of ``wanted`` new channels the controller may create on a node now, given the channels created there
    in the last second (callers and ours) and the callers' recent rate: the switch refuses the one that takes its
    budget, counted down from ``sessions_per_second``, to 0."""
    headroom = inbound_headroom(arrivals_per_second, deviations)
    left = capacity.sessions_per_second - 1 - created_last_second - headroom
    return max(0, min(wanted, left))
