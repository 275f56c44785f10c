"""The simulated chat customers' and agents' decisions (``ccswitch.sim.chat_scripts``): a whole script played
event by event, patience running out, the agent closing after their exchanges, and the scripts the demo draws."""

from __future__ import annotations

import random

import pytest

from ccswitch.errors import InvalidTransition
from ccswitch.sim.chat_scripts import (
    PERSON_PLEASE,
    AgentReplied,
    BotReplied,
    ChatAgentHabits,
    ChatCustomerScript,
    CloseChat,
    Closed,
    CustomerAction,
    CustomerEvent,
    CustomerPhase,
    CustomerState,
    End,
    HandedOver,
    Leave,
    Say,
    Tick,
    agent_turn,
    chat_agent_habits,
    chat_customers,
    customer_step,
    patience_deadline,
)

HOURS = Say("What are your opening hours?", 4.0)
PRICE = Say("How much is the Router X1?", 6.0)
PERSON = Say(PERSON_PLEASE, 5.0)
FIRST, SECOND = Say("Hello, I have a question.", 10.0), Say("Thanks.", 20.0)
SCRIPT = ChatCustomerScript("Ann", "ann@example.com", "sales", (HOURS, PRICE), PERSON, patience_s=60.0,
                            messages=(FIRST, SECOND))


def play(script: ChatCustomerScript, *events: CustomerEvent) -> tuple[CustomerState, list[CustomerAction]]:
    state, done = CustomerState(), list[CustomerAction]()
    for event in events:
        state, actions = customer_step(script, state, event)
        done += actions
    return state, done


def test_given_a_bot_topic_the_customer_asks_each_question_then_a_person_then_talks_and_ends() -> None:
    state, actions = play(SCRIPT, BotReplied(), BotReplied(), BotReplied(), BotReplied(), HandedOver(at=100.0),
                          Tick(now=130.0), AgentReplied(), AgentReplied(), AgentReplied())
    assert actions == [HOURS, PRICE, PERSON, FIRST, SECOND, End(SCRIPT.ends_after_s)]
    assert state.phase is CustomerPhase.DONE


def test_when_the_bot_answers_the_request_for_a_person_the_customer_asks_nothing_more() -> None:
    state, actions = play(SCRIPT, BotReplied(), BotReplied(), BotReplied(), BotReplied(), BotReplied())
    assert actions == [HOURS, PRICE, PERSON]
    assert state.phase is CustomerPhase.WITH_BOT


def test_given_a_topic_that_queues_straight_the_customer_says_nothing_until_an_agent_writes() -> None:
    script = ChatCustomerScript("Bob", "", "support", messages=(FIRST,))
    state, actions = play(script, HandedOver(at=5.0), AgentReplied())
    assert actions == [FIRST]
    assert state.phase is CustomerPhase.WITH_AGENT


def test_when_patience_runs_out_before_an_agent_writes_the_customer_leaves() -> None:
    waiting, _ = play(SCRIPT, HandedOver(at=100.0))
    assert patience_deadline(SCRIPT, waiting) == 160.0
    still, stay = customer_step(SCRIPT, waiting, Tick(now=159.9))
    assert (still, stay) == (waiting, [])
    gone, leave = customer_step(SCRIPT, waiting, Tick(now=160.0))
    assert leave == [Leave()] and gone.phase is CustomerPhase.LEFT
    assert patience_deadline(SCRIPT, gone) is None


def test_a_requeue_before_any_agent_wrote_does_not_restart_patience() -> None:
    state, _ = play(SCRIPT, HandedOver(at=100.0), HandedOver(at=150.0))
    assert patience_deadline(SCRIPT, state) == 160.0


def test_once_an_agent_wrote_patience_no_longer_counts() -> None:
    state, actions = play(SCRIPT, HandedOver(at=100.0), AgentReplied(), Tick(now=10_000.0))
    assert actions == [FIRST] and state.phase is CustomerPhase.WITH_AGENT


def test_an_agent_who_closes_first_ends_the_script() -> None:
    state, actions = play(SCRIPT, HandedOver(at=0.0), AgentReplied(), Closed())
    assert actions == [FIRST] and state.phase is CustomerPhase.DONE


def test_after_leaving_nothing_more_happens_to_the_customer() -> None:
    gone, _ = play(SCRIPT, HandedOver(at=0.0), Tick(now=60.0))
    with pytest.raises(InvalidTransition, match="AgentReplied while left"):
        customer_step(SCRIPT, gone, AgentReplied())


def test_an_agent_replies_to_their_exchanges_then_closes_with_their_disposition() -> None:
    habits = ChatAgentHabits(think_s=7.0, exchanges=2, disposition="sale")
    turns = [agent_turn(habits, sent, ("quote_sent", "sale")) for sent in range(3)]
    assert [type(turn) for turn in turns] == [Say, Say, CloseChat]
    assert turns[0] != turns[1] and all(turn.after_s == 7.0 for turn in turns)
    assert turns[2] == CloseChat("sale", 7.0)


def test_a_close_takes_a_disposition_the_queue_has() -> None:
    habits = ChatAgentHabits(exchanges=0, disposition="sale", think_s=1.0)
    assert agent_turn(habits, 0, ("resolved", "escalated")) == CloseChat("resolved", 1.0)
    assert agent_turn(habits, 0) == CloseChat(None, 1.0)


def test_the_drawn_customers_follow_their_topics_and_a_seed_fixes_them() -> None:
    topics = [("sales", True), ("support", False)]
    arrivals = chat_customers(random.Random(3), 40, 10.0, topics, ["Router X1"])
    assert arrivals == chat_customers(random.Random(3), 40, 10.0, topics, ["Router X1"])
    times = [at for at, _ in arrivals]
    assert times == sorted(times) and len(arrivals) == 40
    for _, script in arrivals:
        if script.topic == "sales":
            assert script.ask_person is not None and script.ask_person.text == PERSON_PLEASE
            assert len(script.bot_questions) == 2
        else:
            assert script.ask_person is None and script.bot_questions == ()
        assert 60 <= script.patience_s <= 300 and 2 <= len(script.messages) <= 3
    assert {script.topic for _, script in arrivals} == {"sales", "support"}
    assert any("Router X1" in say.text for _, script in arrivals for say in script.bot_questions)
    assert chat_customers(random.Random(3), 40, 10.0, [], []) == []


def test_each_agent_gets_habits_in_the_documented_ranges() -> None:
    habits = chat_agent_habits(random.Random(1), ["1000", "1001"])
    assert set(habits) == {"1000", "1001"}
    for habit in habits.values():
        assert 2 <= habit.accept_after_s <= 8 and 4 <= habit.think_s <= 15 and 2 <= habit.exchanges <= 3
