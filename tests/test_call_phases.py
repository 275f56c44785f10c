"""The contact's ``Phase`` table (``ccswitch.calls.PHASE_TRANSITIONS``): the moves the engine makes are allowed, the
ones that would be its bug raise ``InvalidTransition`` and change nothing, and no engine module sets a phase behind
the table's back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ccswitch.calls import PHASE_TRANSITIONS, CallSession, Phase
from ccswitch.errors import InvalidTransition

P = Phase

# Hand-listed from what the engine does (``ccswitch/engine``), one line per reason.
ALLOWED = [
    (P.IVR, P.QUEUED), (P.IVR, P.ANNOUNCING), (P.IVR, P.ENDED), (P.IVR, P.CALLBACK),  # a routing step
    (P.IVR, P.IVR),  # one menu leads to another
    (P.IVR, P.OFFERING), (P.IVR, P.CONNECTED),  # taken back after a restart
    (P.QUEUED, P.OFFERING), (P.OFFERING, P.CONNECTED),  # offered, answered
    (P.OFFERING, P.QUEUED),  # a failed or lost offer: back to its place
    (P.QUEUED, P.CALLBACK), (P.OFFERING, P.CALLBACK), (P.CALLBACK, P.OFFERING),  # a callback, and its attempts
    (P.QUEUED, P.ENDED), (P.OFFERING, P.ENDED),  # abandoned, overflowed; a preview or callback not reached
    (P.CONNECTED, P.ENDED), (P.ENDED, P.REQUEUING), (P.REQUEUING, P.QUEUED),  # transferred to a queue
    (P.ENDED, P.IVR), (P.ENDED, P.QUEUED), (P.ENDED, P.ANNOUNCING),  # overflowed to a step; routed again
    (P.ANNOUNCING, P.ENDED),
    (P.PREVIEW, P.OFFERING), (P.PREVIEW, P.ENDED),  # dialled, skipped
]

REFUSED = [
    (P.CONNECTED, P.QUEUED),  # a talking call goes back to a queue only through a transfer (REQUEUING)
    (P.CONNECTED, P.OFFERING),
    (P.ANNOUNCING, P.QUEUED),  # an announcement ends the call
    (P.QUEUED, P.CONNECTED),  # nobody answers a call nobody was offered
    (P.CALLBACK, P.CONNECTED),
    (P.CALLBACK, P.QUEUED),  # its caller has gone: nobody to queue
    (P.PREVIEW, P.CONNECTED),  # the lead is dialled first
    (P.REQUEUING, P.OFFERING),  # queued first
    (P.ENDED, P.CONNECTED),
]


def session(phase: Phase) -> CallSession:
    return CallSession(uuid="u-1", node="fs1", caller_number="79990000001", caller_name="", destination="100",
                       arrived_at=0.0, phase=phase)


@pytest.mark.parametrize(("before", "after"), ALLOWED)
def test_the_moves_the_engine_makes_are_allowed(before: Phase, after: Phase) -> None:
    call = session(before)
    call.move_to(after)
    assert call.phase is after


@pytest.mark.parametrize(("before", "after"), REFUSED)
def test_a_move_the_table_has_not_raises_and_changes_nothing(before: Phase, after: Phase) -> None:
    call = session(before)
    with pytest.raises(InvalidTransition, match=f"from phase {before.value} to {after.value}"):
        call.move_to(after)
    assert call.phase is before


def test_every_phase_has_its_row() -> None:
    assert set(PHASE_TRANSITIONS) == set(Phase)


def test_no_engine_module_sets_a_phase_but_through_the_table() -> None:
    engine = Path(__file__).resolve().parents[1] / "ccswitch" / "engine"
    assignments = [f"{path.name}: {line.strip()}" for path in sorted(engine.glob("*.py"))
                   for line in path.read_text().splitlines() if re.search(r"\.phase\s*(,[^=]*)?=[^=]", line)]
    assert assignments == []
