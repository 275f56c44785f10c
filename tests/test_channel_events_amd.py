"""The typed answering-machine detection event (mod_amd's ``amd``) and the parked-outbound row used to reconcile."""

from __future__ import annotations

import pytest

from ccswitch.channel_events import AmdCompleted, AppCompleted, from_esl, parked_outbound_from_channel_row
from ccswitch.esl.event import Event
from ccswitch.esl.protocol import Frame


def execute_complete(application: str, *variables: tuple[str, str]) -> Event:
    lines = ["Event-Name: CHANNEL_EXECUTE_COMPLETE", "Unique-ID: L1", f"Application: {application}",
             "Application-UUID: amd-1", *(f"variable_{name}: {value}" for name, value in variables)]
    return Event.from_frame(Frame({"Content-Type": "text/event-plain"}, "\n".join(lines).encode() + b"\n\n"))


@pytest.mark.parametrize(
    ("variables", "result", "cause"),
    [
        ((("amd_result", "HUMAN"), ("amd_cause", "HUMAN")), "HUMAN", "HUMAN"),
        ((("amd_result", "MACHINE"), ("amd_cause", "INITIALSILENCE")), "MACHINE", "INITIALSILENCE"),
        ((("amd_result", "NOTSURE"), ("amd_cause", "TOOLONG")), "NOTSURE", "TOOLONG"),
        ((), "NOTSURE", ""),  # the channel went away during detection: nothing was set
        ((("amd_result", "human"),), "HUMAN", ""),
        ((("amd_result", "FAX%0AX"),), "NOTSURE", ""),  # anything else is not a result
    ],
)
def test_amd_completion_carries_its_result_cause_and_tag(variables: tuple[tuple[str, str], ...], result: str,
                                                         cause: str) -> None:
    assert from_esl(execute_complete("amd", *variables)) == AmdCompleted("L1", "amd-1", result, cause)


def test_other_applications_stay_app_completed() -> None:
    assert isinstance(from_esl(execute_complete("playback")), AppCompleted)


def test_a_parked_outbound_row_names_its_channel() -> None:
    assert parked_outbound_from_channel_row({"uuid": "L1", "direction": "outbound", "application": "park"}) == "L1"
    assert parked_outbound_from_channel_row({"uuid": "L1", "direction": "inbound", "application": "park"}) is None
    assert parked_outbound_from_channel_row({"uuid": "L1", "direction": "outbound", "application": "bridge"}) is None
