"""What a FreeSWITCH node refuses past its limits, as the real one does.

- switch_core_session.c switch_core_session_request_uuid: every new channel, inbound or outbound, takes one from a
  budget of ``sessions-per-second`` that switch_time.c refills once a second; when the budget reaches 0 the channel
  is refused ("Throttle Error! <count>"), and past ``max-sessions`` live channels too ("Over Session Limit!
  <limit>"). sofia answers such an INVITE ``503 Maximum Calls In Progress`` (sofia.c); an outgoing leg fails with
  DESTINATION_OUT_OF_ORDER (mod_sofia.c sofia_outgoing_channel).
- switch_rtp.c switch_rtp_request_port: one even port of ``rtp-start-port``..``rtp-end-port`` per audio stream, taken
  when an inbound channel answers (mod_sofia.c sofia_answer_channel: none left, "No audio RTP ports available!",
  the channel hangs up DESTINATION_OUT_OF_ORDER and ``uuid_answer`` says ``-ERROR``) and when an outgoing leg sends
  its INVITE (sofia_glue_do_invite "Port Error!": hung up DESTINATION_OUT_OF_ORDER), given back when it ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SwitchLimits:
    """switch.conf.xml's settings, with FreeSWITCH's defaults."""

    max_sessions: int = 1000
    sessions_per_second: int = 30
    rtp_start_port: int = 16384
    rtp_end_port: int = 32768


class Resources:
    """The session budget and the RTP port allocator of one simulated switch. Time comes in as ``now``."""

    def __init__(self, limits: SwitchLimits, started_at: float) -> None:
        self.limits = limits
        self._started_at = started_at
        self._second = 0  # whole seconds since start: the budget below is this second's
        self._budget = limits.sessions_per_second
        self.last_second_created = 0  # channels asked for in the previous whole second (status's "per Sec")
        self.peak_per_second = 0
        start = limits.rtp_start_port + limits.rtp_start_port % 2
        end = limits.rtp_end_port - limits.rtp_end_port % 2
        self._free_ports = list(range(end, start - 1, -2))  # popped from the end: the lowest port first
        self._ports: dict[str, int] = {}  # channel uuid -> its port

    def request_session(self, live: int, now: float) -> str | None:
        """None if a new channel may be created now, else what FreeSWITCH logs when it refuses it."""
        self._refill(now)
        self._budget -= 1
        if self._budget <= 0:
            return f"Throttle Error! {live}"
        if live + 1 > self.limits.max_sessions:
            return f"Over Session Limit! {self.limits.max_sessions}"
        return None

    def _refill(self, now: float) -> None:
        second = math.floor(now - self._started_at)
        if second != self._second:
            asked = self.limits.sessions_per_second - self._budget  # refused ones included, as switch_time.c counts
            self.last_second_created = asked if second == self._second + 1 else 0
            self.peak_per_second = max(self.peak_per_second, self.last_second_created)
            self._second, self._budget = second, self.limits.sessions_per_second

    def take_port(self, uuid: str) -> bool:
        """Give the channel an RTP port (it keeps the one it has); False when none is left."""
        if uuid in self._ports:
            return True
        if not self._free_ports:
            return False
        self._ports[uuid] = self._free_ports.pop()
        return True

    def release_port(self, uuid: str) -> None:
        port = self._ports.pop(uuid, None)
        if port is not None:
            self._free_ports.insert(0, port)  # reused last, as the allocator's random pick mostly does

    @property
    def ports_in_use(self) -> int:
        return len(self._ports)
