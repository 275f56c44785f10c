"""Text contacts as the engine keeps them (chat now; e-mail, SMS and messengers share it): a ``Contact`` with the
customer as they gave themselves and the times a conversation is measured by. Data and pure functions; the engine
(``ccswitch.engine.texts``) moves them.

A text contact's phases are fewer than a call's, and one move a call never makes is allowed: CONNECTED back to
QUEUED, when it is taken back from an agent who went away or stopped answering, or transferred to a queue. There
is no channel to park in between, so the contact keeps its entry (its place) and waits again at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ccswitch.acd.capacity import Channel
from ccswitch.calls import Contact, Phase
from ccswitch.chat.messages import Customer
from ccswitch.history.model import ContactRecord, Outcome

_P = Phase
TEXT_PHASE_TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    _P.QUEUED: frozenset({_P.OFFERING, _P.ENDED}),  # offered; the customer left
    _P.OFFERING: frozenset({_P.CONNECTED, _P.QUEUED, _P.ENDED}),  # accepted; declined or not in time; left
    _P.CONNECTED: frozenset({_P.QUEUED, _P.ENDED}),  # taken back or transferred to a queue; closed or left
    _P.ENDED: frozenset(),
}


@dataclass(kw_only=True)
class TextContact(Contact):
    CHANNEL: ClassVar[Channel] = Channel.CHAT
    TRANSITIONS: ClassVar[dict[Phase, frozenset[Phase]]] = TEXT_PHASE_TRANSITIONS

    customer: Customer = field(default_factory=Customer)
    phase: Phase = Phase.QUEUED
    offered_at: float | None = None
    first_response_at: float | None = None  # the agent's first message after accepting
    unanswered_since: float | None = None  # the customer's oldest message the agent has not answered yet
    disposition: str | None = None
    counted_answered: bool = False  # in the queue's figures (once, however often it is taken back)


def text_contact_record(contact: TextContact, outcome: Outcome, now: float) -> ContactRecord:
    """The contact's one history record, written when the conversation ends."""
    entry = contact.entry
    wait_end = contact.connected_at if contact.connected_at is not None else now
    return ContactRecord(
        call_uuid=contact.uuid, channel=contact.CHANNEL, direction="inbound", started_at=contact.arrived_at,
        ended_at=now, caller_number=contact.caller_number, caller_name=contact.caller_name,
        destination=contact.destination, outcome=outcome, hangup_cause="",
        queue=entry.queue if entry else None,
        enqueued_at=contact.queued_at if entry else None,
        answered_at=contact.connected_at,
        agent=contact.agent if contact.connected_at is not None else None,
        wait_s=wait_end - contact.queued_at if entry else None,
        talk_s=now - contact.connected_at if contact.connected_at is not None else 0.0,
        disposition=contact.disposition, transferred_to=contact.transferred_to,
        first_response_s=(contact.first_response_at - contact.connected_at
                          if contact.first_response_at is not None and contact.connected_at is not None else None),
    )
