"""The capacity model: every rule by hand-computed cases, and the agent's voice states seen through it."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from ccswitch.acd import Agent, AgentState
from ccswitch.acd.capacity import (
    DEFAULT_OFFER_DURING,
    TEXT_CHANNELS,
    VOICE_ONLY,
    AgentCapacity,
    Channel,
    Held,
    Phase,
    can_take,
    handling,
    offerable,
    remaining,
    used,
    wrapping_up,
)

C, P = Channel, Phase
NOW = 1000.0


def capacity(total: int, offer_during: dict[Channel, frozenset[tuple[Channel, Phase]]] | None = None,
             **costs: int) -> AgentCapacity:
    rules = DEFAULT_OFFER_DURING if offer_during is None else MappingProxyType({**DEFAULT_OFFER_DURING,
                                                                                 **offer_during})
    return AgentCapacity(total, MappingProxyType({Channel(name): cost for name, cost in costs.items()}), rules)


ONE_CALL_OR_THREE_CHATS = capacity(3, voice=3, chat=1)
ROOM_FOR_BOTH = capacity(4, voice=2, chat=1)  # the numbers would let a call in beside two chats


def chats(count: int, phase: Phase = P.ACTIVE) -> tuple[Held, ...]:
    return (Held(C.CHAT, phase),) * count


# ------------------------------------------------------------------------------------------- voice only (default)

def test_given_the_default_capacity_when_the_agent_holds_nothing_then_a_call_may_be_offered() -> None:
    assert can_take(VOICE_ONLY, (), C.VOICE)
    assert remaining(VOICE_ONLY, ()) == 1


@pytest.mark.parametrize("phase", list(Phase))
def test_given_the_default_capacity_when_a_call_is_in_any_phase_then_no_other_call(phase: Phase) -> None:
    assert not can_take(VOICE_ONLY, (Held(C.VOICE, phase),), C.VOICE)


@pytest.mark.parametrize("channel", sorted(TEXT_CHANNELS))
def test_given_the_default_capacity_then_no_text_channel_is_handled(channel: Channel) -> None:
    assert not can_take(VOICE_ONLY, (), channel)
    assert offerable(VOICE_ONLY, ()) == {C.VOICE}


# ------------------------------------------------------------------------------------------- costs

def test_given_one_call_or_three_chats_then_three_chats_fit_and_a_fourth_does_not() -> None:
    for held in range(3):
        assert can_take(ONE_CALL_OR_THREE_CHATS, chats(held), C.CHAT)
        assert remaining(ONE_CALL_OR_THREE_CHATS, chats(held)) == 3 - held
    assert not can_take(ONE_CALL_OR_THREE_CHATS, chats(3), C.CHAT)
    assert remaining(ONE_CALL_OR_THREE_CHATS, chats(3)) == 0


def test_given_one_call_or_three_chats_when_one_chat_is_held_then_no_call() -> None:
    assert can_take(ONE_CALL_OR_THREE_CHATS, (), C.VOICE)
    assert not can_take(ONE_CALL_OR_THREE_CHATS, chats(1), C.VOICE)


def test_given_costs_when_the_new_contact_does_not_fit_then_it_is_refused_even_if_the_rules_allow_it() -> None:
    allowed = capacity(4, {C.VOICE: handling(C.CHAT)}, voice=2, chat=1)
    assert can_take(allowed, chats(2), C.VOICE)  # 2 + 2 = 4
    assert not can_take(allowed, chats(3), C.VOICE)  # 3 + 2 > 4


def test_a_channel_without_a_cost_is_not_handled() -> None:
    chat_only = capacity(3, chat=1)
    assert not can_take(chat_only, (), C.VOICE)
    assert offerable(chat_only, ()) == {C.CHAT}


def test_wrap_up_spends_nothing_but_offered_and_active_contacts_do() -> None:
    held = (Held(C.CHAT, P.OFFERED), Held(C.CHAT, P.ACTIVE), Held(C.CHAT, P.WRAP_UP))
    assert used(ONE_CALL_OR_THREE_CHATS, held) == 2
    assert remaining(ONE_CALL_OR_THREE_CHATS, held) == 1


def test_a_held_contact_of_a_channel_no_longer_handled_spends_the_whole_capacity() -> None:
    assert used(ONE_CALL_OR_THREE_CHATS, (Held(C.EMAIL),)) == 3
    assert not can_take(ONE_CALL_OR_THREE_CHATS, (Held(C.EMAIL),), C.CHAT)


def test_remaining_never_goes_below_zero() -> None:
    assert remaining(capacity(1, voice=1, chat=1), chats(3)) == 0


# ------------------------------------------------------------------------------------------- interruption rules

def test_given_room_for_both_when_chats_are_held_then_a_call_is_not_offered_by_default() -> None:
    assert not can_take(ROOM_FOR_BOTH, chats(1), C.VOICE)


def test_given_room_for_both_when_allowed_then_a_call_is_offered_beside_chats() -> None:
    allowed = capacity(4, {C.VOICE: handling(C.CHAT)}, voice=2, chat=1)
    assert can_take(allowed, chats(2), C.VOICE)


def test_given_calls_allowed_beside_active_chats_when_a_chat_is_in_wrap_up_then_the_rule_still_refuses() -> None:
    allowed = capacity(4, {C.VOICE: handling(C.CHAT)}, voice=2, chat=1)
    assert not can_take(allowed, chats(1, P.WRAP_UP), C.VOICE)


@pytest.mark.parametrize("phase", [P.OFFERED, P.ACTIVE])
def test_given_room_for_both_when_a_call_rings_or_is_talking_then_no_chat_is_offered_by_default(phase: Phase) -> None:
    assert not can_take(ROOM_FOR_BOTH, (Held(C.VOICE, phase),), C.CHAT)


def test_chats_may_be_offered_and_carry_on_during_a_calls_wrap_up_by_default() -> None:
    held = (Held(C.VOICE, P.WRAP_UP), *chats(2))
    assert can_take(ONE_CALL_OR_THREE_CHATS, held, C.CHAT)
    assert remaining(ONE_CALL_OR_THREE_CHATS, held) == 1


def test_given_rules_that_forbid_chats_during_wrap_up_then_none_is_offered() -> None:
    strict = capacity(3, {C.CHAT: handling(C.CHAT)}, voice=3, chat=1)
    assert not can_take(strict, (Held(C.VOICE, P.WRAP_UP),), C.CHAT)
    assert can_take(strict, chats(1), C.CHAT)


def test_default_rules_let_text_channels_mix_but_never_beside_a_call() -> None:
    every_text = capacity(5, chat=1, email=1, sms=1, messenger=1, voice=5)
    held = (Held(C.EMAIL), Held(C.SMS, P.WRAP_UP), Held(C.MESSENGER, P.OFFERED))
    assert offerable(every_text, held) == TEXT_CHANNELS
    assert offerable(every_text, (*held, Held(C.VOICE))) == frozenset()


def test_a_channel_missing_from_the_rules_is_offered_only_to_an_agent_holding_nothing() -> None:
    bare = AgentCapacity(3, MappingProxyType({C.CHAT: 1}), MappingProxyType({}))
    assert can_take(bare, (), C.CHAT)
    assert not can_take(bare, chats(1), C.CHAT)


def test_helpers_name_the_phases() -> None:
    assert handling(C.CHAT) == {(C.CHAT, P.OFFERED), (C.CHAT, P.ACTIVE)}
    assert wrapping_up(C.VOICE) == {(C.VOICE, P.WRAP_UP)}


def test_a_held_contact_from_json_names_becomes_typed() -> None:
    assert Held("chat", "wrap_up") == Held(C.CHAT, P.WRAP_UP)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Held("fax", "active")  # type: ignore[arg-type]


def test_offerable_answers_the_same_from_memory_and_after_forgetting(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = capacity(3, voice=3, chat=1)
    shapes = [(), chats(1), chats(3), (Held(C.VOICE, P.WRAP_UP),), (Held(C.VOICE),)]
    expected = [{C.VOICE, C.CHAT}, {C.CHAT}, set(), {C.CHAT}, set()]
    assert [offerable(fresh, shape) for shape in shapes] == expected
    assert [offerable(fresh, shape) for shape in shapes] == expected  # remembered
    monkeypatch.setattr("ccswitch.acd.capacity._KNOWN_SHAPES", 2)
    assert [offerable(capacity(3, voice=3, chat=1), shape) for shape in shapes * 2] == expected * 2
    assert fresh == capacity(3, voice=3, chat=1)  # what is remembered is not part of the value


# ------------------------------------------------------------------------------------------- the agent's side

@pytest.mark.parametrize(("state", "expected"), [
    (AgentState.LOGGED_OUT, ()),
    (AgentState.AVAILABLE, ()),
    (AgentState.ON_BREAK, ()),
    (AgentState.RESERVED, (Held(C.VOICE, P.OFFERED),)),
    (AgentState.ON_CALL, (Held(C.VOICE, P.ACTIVE),)),
    (AgentState.WRAP_UP, (Held(C.VOICE, P.WRAP_UP),)),
])
def test_the_agents_queue_call_is_held_in_the_phase_of_their_state(state: AgentState,
                                                                  expected: tuple[Held, ...]) -> None:
    assert Agent("a", state, NOW).held() == expected


def test_each_direct_call_is_a_voice_contact_in_progress() -> None:
    agent = Agent("a", AgentState.WRAP_UP, NOW, direct_calls=2)
    assert agent.held() == (Held(C.VOICE, P.WRAP_UP), Held(C.VOICE), Held(C.VOICE))


@pytest.mark.parametrize("state", list(AgentState))
@pytest.mark.parametrize("direct_calls", [0, 1])
@pytest.mark.parametrize("not_before", [NOW - 1, NOW + 1])
def test_with_the_default_capacity_an_agent_takes_a_call_exactly_when_available_idle_and_not_delayed(
        state: AgentState, direct_calls: int, not_before: float) -> None:
    agent = Agent("a", state, NOW, direct_calls=direct_calls, not_before=not_before)
    before_channels = state is AgentState.AVAILABLE and direct_calls == 0 and not_before <= NOW
    assert agent.can_take(Channel.VOICE, VOICE_ONLY, NOW) is before_channels
    assert agent.offerable(VOICE_ONLY, NOW) == ({C.VOICE} if before_channels else set())


@pytest.mark.parametrize("state", [AgentState.LOGGED_OUT, AgentState.ON_BREAK])
def test_an_agent_logged_out_or_on_a_break_is_offered_nothing_whatever_their_capacity(state: AgentState) -> None:
    assert Agent("a", state, NOW).offerable(ONE_CALL_OR_THREE_CHATS, NOW) == frozenset()


def test_an_agent_delayed_after_a_miss_is_offered_nothing_until_the_delay_ends() -> None:
    agent = Agent("a", AgentState.AVAILABLE, NOW, not_before=NOW + 5)
    assert agent.offerable(ONE_CALL_OR_THREE_CHATS, NOW) == frozenset()
    assert agent.offerable(ONE_CALL_OR_THREE_CHATS, NOW + 5) == {C.VOICE, C.CHAT}


def test_an_agent_in_wrap_up_may_be_offered_a_chat_but_not_a_call() -> None:
    agent = Agent("a", AgentState.WRAP_UP, NOW)
    assert agent.offerable(ONE_CALL_OR_THREE_CHATS, NOW) == {C.CHAT}
    assert agent.can_take(C.CHAT, ONE_CALL_OR_THREE_CHATS, NOW)
    assert not agent.can_take(C.VOICE, ONE_CALL_OR_THREE_CHATS, NOW)
    assert not replace(agent, state=AgentState.ON_CALL).can_take(C.CHAT, ONE_CALL_OR_THREE_CHATS, NOW)
