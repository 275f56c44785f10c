"""A node's ``show channels as json``, read for the reconcile after a (re)connect: which callers wait on the
controller, and which agents' phones are live, with whom. Pure: rows in, facts out.

What tells the states apart (fs-traces l, and switch_core_sqldb.c, which keeps the table from the events):

* ``application`` is the last application a CHANNEL_EXECUTE announced, not what the channel does now: a caller
  bridged to an agent who heard a ``uuid_broadcast`` (the recording announcement) says ``playback`` for the rest of
  the call. It tells a waiting caller's prompt from its music, never whether it talks to someone.
* ``call_uuid`` groups the channels of one call: a leg being rung carries its caller's uuid from its
  CHANNEL_ORIGINATE (the caller's own column is still empty then), both bridged legs carry the caller's from
  CHANNEL_BRIDGE, CHANNEL_UNBRIDGE gives each leg its own again. A caller that shares its call with another live
  channel is ringing it or talking to it: not waiting.
* ``state`` ``CS_EXCHANGE_MEDIA`` is a B-leg in a bridge (switch_ivr_multi_threaded_bridge); a leg still being rung
  (or hearing the agent announcement before the bridge) is in ``CS_CONSUME_MEDIA``.
* ``presence_id`` of a leg the switch dialled to ``user/<id>`` is ``<id>@<domain>`` (mod_dptools.c
  user_outgoing_channel, or the directory's dial-string, which sets the same): the directory user whose phone it is.
  Only outbound legs count: the switch chose where they go, a caller chose nothing of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ccswitch.channel_events import Parked

#: What an inbound channel runs while it waits for the controller: parked, or in a prompt or music we started.
WAITING_APPLICATIONS = frozenset({"park", "playback", "play_and_get_digits"})
BRIDGED_STATE = "CS_EXCHANGE_MEDIA"
# An offer rings agents by transferring the caller to an inline dialplan (esl.commands.connect_agent), which becomes
# the caller's ``dest``: its dial string's ``{...}`` names the queue in ``cc_queue`` (ccswitch.executor).
_OFFERED_BY_QUEUE = re.compile(r"[{,]cc_queue=([A-Za-z0-9_-]+)[,}]")

Row = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Caller:
    """An inbound caller's channel, as listed."""

    uuid: str
    number: str
    name: str
    destination: str  # the number it dialled (before any transfer)
    since: float  # created (the switch's clock, whole seconds)
    queue: str  # the queue whose offer rang an agent for it ("" if the list does not say)


@dataclass(frozen=True, slots=True)
class PhoneLeg:
    """A live leg the switch dialled to a directory user's phone: ``caller`` is the inbound caller in the same
    call (it rings them for that caller, or talks to them), if any."""

    uuid: str
    user: str
    bridged: bool
    since: float
    caller: Caller | None


@dataclass(frozen=True, slots=True)
class ChannelList:
    live: tuple[str, ...]
    waiting: tuple[Parked, ...]  # inbound callers alone in their call, parked or in a prompt or music
    phone_legs: tuple[PhoneLeg, ...]


def read_channels(rows: Iterable[Row]) -> ChannelList:
    rows = [row for row in rows if row.get("uuid")]
    calls: dict[str, list[Row]] = {}
    for row in rows:
        calls.setdefault(_call(row), []).append(row)

    def others(row: Row) -> list[Row]:
        return [other for other in calls[_call(row)] if other["uuid"] != row["uuid"]]

    waiting = tuple(_waiting(row) for row in rows if row.get("direction") == "inbound"
                    and row.get("application") in WAITING_APPLICATIONS and not others(row))
    phone_legs = []
    for row in rows:
        user = row.get("presence_id", "").partition("@")[0]
        if row.get("direction") != "outbound" or not user:
            continue
        caller = next((_caller(other) for other in others(row) if other.get("direction") == "inbound"), None)
        phone_legs.append(PhoneLeg(row["uuid"], user, row.get("state") == BRIDGED_STATE, _epoch(row), caller))
    return ChannelList(tuple(row["uuid"] for row in rows), waiting, tuple(phone_legs))


def _call(row: Row) -> str:
    """The call a channel belongs to: a caller no event has put in one yet (no ``call_uuid``) heads its own."""
    return row.get("call_uuid") or row["uuid"]


def _waiting(row: Row) -> Parked:
    """After a restart without a shared store the controller no longer knows such a call; routing it again from the
    start is better than leaving the caller in music for ever."""
    return Parked(uuid=row["uuid"], inbound=True, destination=row.get("initial_dest") or row.get("dest") or "",
                  caller_number=row.get("cid_num") or "", caller_name=row.get("cid_name") or "",
                  playing=row.get("application") != "park")


def _caller(row: Row) -> Caller:
    offered = _OFFERED_BY_QUEUE.search(row.get("dest", ""))
    return Caller(row["uuid"], row.get("cid_num") or "", row.get("cid_name") or "",
                  row.get("initial_dest") or row.get("dest") or "", _epoch(row), offered[1] if offered else "")


def _epoch(row: Row) -> float:
    created = row.get("created_epoch", "")
    return float(created) if created.isdigit() else 0.0
