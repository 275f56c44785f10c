"""Why an offer to an agent failed, and whose fault that is: pure, no I/O.

When the caller's ``bridge`` to an agent's phone fails, FreeSWITCH leaves the cause in ``originate_disposition``
(switch_ivr_originate.c). Three parties can be behind it:

* **the agent**: the phone rang and nobody answered, it was busy (do not disturb), or the agent rejected the call.
  Charged as a miss (``MissReason``); only no-answer counts towards ``max_no_answer``;
* **the caller**: they hung up (or were taken elsewhere) while the phone rang, ``ORIGINATOR_CANCEL`` (trace k).
  Nobody's miss: the agent keeps their place in line;
* **the network or the configuration**: the call could not reach the phone or the phone could not take it, e.g.
  no codec in common (``INCOMPATIBLE_DESTINATION``, trace n: a 488 or a 200 with a codec that was not offered), the
  user not registered, a gateway or route down. No miss and no break; the agent gets no offer for a back-off that
  grows while the fault persists (``backoff_s``), so the same call is not re-offered to the same phone in a tight
  loop.

This follows mod_callcenter (mod_callcenter.c outbound_agent_thread_run: ORIGINATOR_CANCEL charges nothing, busy
and reject set their own delays, USER_NOT_REGISTERED a 5 s delay without a no-answer; everything else counts as no
answer) and goes one step further, as Asterisk's app_queue does (a congested or unavailable member is not a
ring-no-answer unless ``autopauseunavail`` says so): every cause of the network or configuration is kept off the
agent's record, not only USER_NOT_REGISTERED. A cause this table does not name is the agent's no answer, as in
mod_callcenter.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ccswitch.acd.agents import MissReason


class Fault(enum.Enum):
    AGENT = "agent"
    CALLER = "caller"
    NETWORK = "network"  # the network's or the configuration's


@dataclass(frozen=True, slots=True)
class OfferFailure:
    """A failed offer: the cause as FreeSWITCH names it (``OTHER`` for one this table does not know, so that metric
    labels stay bounded), whose fault it is, and for the agent's faults the miss it is charged as."""

    cause: str
    fault: Fault
    miss: MissReason | None = None


_AGENT = Fault.AGENT
_NETWORK = Fault.NETWORK

#: Cause (switch_channel.c CAUSE_CHART names) -> whose fault, and the miss for the agent's.
CAUSES: Mapping[str, tuple[Fault, MissReason | None]] = MappingProxyType({
    # The agent's: the phone rang out, was busy, or the agent declined.
    "NO_ANSWER": (_AGENT, MissReason.NO_ANSWER),
    "NO_USER_RESPONSE": (_AGENT, MissReason.NO_ANSWER),
    "ALLOTTED_TIMEOUT": (_AGENT, MissReason.NO_ANSWER),
    "PROGRESS_TIMEOUT": (_AGENT, MissReason.NO_ANSWER),
    "USER_BUSY": (_AGENT, MissReason.BUSY),
    "NORMAL_CIRCUIT_CONGESTION": (_AGENT, MissReason.BUSY),  # mod_callcenter: do-not-disturb phones answer this
    "CALL_REJECTED": (_AGENT, MissReason.REJECTED),  # 603 Decline
    # The caller's: they hung up, or the call was taken elsewhere, while the phone rang.
    "ORIGINATOR_CANCEL": (Fault.CALLER, None),
    # The network's or the configuration's.
    "INCOMPATIBLE_DESTINATION": (_NETWORK, None),  # no codec in common (488, or a 200 with a codec not offered)
    "BEARERCAPABILITY_NOTAVAIL": (_NETWORK, None),
    "BEARERCAPABILITY_NOTIMPL": (_NETWORK, None),
    "MEDIA_TIMEOUT": (_NETWORK, None),
    "USER_NOT_REGISTERED": (_NETWORK, None),  # the phone is not registered (or its registration expired)
    "SUBSCRIBER_ABSENT": (_NETWORK, None),
    "UNALLOCATED_NUMBER": (_NETWORK, None),  # a contact that names no one: configuration
    "NO_ROUTE_DESTINATION": (_NETWORK, None),
    "NO_ROUTE_TRANSIT_NET": (_NETWORK, None),
    "INVALID_NUMBER_FORMAT": (_NETWORK, None),
    "INVALID_GATEWAY": (_NETWORK, None),  # a sofia gateway that does not exist
    "GATEWAY_DOWN": (_NETWORK, None),  # mod_sofia's gateway ping found it down
    "NETWORK_OUT_OF_ORDER": (_NETWORK, None),
    "DESTINATION_OUT_OF_ORDER": (_NETWORK, None),
    "RECOVERY_ON_TIMER_EXPIRE": (_NETWORK, None),  # SIP timer B/F: the phone never replied to the INVITE
    "SWITCH_CONGESTION": (_NETWORK, None),
    "CHAN_NOT_IMPLEMENTED": (_NETWORK, None),  # an endpoint type the switch has no module for
    "SERVICE_UNAVAILABLE": (_NETWORK, None),
    "SERVICE_NOT_IMPLEMENTED": (_NETWORK, None),
    "FACILITY_NOT_SUBSCRIBED": (_NETWORK, None),
    "OUTGOING_CALL_BARRED": (_NETWORK, None),
    "MANDATORY_IE_MISSING": (_NETWORK, None),
    "PROTOCOL_ERROR": (_NETWORK, None),
    "INTERWORKING": (_NETWORK, None),
})

OTHER_CAUSE = "OTHER"

#: Back-off after a fault that is not the agent's: the first, then doubling per fault in a row, up to the last.
BACKOFF_FIRST_S = 5.0  # mod_callcenter's delay for USER_NOT_REGISTERED
BACKOFF_MAX_S = 60.0


def classify(cause: str) -> OfferFailure:
    """Whose fault a failed offer's cause is (see the module docstring)."""
    name = cause.strip().upper()
    known = CAUSES.get(name)
    if known is None:
        return OfferFailure(OTHER_CAUSE, Fault.AGENT, MissReason.NO_ANSWER)
    fault, miss = known
    return OfferFailure(name, fault, miss)


def backoff_s(faults_in_row: int) -> float:
    """How long an agent gets no offer after the ``faults_in_row``-th fault in a row that was not theirs."""
    if faults_in_row <= 0:
        return 0.0
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2.0 ** min(faults_in_row - 1, 16))
