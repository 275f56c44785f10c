"""The core's ``channels`` table, kept from the events the simulator fires as FreeSWITCH keeps it (switch_core_sqldb.c
``core_event_handler``), for ``show channels``: the columns that events, not the channel's present state, decide.

What they say can differ from the channel's present state, and a controller reading ``show channels`` must know it
(fs-traces l): ``application`` is the last application a CHANNEL_EXECUTE announced, so a bridged caller that heard a
``uuid_broadcast`` says ``playback`` until it hangs up; ``call_uuid`` is set by CHANNEL_ORIGINATE (a ringing leg
carries its caller's call), by CHANNEL_BRIDGE (both legs: the A-leg's call) and reset by CHANNEL_UNBRIDGE (each leg
its own uuid); a channel that no event touched has none.
"""

from __future__ import annotations

from ccswitch.sim.wire import SimEvent

#: What CHANNEL_CREATE inserts: the channel's first caller profile, kept after transfers change it.
_INITIAL_FROM_HEADERS = (
    ("initial_cid_name", "Caller-Caller-ID-Name"),
    ("initial_cid_num", "Caller-Caller-ID-Number"),
    ("initial_ip_addr", "Caller-Network-Addr"),
    ("initial_dest", "Caller-Destination-Number"),
    ("initial_dialplan", "Caller-Dialplan"),
    ("initial_context", "Caller-Context"),
)
INITIAL_COLUMNS = tuple(column for column, _header in _INITIAL_FROM_HEADERS)

#: The columns kept here ("" until an event sets them).
EVENT_COLUMNS = (
    "application",
    "application_data",
    "callee_name",
    "callee_num",
    "callee_direction",
    "call_uuid",
    "sent_callee_name",
    "sent_callee_num",
    *INITIAL_COLUMNS,
)

_CALLEE_FROM_HEADERS = (
    ("callee_name", "Caller-Callee-ID-Name"),
    ("callee_num", "Caller-Callee-ID-Number"),
    ("sent_callee_name", "Sent-Callee-ID-Name"),
    ("sent_callee_num", "Sent-Callee-ID-Number"),
)


class ChannelsTable:
    """uuid -> the event-kept columns of its row; ``on_event`` is a listener of the switch's events."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, str]] = {}

    def row(self, uuid: str) -> dict[str, str]:
        return dict(self._rows.get(uuid) or dict.fromkeys(EVENT_COLUMNS, ""))

    def on_event(self, event: SimEvent) -> None:
        uuid = event.get("Unique-ID")
        if uuid is None:
            return
        if event.name == "CHANNEL_CREATE":
            self._rows[uuid] = dict.fromkeys(EVENT_COLUMNS, "")
            self._rows[uuid].update({column: event.get(header) or "" for column, header in _INITIAL_FROM_HEADERS})
            return
        row = self._rows.get(uuid)
        if row is None:
            return
        name = event.name
        if name == "CHANNEL_DESTROY":
            del self._rows[uuid]
        elif name in ("CHANNEL_EXECUTE", "CHANNEL_HOLD", "CHANNEL_UNHOLD"):
            row["application"] = event.get("Application") or ""
            row["application_data"] = event.get("Application-Data") or ""
        elif name == "CHANNEL_STATE" and event.get("Channel-State") == "CS_ROUTING":
            row.update({column: event.get(header) or "" for column, header in _CALLEE_FROM_HEADERS})
        elif name == "CALL_UPDATE":
            row.update({column: event.get(header) or "" for column, header in _CALLEE_FROM_HEADERS})
            row["callee_direction"] = event.get("Direction") or ""
        elif name == "CHANNEL_ORIGINATE":
            row["call_uuid"] = event.get("Channel-Call-UUID") or ""
        elif name == "CHANNEL_BRIDGE":
            for leg in (event.get("Bridge-A-Unique-ID"), event.get("Bridge-B-Unique-ID")):
                if leg in self._rows:
                    self._rows[leg]["call_uuid"] = event.get("Channel-Call-UUID") or ""
        elif name == "CHANNEL_UNBRIDGE":
            for leg, columns in self._rows.items():
                if columns["call_uuid"] == event.get("Channel-Call-UUID"):
                    columns["call_uuid"] = leg
