"""Record builders for the history tests: sensible defaults, override what the test is about."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ccswitch.history import AgentStateRecord, ContactRecord, Outcome

T0 = 1_795_000_000.0  # 2026-11-18 15:26:40 UTC


def contact(call_uuid: str, **fields: Any) -> ContactRecord:
    values: dict[str, Any] = {
        "call_uuid": call_uuid,
        "channel": "voice",
        "direction": "inbound",
        "started_at": T0,
        "ended_at": T0 + 200.0,
        "caller_number": "+79161234567",
        "caller_name": "Ivan Petrov",
        "destination": "88005550556",
        "outcome": "answered",
        "hangup_cause": "NORMAL_CLEARING",
        "ivr_path": ("main:2",),
        "queue": "support",
        "enqueued_at": T0 + 15.0,
        "answered_at": T0 + 35.0,
        "agent": "1000",
        "wait_s": 20.0,
        "talk_s": 165.0,
        "wrap_up_s": 10.0,
    }
    values.update(fields)
    return ContactRecord(**values)


def state(agent: str, name: str, started_at: float, ended_at: float, reason: str | None = None) -> AgentStateRecord:
    return AgentStateRecord(agent=agent, state=name, started_at=started_at, ended_at=ended_at, reason=reason)


def campaign_call(call_uuid: str, started_at: float, outcome: Outcome, talk_s: float = 0.0,
                  campaign: str = "promo-nov") -> ContactRecord:
    """A campaign's call as it is recorded: by the engine when a person was handed to it (queued in sales), else by
    the dialler (no queue)."""
    base = contact(call_uuid, direction="outbound", campaign=campaign, started_at=started_at,
                   ended_at=started_at + 30.0 + talk_s, caller_number="+447700900001", caller_name="Lead 1",
                   destination="+447700900001", outcome=outcome, ivr_path=(), queue=None, enqueued_at=None,
                   answered_at=None, agent=None, wait_s=None, talk_s=0.0, wrap_up_s=0.0)
    if outcome == "answered":
        return replace(base, queue="sales", enqueued_at=started_at, answered_at=started_at + 1.0, agent="1000",
                       wait_s=1.0, talk_s=talk_s)
    if outcome in ("abandoned", "overflowed"):
        return replace(base, queue="sales", enqueued_at=started_at, wait_s=2.0)
    return base
