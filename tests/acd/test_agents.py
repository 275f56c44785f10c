"""The agent state machine: every (state, event type) pair, then behaviours that take several steps."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import get_args

import pytest

from ccswitch.acd import (
    NO_ANSWER_BREAK,
    ON_DEMAND_BREAK,
    Agent,
    AgentEvent,
    AgentState,
    Answered,
    CallEnded,
    DirectCallEnded,
    DirectCallStarted,
    Login,
    Logout,
    Missed,
    MissReason,
    NotReached,
    Offer,
    Ready,
    TakeBreak,
    WrapUpElapsed,
    apply,
    check_break_reason,
    due,
    new_agent,
)
from ccswitch.acd.agents import AcceptText, DropText, HeldText, OfferText, TextDrop, describe
from ccswitch.acd.capacity import VOICE_ONLY, AgentCapacity, Channel, Phase, handling, wrapping_up
from ccswitch.errors import InvalidTransition, UnknownNameError

NOW = 1000.0
CALL = "caller-uuid-1"
CHAT = "chat-1"
# Room for a chat beside anything, so that the table, not the capacity, decides where OfferText is allowed.
ROOMY = AgentCapacity(total=10, costs={Channel.VOICE: 1, Channel.CHAT: 1}, offer_during={
    Channel.CHAT: handling(Channel.VOICE, Channel.CHAT) | wrapping_up(Channel.VOICE)})
S = AgentState

# One example of every event type, naming the call an agent in RESERVED / ON_CALL holds.
SAMPLE_EVENTS: dict[type, AgentEvent] = {
    Login: Login(),
    Logout: Logout(),
    TakeBreak: TakeBreak("lunch"),
    Ready: Ready(),
    Offer: Offer(CALL),
    Answered: Answered(CALL),
    Missed: Missed(CALL, max_no_answer=3),
    NotReached: NotReached(CALL, delay_s=5),
    CallEnded: CallEnded(CALL, wrap_up_s=30),
    WrapUpElapsed: WrapUpElapsed(),
    DirectCallStarted: DirectCallStarted(),
    DirectCallEnded: DirectCallEnded(),
    OfferText: OfferText("chat-2", Channel.CHAT, ROOMY),
    AcceptText: AcceptText(CHAT),
    DropText: DropText(CHAT, TextDrop.CLOSED),
}
TEXT_EVENTS = (OfferText, AcceptText, DropText)

# Direct (non-queue) calls only move a counter; they are allowed in every state and leave it as it is.
FLAG_EVENTS = (DirectCallStarted, DirectCallEnded)

# The documented table, written out by hand; every pair not listed must raise InvalidTransition.
EXPECTED: dict[tuple[AgentState, type], AgentState] = {
    (S.LOGGED_OUT, Login): S.AVAILABLE,
    (S.AVAILABLE, Logout): S.LOGGED_OUT,
    (S.AVAILABLE, TakeBreak): S.ON_BREAK,
    (S.AVAILABLE, Offer): S.RESERVED,
    (S.ON_BREAK, Logout): S.LOGGED_OUT,
    (S.ON_BREAK, Ready): S.AVAILABLE,
    (S.RESERVED, Answered): S.ON_CALL,
    (S.RESERVED, Missed): S.AVAILABLE,  # first miss of three
    (S.RESERVED, NotReached): S.AVAILABLE,  # the network's or configuration's fault
    (S.RESERVED, CallEnded): S.AVAILABLE,  # the caller hung up while the phone rang
    (S.ON_CALL, CallEnded): S.WRAP_UP,
    (S.WRAP_UP, WrapUpElapsed): S.AVAILABLE,
    (S.WRAP_UP, Ready): S.AVAILABLE,
    (S.WRAP_UP, TakeBreak): S.ON_BREAK,
    (S.WRAP_UP, Logout): S.LOGGED_OUT,
    **{(state, event_type): state for state in AgentState for event_type in FLAG_EVENTS},
    # Text contacts are held beside the voice state and never move it.
    **{(state, OfferText): state for state in (S.AVAILABLE, S.RESERVED, S.ON_CALL, S.WRAP_UP)},
    **{(state, AcceptText): state for state in AgentState if state is not S.LOGGED_OUT},
    **{(state, DropText): state for state in AgentState},
}


def agent_in(state: AgentState) -> Agent:
    """A plausible agent in ``state``, stored once (version 1)."""
    agent = Agent(id="1001", state=state, since=NOW - 100, idle_since=NOW - 100, version=1)
    if state in (S.RESERVED, S.ON_CALL):
        return replace(agent, call=CALL)
    if state is S.ON_BREAK:
        return replace(agent, break_reason="lunch")
    if state is S.WRAP_UP:
        return replace(agent, wrap_until=NOW + 10)
    return agent


def test_samples_cover_every_event_type() -> None:
    assert set(SAMPLE_EVENTS) == set(get_args(AgentEvent))


@pytest.mark.parametrize(
    ("state", "event_type"),
    [(state, event_type) for state in AgentState for event_type in get_args(AgentEvent)],
    ids=lambda value: value.name if isinstance(value, AgentState) else value.__name__,
)
def test_transition_table(state: AgentState, event_type: type) -> None:
    agent, event = agent_in(state), SAMPLE_EVENTS[event_type]
    if event_type in TEXT_EVENTS:  # with a chat offered to them, which AcceptText and DropText name
        agent = replace(agent, texts=(HeldText(CHAT, Channel.CHAT, Phase.OFFERED, NOW - 5),))
    expected = EXPECTED.get((state, event_type))
    if expected is None:
        words = re.escape(describe(event))
        with pytest.raises(InvalidTransition, match=f"^agent 1001: {words} is not allowed in state {state.value}$"):
            apply(agent, event, NOW)
        return
    after = apply(agent, event, NOW)
    assert after.state is expected
    assert after.since == (agent.since if event_type in (*FLAG_EVENTS, *TEXT_EVENTS) else NOW)
    assert after.version == agent.version  # the store owns versions
    assert (after.call is not None) == (expected in (S.RESERVED, S.ON_CALL))
    assert (after.break_reason is not None) == (expected is S.ON_BREAK)
    assert (after.wrap_until is not None) == (expected is S.WRAP_UP)


def test_new_agent_is_logged_out() -> None:
    assert new_agent("1001", NOW) == Agent(id="1001", state=S.LOGGED_OUT, since=NOW, idle_since=NOW)


@pytest.mark.parametrize("event", [Answered("other"), Missed("other", 3), CallEnded("other", 0)])
def test_given_reserved_agent_when_event_names_another_call_then_invalid(event: AgentEvent) -> None:
    with pytest.raises(InvalidTransition, match=f"names call other, but the agent's call is {CALL}"):
        apply(agent_in(S.RESERVED), event, NOW)


@pytest.mark.parametrize("state", [S.RESERVED, S.ON_CALL])
def test_given_agent_with_a_call_when_logout_then_refused(state: AgentState) -> None:
    with pytest.raises(InvalidTransition):
        apply(agent_in(state), Logout(), NOW)


def test_given_available_agent_when_offered_then_reserved_for_that_call() -> None:
    reserved = apply(agent_in(S.AVAILABLE), Offer("c9"), NOW)
    assert (reserved.state, reserved.call) == (S.RESERVED, "c9")


def offer_and_miss(agent: Agent, now: float, max_no_answer: int = 3) -> Agent:
    return apply(apply(agent, Offer(CALL), now), Missed(CALL, max_no_answer), now + 1)


def test_given_max_no_answer_3_when_missed_three_in_a_row_then_on_break_no_answer() -> None:
    agent = agent_in(S.AVAILABLE)
    for expected_misses in (1, 2):
        agent = offer_and_miss(agent, NOW)
        assert (agent.state, agent.missed_in_row, agent.call) == (S.AVAILABLE, expected_misses, None)
    agent = offer_and_miss(agent, NOW)
    assert (agent.state, agent.break_reason, agent.missed_in_row) == (S.ON_BREAK, NO_ANSWER_BREAK, 3)
    assert agent.call is None


def test_given_max_no_answer_0_then_misses_never_send_the_agent_on_break() -> None:
    agent = agent_in(S.AVAILABLE)
    for _ in range(10):
        agent = offer_and_miss(agent, NOW, max_no_answer=0)
    assert (agent.state, agent.missed_in_row) == (S.AVAILABLE, 10)


def test_given_misses_when_call_answered_then_counter_resets() -> None:
    agent = offer_and_miss(offer_and_miss(agent_in(S.AVAILABLE), NOW), NOW)
    answered = apply(apply(agent, Offer(CALL), NOW), Answered(CALL), NOW)
    assert (answered.state, answered.missed_in_row) == (S.ON_CALL, 0)


def test_given_no_answer_break_when_ready_then_available_with_clean_slate() -> None:
    on_break = offer_and_miss(agent_in(S.AVAILABLE), NOW, max_no_answer=1)
    assert on_break.state is S.ON_BREAK
    back = apply(on_break, Ready(), NOW + 60)
    assert (back.state, back.missed_in_row, back.break_reason) == (S.AVAILABLE, 0, None)
    assert back.idle_since == NOW + 60


def test_given_missed_offer_then_agent_goes_to_the_back_of_the_idle_line() -> None:
    assert offer_and_miss(agent_in(S.AVAILABLE), NOW).idle_since == NOW + 1


def test_given_caller_hangs_up_while_ringing_then_agent_keeps_place_and_no_miss_counted() -> None:
    agent = agent_in(S.AVAILABLE)
    after = apply(apply(agent, Offer(CALL), NOW), CallEnded(CALL, wrap_up_s=30), NOW + 1)
    assert (after.state, after.idle_since, after.missed_in_row, after.calls_handled) == (
        S.AVAILABLE,
        agent.idle_since,
        0,
        0,
    )


def test_given_wrap_up_zero_when_call_ends_then_available_at_once() -> None:
    after = apply(agent_in(S.ON_CALL), CallEnded(CALL, wrap_up_s=0), NOW)
    assert (after.state, after.call, after.wrap_until, after.idle_since) == (S.AVAILABLE, None, None, NOW)
    assert after.calls_handled == 1
    assert due(after, NOW + 1000) is None


def test_given_wrap_up_when_call_ends_then_wrap_up_until_due() -> None:
    wrapping = apply(agent_in(S.ON_CALL), CallEnded(CALL, wrap_up_s=30), NOW)
    assert (wrapping.state, wrapping.wrap_until, wrapping.call, wrapping.calls_handled) == (
        S.WRAP_UP,
        NOW + 30,
        None,
        1,
    )
    assert due(wrapping, NOW + 29.999) is None
    timer = due(wrapping, NOW + 30)
    assert timer == WrapUpElapsed()
    done = apply(wrapping, timer, NOW + 30)
    assert (done.state, done.wrap_until, done.idle_since) == (S.AVAILABLE, None, NOW + 30)


@pytest.mark.parametrize("state", [state for state in AgentState if state is not S.WRAP_UP])
def test_nothing_is_due_outside_wrap_up(state: AgentState) -> None:
    assert due(agent_in(state), NOW + 10**6) is None


def test_full_shift() -> None:
    agent = new_agent("1001", NOW)
    steps: list[tuple[AgentEvent, AgentState]] = [
        (Login(), S.AVAILABLE),
        (TakeBreak("coffee"), S.ON_BREAK),
        (Ready(), S.AVAILABLE),
        (Offer(CALL), S.RESERVED),
        (Answered(CALL), S.ON_CALL),
        (CallEnded(CALL, 5), S.WRAP_UP),
        (WrapUpElapsed(), S.AVAILABLE),
        (Logout(), S.LOGGED_OUT),
    ]
    for event, state in steps:
        agent = apply(agent, event, NOW)
        assert agent.state is state, event
    assert agent.calls_handled == 1


@pytest.mark.parametrize("reason", [MissReason.BUSY, MissReason.REJECTED])
def test_given_busy_or_reject_then_delay_but_no_miss_counted(reason: MissReason) -> None:
    reserved = apply(agent_in(S.AVAILABLE), Offer(CALL), NOW)
    after = apply(reserved, Missed(CALL, max_no_answer=1, reason=reason, delay_s=20), NOW)
    assert (after.state, after.missed_in_row, after.not_before) == (S.AVAILABLE, 0, NOW + 20)
    assert not after.can_take(Channel.VOICE, VOICE_ONLY, NOW + 19.9)
    assert after.can_take(Channel.VOICE, VOICE_ONLY, NOW + 20)


def test_given_no_answer_delay_then_not_offered_until_it_ends() -> None:
    reserved = apply(agent_in(S.AVAILABLE), Offer(CALL), NOW)
    after = apply(reserved, Missed(CALL, max_no_answer=3, delay_s=30), NOW)
    assert (after.missed_in_row, after.not_before) == (1, NOW + 30)


def test_given_on_demand_agent_when_call_ends_then_on_break_on_demand_without_wrap_up() -> None:
    agent = apply(new_agent("1001", NOW), Login(on_demand=True), NOW)
    talking = apply(apply(agent, Offer(CALL), NOW), Answered(CALL), NOW + 5)
    after = apply(talking, CallEnded(CALL, wrap_up_s=30), NOW + 65)
    assert (after.state, after.break_reason, after.on_demand, after.wrap_until) == (
        S.ON_BREAK,
        ON_DEMAND_BREAK,
        False,
        None,
    )
    assert (after.calls_handled, after.talk_time_s) == (1, 60)
    assert apply(after, Ready(on_demand=True), NOW + 70).on_demand


def test_talk_time_accumulates_over_calls() -> None:
    agent = agent_in(S.AVAILABLE)
    for start in (NOW, NOW + 100):
        talking = apply(apply(agent, Offer(CALL), start), Answered(CALL), start)
        agent = apply(talking, CallEnded(CALL, wrap_up_s=0), start + 40)
    assert (agent.talk_time_s, agent.calls_handled) == (80, 2)


def test_an_agent_on_a_direct_call_cannot_take_queue_calls_until_it_ends() -> None:
    agent = agent_in(S.AVAILABLE)
    on_direct = apply(agent, DirectCallStarted(), NOW)
    assert (on_direct.state, on_direct.direct_calls) == (S.AVAILABLE, 1)
    assert not on_direct.can_take(Channel.VOICE, VOICE_ONLY, NOW)
    back = apply(on_direct, DirectCallEnded(), NOW)
    assert back.can_take(Channel.VOICE, VOICE_ONLY, NOW)
    assert apply(back, DirectCallEnded(), NOW).direct_calls == 0  # an end without a start we saw


def test_break_reasons_must_be_configured() -> None:
    check_break_reason("lunch", ("lunch", "training"))
    with pytest.raises(UnknownNameError, match="unknown break reason 'nap' \\(allowed: lunch, training\\)"):
        check_break_reason("nap", ("training", "lunch"))


def test_given_a_fault_not_theirs_then_no_miss_place_kept_and_a_back_off() -> None:
    reserved = replace(agent_in(S.RESERVED), missed_in_row=2, idle_since=NOW - 500)
    after = apply(reserved, NotReached(CALL, delay_s=10), NOW)
    assert (after.state, after.missed_in_row, after.idle_since) == (S.AVAILABLE, 2, NOW - 500)
    assert after.unreachable_in_row == 1
    assert not after.can_take(Channel.VOICE, VOICE_ONLY, NOW + 9.9)
    assert after.can_take(Channel.VOICE, VOICE_ONLY, NOW + 10)


def test_given_faults_in_a_row_when_a_call_is_answered_then_the_fault_count_resets() -> None:
    failed = apply(replace(agent_in(S.RESERVED), unreachable_in_row=3), NotReached(CALL, delay_s=0), NOW)
    assert failed.unreachable_in_row == 4
    talking = apply(apply(failed, Offer(CALL), NOW), Answered(CALL), NOW)
    assert talking.unreachable_in_row == 0
