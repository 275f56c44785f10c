"""Whose fault a failed offer is: the cause table and the back-off."""

from __future__ import annotations

import pytest

from ccswitch.acd.agents import MissReason
from ccswitch.acd.offer_failures import (
    BACKOFF_FIRST_S,
    BACKOFF_MAX_S,
    CAUSES,
    OTHER_CAUSE,
    Fault,
    OfferFailure,
    backoff_s,
    classify,
)


@pytest.mark.parametrize(("cause", "miss"), [
    ("NO_ANSWER", MissReason.NO_ANSWER),
    ("NO_USER_RESPONSE", MissReason.NO_ANSWER),
    ("USER_BUSY", MissReason.BUSY),
    ("NORMAL_CIRCUIT_CONGESTION", MissReason.BUSY),
    ("CALL_REJECTED", MissReason.REJECTED),
])
def test_the_agents_causes_are_misses(cause: str, miss: MissReason) -> None:
    assert classify(cause) == OfferFailure(cause, Fault.AGENT, miss)


def test_a_caller_who_hangs_up_while_the_phone_rings_is_nobodys_miss() -> None:
    # trace k: the caller's bridge completes with originate_disposition ORIGINATOR_CANCEL
    assert classify("ORIGINATOR_CANCEL") == OfferFailure("ORIGINATOR_CANCEL", Fault.CALLER)


@pytest.mark.parametrize("cause", ["INCOMPATIBLE_DESTINATION", "USER_NOT_REGISTERED", "GATEWAY_DOWN",
                                   "NO_ROUTE_DESTINATION", "DESTINATION_OUT_OF_ORDER", "RECOVERY_ON_TIMER_EXPIRE"])
def test_network_and_configuration_causes_are_not_the_agents(cause: str) -> None:
    # trace n: a codec mismatch (200 with PCMA only, or a 488) ends as INCOMPATIBLE_DESTINATION
    failure = classify(cause)
    assert (failure.fault, failure.miss) == (Fault.NETWORK, None)


def test_causes_are_read_as_freeswitch_writes_them_whatever_the_case_and_spaces() -> None:
    assert classify(" incompatible_destination\n").cause == "INCOMPATIBLE_DESTINATION"


def test_an_unknown_cause_counts_as_no_answer_under_one_bounded_label() -> None:
    # as mod_callcenter's default branch; "OTHER" keeps the metric's label set bounded
    assert classify("SOMETHING_NEW 123") == OfferFailure(OTHER_CAUSE, Fault.AGENT, MissReason.NO_ANSWER)


def test_only_the_agents_causes_carry_a_miss() -> None:
    for cause, (fault, miss) in CAUSES.items():
        assert (miss is not None) == (fault is Fault.AGENT), cause


def test_the_back_off_doubles_from_the_first_fault_up_to_its_cap() -> None:
    assert backoff_s(0) == 0.0
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [BACKOFF_FIRST_S, 2 * BACKOFF_FIRST_S, 4 * BACKOFF_FIRST_S,
                                                      8 * BACKOFF_FIRST_S]
    assert backoff_s(5) == backoff_s(500) == BACKOFF_MAX_S
