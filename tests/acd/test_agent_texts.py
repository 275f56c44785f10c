"""An agent holding text contacts beside their calls: offers refused beyond capacity, accept, the ways a text is
dropped, and the record's round trip through JSON (how the Redis store keeps it)."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import pytest

from ccswitch.acd.agents import (
    NO_ANSWER_BREAK,
    AcceptText,
    Agent,
    AgentState,
    CallEnded,
    DropText,
    HeldText,
    Login,
    Offer,
    OfferText,
    TextDrop,
    apply,
    new_agent,
)
from ccswitch.acd.capacity import VOICE_ONLY, AgentCapacity, Channel, Held, Phase
from ccswitch.errors import InvalidTransition

NOW = 1000.0
ONE_CALL_OR_THREE_CHATS = AgentCapacity(total=3, costs={Channel.VOICE: 3, Channel.CHAT: 1})


def available() -> Agent:
    return apply(new_agent("1001", NOW - 100), Login(), NOW - 100)


def holding(count: int, accepted: bool = False) -> Agent:
    agent = available()
    for n in range(count):
        agent = apply(agent, OfferText(f"chat-{n}", Channel.CHAT, ONE_CALL_OR_THREE_CHATS), NOW)
        if accepted:
            agent = apply(agent, AcceptText(f"chat-{n}"), NOW)
    return agent


def test_given_one_call_or_three_chats_then_three_chats_are_held_and_the_fourth_is_refused() -> None:
    agent = holding(3)
    assert [text.contact for text in agent.texts] == ["chat-0", "chat-1", "chat-2"]
    with pytest.raises(InvalidTransition, match="no capacity for a chat"):
        apply(agent, OfferText("chat-3", Channel.CHAT, ONE_CALL_OR_THREE_CHATS), NOW)


def test_a_text_offered_twice_is_refused() -> None:
    with pytest.raises(InvalidTransition, match="already offered"):
        apply(holding(1), OfferText("chat-0", Channel.CHAT, ONE_CALL_OR_THREE_CHATS), NOW)


def test_texts_never_move_the_voice_state_and_are_held_in_their_phase() -> None:
    agent = holding(2)
    agent = apply(agent, AcceptText("chat-1"), NOW + 1)
    assert agent.state is AgentState.AVAILABLE and agent.since == NOW - 100
    assert agent.held() == (Held(Channel.CHAT, Phase.OFFERED), Held(Channel.CHAT, Phase.ACTIVE))
    assert agent.text("chat-1") == HeldText("chat-1", Channel.CHAT, Phase.ACTIVE, NOW + 1)


def test_a_call_is_not_offered_by_routing_while_chats_are_held_by_default() -> None:
    assert not holding(1).can_take(Channel.VOICE, ONE_CALL_OR_THREE_CHATS, NOW)
    assert not holding(1).can_take(Channel.VOICE, VOICE_ONLY, NOW)  # the dialler's and previews' question


def test_a_chat_is_refused_while_a_call_rings_or_is_talked_by_default() -> None:
    reserved = apply(available(), Offer("call-1"), NOW)
    with pytest.raises(InvalidTransition, match="no capacity"):
        apply(reserved, OfferText("chat-0", Channel.CHAT, ONE_CALL_OR_THREE_CHATS), NOW)


def test_accepting_what_was_not_offered_or_is_already_accepted_is_refused() -> None:
    with pytest.raises(InvalidTransition, match="not offered"):
        apply(available(), AcceptText("chat-0"), NOW)
    with pytest.raises(InvalidTransition, match="not offered"):
        apply(holding(1, accepted=True), AcceptText("chat-0"), NOW)


def test_dropping_a_text_the_agent_does_not_hold_is_refused() -> None:
    with pytest.raises(InvalidTransition, match="not theirs"):
        apply(holding(1), DropText("chat-9", TextDrop.CLOSED), NOW)


def test_closing_frees_the_capacity() -> None:
    agent = apply(holding(3, accepted=True), DropText("chat-1", TextDrop.CLOSED), NOW)
    assert [text.contact for text in agent.texts] == ["chat-0", "chat-2"]
    assert agent.can_take(Channel.CHAT, ONE_CALL_OR_THREE_CHATS, NOW)


def test_a_declined_offer_delays_the_next_offers_without_a_miss() -> None:
    agent = apply(holding(1), DropText("chat-0", TextDrop.DECLINED, delay_s=10), NOW)
    assert (agent.texts, agent.missed_in_row, agent.not_before) == ((), 0, NOW + 10)
    assert not agent.can_take(Channel.CHAT, ONE_CALL_OR_THREE_CHATS, NOW + 5)


def test_offers_not_accepted_in_a_row_send_an_available_agent_on_break() -> None:
    agent = holding(2)
    agent = apply(agent, DropText("chat-0", TextDrop.NO_ANSWER, max_no_answer=2), NOW)
    assert (agent.state, agent.missed_in_row) == (AgentState.AVAILABLE, 1)
    agent = apply(agent, DropText("chat-1", TextDrop.NO_ANSWER, max_no_answer=2), NOW)
    assert (agent.state, agent.break_reason) == (AgentState.ON_BREAK, NO_ANSWER_BREAK)


def test_accepting_a_text_clears_the_no_answer_streak() -> None:
    agent = apply(holding(2), DropText("chat-0", TextDrop.NO_ANSWER, max_no_answer=3), NOW)
    assert apply(agent, AcceptText("chat-1"), NOW).missed_in_row == 0


def test_a_chat_may_be_offered_during_a_calls_wrap_up() -> None:
    on_call = replace(available(), state=AgentState.ON_CALL, call="call-1")
    wrapping = apply(on_call, CallEnded("call-1", wrap_up_s=30), NOW)
    wrapping = apply(wrapping, OfferText("chat-0", Channel.CHAT, ONE_CALL_OR_THREE_CHATS), NOW)
    assert wrapping.state is AgentState.WRAP_UP and [t.contact for t in wrapping.texts] == ["chat-0"]


def test_a_record_holding_texts_survives_a_json_round_trip() -> None:
    agent = holding(2, accepted=True)
    fields = json.loads(json.dumps({**asdict(agent), "state": agent.state.value,
                                    "texts": [{**asdict(t), "phase": t.phase.value} for t in agent.texts]}))
    assert Agent(**{**fields, "state": AgentState(fields["state"])}) == agent
