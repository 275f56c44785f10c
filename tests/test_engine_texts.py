"""Text contacts in the engine without sockets: queued, offered to agents beside calls within their capacity,
accepted, closed, declined, not accepted in time, taken back from agents who leave or stop answering, transferred,
and restored after a restart (shipped config with chat capacity for the support agents, MemoryStore)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from ccswitch.acd.agents import Logout, TakeBreak
from ccswitch.acd.capacity import AgentCapacity, Channel, Phase
from ccswitch.channel_events import AppCompleted, Parked
from ccswitch.chat.messages import Customer, Sender
from ccswitch.config import Config, load_config
from ccswitch.config.model import ChatSettings
from ccswitch.effects import CollectDigits, ConnectAgent, Effect
from ccswitch.engine import Accept, Close, Decline, Engine, NewsKind, TextArrival, TextNews, Transfer
from ccswitch.errors import InvalidTransition, UnknownNameError
from ccswitch.history.model import ContactRecord, HistoryRecord
from ccswitch.store.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")).timestamp()  # a Monday: support is open
ONE_CALL_OR_THREE_CHATS = AgentCapacity(total=3, costs=MappingProxyType({Channel.VOICE: 3, Channel.CHAT: 1}))
SUPPORT = ("1004", "1005", "1006", "1007")  # 1003 serves sales too; the tests log the others out as they need


@pytest.fixture(scope="module")
def config() -> Config:
    shipped = load_config(ROOT / "config" / "ccswitch.yaml", env={})
    agents = {agent_id: replace(agent, capacity=ONE_CALL_OR_THREE_CHATS, reject_delay_s=10, no_answer_delay_s=10)
              if agent_id in SUPPORT else agent for agent_id, agent in shipped.agents.items()}
    return replace(shipped, agents=MappingProxyType(agents),
                   chat=ChatSettings(offer_timeout_s=30, requeue_unanswered_s=120))


class Centre:
    """An engine with what it said to the chat service and wrote to the history; ``owner``: its controller's id."""

    def __init__(self, config: Config, store: MemoryStore | None = None, owner: str = "") -> None:
        self.store = store or MemoryStore()
        self.news: list[TextNews] = []
        self.history: list[HistoryRecord] = []
        self.effects: list[Effect] = []
        self.engine = Engine(config, self.store, self._emit, record=self.history.append, owner=owner)
        self.engine.on_text_news(self.news.append)
        self.engine.start(NOW - 60)

    def _emit(self, _node: str, effects: Sequence[Effect]) -> None:
        self.effects.extend(effects)

    def only(self, *agent_ids: str) -> None:
        """Log out every agent but ``agent_ids``."""
        for agent_id, agent in self.engine.agents.items():
            if agent_id not in agent_ids and agent.state.value != "logged_out":
                self.engine.agent_action(agent_id, Logout(), NOW - 30)

    def chat(self, contact: str, at: float = NOW, queue: str = "support") -> None:
        self.engine.text_arrived(TextArrival(contact, Channel.CHAT, queue, Customer(name="Olga", email="o@x.ru"),
                                             at), at)

    def offered(self) -> list[tuple[str, str | None]]:
        return [(news.contact, news.agent) for news in self.news if news.kind is NewsKind.OFFERED]

    def held(self, agent_id: str) -> list[tuple[str, Phase]]:
        return [(text.contact, text.phase) for text in self.engine.agents[agent_id].texts]

    def contacts(self) -> list[ContactRecord]:
        return [record for record in self.history if isinstance(record, ContactRecord)]


@pytest.fixture
def centre(config: Config) -> Centre:
    centre = Centre(config)
    centre.only("1004")
    return centre


def test_a_chat_is_offered_accepted_and_closed_with_its_record_in_the_history(centre: Centre) -> None:
    centre.chat("chat-1")
    assert centre.offered() == [("chat-1", "1004")]
    assert centre.held("1004") == [("chat-1", Phase.OFFERED)]
    centre.engine.text_action("1004", "chat-1", Accept(), NOW + 5)
    assert centre.held("1004") == [("chat-1", Phase.ACTIVE)]
    centre.engine.text_action("1004", "chat-1", Close("solved"), NOW + 65)
    assert centre.held("1004") == [] and centre.news[-1] == TextNews("chat-1", NewsKind.ENDED, "1004")
    [record] = centre.contacts()
    assert (record.channel, record.outcome, record.agent, record.disposition) == (Channel.CHAT, "answered", "1004",
                                                                                  "solved")
    assert (record.wait_s, record.talk_s) == (5, 60)
    assert centre.store.all_entries() == {}


def test_a_chat_is_offered_though_the_nodes_per_second_budget_is_spent_for_calls(centre: Centre) -> None:
    assert centre.engine.take_channels("fs1", 100, NOW) == 29  # a burst of the dialler's lines takes the second
    centre.chat("chat-1", NOW + 0.5)
    assert centre.offered() == [("chat-1", "1004")]  # a chat creates no channel on the switch: never paced


def test_an_agent_is_offered_chats_up_to_the_capacity_and_the_oldest_waiting_next(centre: Centre) -> None:
    for n in range(5):
        centre.chat(f"chat-{n}", NOW + n)
    assert centre.offered() == [(f"chat-{n}", "1004") for n in range(3)]
    centre.engine.text_action("1004", "chat-1", Accept(), NOW + 10)
    centre.engine.text_action("1004", "chat-1", Close(), NOW + 20)
    assert centre.offered()[-1] == ("chat-3", "1004")
    assert [contact for contact, _ in centre.held("1004")] == ["chat-0", "chat-2", "chat-3"]
    assert centre.engine.text_status("chat-4", NOW + 20).position == 1


def test_a_call_is_not_offered_while_the_agent_holds_a_chat_and_is_once_it_closes(centre: Centre) -> None:
    centre.chat("chat-1")
    centre.engine.text_action("1004", "chat-1", Accept(), NOW + 1)
    centre.engine.handle("fs1", Parked("caller-1", True, "88005550556", "79161234567", "Ivan"), NOW + 2)
    collect = next(e for e in centre.effects if isinstance(e, CollectDigits))
    centre.engine.handle("fs1", AppCompleted("caller-1", "play_and_get_digits", collect.tag, "2", None), NOW + 3)
    assert "caller-1" in centre.engine.waiting["support"]  # waits: the agent holds a chat
    assert not [e for e in centre.effects if isinstance(e, ConnectAgent)]
    centre.engine.text_action("1004", "chat-1", Close(), NOW + 41)
    assert [e.legs[0].agent_id for e in centre.effects if isinstance(e, ConnectAgent)] == ["1004"]


def test_an_offer_not_accepted_in_time_is_a_miss_and_goes_to_another_agent_at_its_place(config: Config) -> None:
    centre = Centre(config)
    centre.only("1004", "1005")
    centre.chat("chat-1")
    first = centre.offered()[0][1]
    centre.engine.tick(NOW + 31)
    other = "1005" if first == "1004" else "1004"
    assert first is not None and centre.engine.agents[first].missed_in_row == 1
    assert centre.offered()[-1] == ("chat-1", other)
    assert TextNews("chat-1", NewsKind.WITHDRAWN, first) in centre.news


def test_a_declined_offer_goes_back_to_its_place_and_the_agent_waits_before_the_next(centre: Centre) -> None:
    centre.chat("chat-1")
    centre.engine.text_action("1004", "chat-1", Decline(), NOW + 1)
    assert centre.held("1004") == [] and centre.engine.agents["1004"].missed_in_row == 0
    assert centre.engine.text_status("chat-1", NOW + 1).phase == "queued"
    centre.engine.tick(NOW + 10)
    assert centre.held("1004") == []
    centre.engine.tick(NOW + 11)  # the reject delay is over
    assert centre.held("1004") == [("chat-1", Phase.OFFERED)]


def test_logging_out_takes_every_text_back_to_its_place(centre: Centre) -> None:
    centre.chat("chat-1", NOW)
    centre.chat("chat-2", NOW + 1)
    centre.engine.text_action("1004", "chat-1", Accept(), NOW + 2)
    centre.engine.agent_action("1004", Logout(), NOW + 3)
    assert centre.engine.agents["1004"].texts == ()
    assert [centre.engine.text_status(c, NOW + 3).position for c in ("chat-1", "chat-2")] == [1, 2]


def test_a_break_withdraws_offers_at_once_and_conversations_left_unanswered_after_the_timeout(
        centre: Centre) -> None:
    centre.chat("chat-1", NOW)
    centre.engine.text_action("1004", "chat-1", Accept(), NOW + 1)
    centre.chat("chat-2", NOW + 2)
    centre.engine.agent_action("1004", TakeBreak("lunch"), NOW + 3)
    assert centre.held("1004") == [("chat-1", Phase.ACTIVE)]
    centre.engine.text_activity("chat-1", Sender.CUSTOMER, NOW + 10)
    centre.engine.tick(NOW + 100)
    assert centre.held("1004") == [("chat-1", Phase.ACTIVE)]  # 90 s unanswered: not yet
    centre.engine.tick(NOW + 130)
    assert centre.held("1004") == [] and centre.engine.text_status("chat-1", NOW + 130).position == 1


def test_an_agent_who_answers_keeps_the_conversation(centre: Centre) -> None:
    centre.chat("chat-1", NOW)
    centre.engine.text_action("1004", "chat-1", Accept(), NOW + 1)
    for minute in range(1, 6):
        centre.engine.text_activity("chat-1", Sender.CUSTOMER, NOW + 60 * minute)
        centre.engine.text_activity("chat-1", Sender.AGENT, NOW + 60 * minute + 30)
        centre.engine.tick(NOW + 60 * minute + 59)
    assert centre.held("1004") == [("chat-1", Phase.ACTIVE)]


def test_a_transfer_to_a_queue_waits_there_and_to_an_agent_is_offered_to_them(config: Config) -> None:
    centre = Centre(config)
    centre.only("1004", "1005")
    centre.chat("chat-1")
    holder = centre.offered()[0][1]
    assert holder is not None
    other = "1005" if holder == "1004" else "1004"
    centre.engine.text_action(holder, "chat-1", Accept(), NOW + 1)
    centre.engine.text_action(holder, "chat-1", Transfer(agent=other), NOW + 2)
    centre.engine.tick(NOW + 2.5)  # the router must not offer it again: the transfer offered it directly
    assert centre.offered()[-2:] == [("chat-1", holder), ("chat-1", other)] and centre.held(holder) == []
    centre.engine.text_action(other, "chat-1", Accept(), NOW + 3)
    with pytest.raises(UnknownNameError):
        centre.engine.text_action(other, "chat-1", Transfer(queue="nowhere"), NOW + 4)
    centre.engine.text_action(other, "chat-1", Transfer(queue="sales"), NOW + 4)
    status = centre.engine.text_status("chat-1", NOW + 4)
    assert (status.phase, status.queue) == ("queued", "sales")  # nobody in sales takes chats


def test_what_is_not_yours_is_refused(centre: Centre) -> None:
    centre.chat("chat-1")
    with pytest.raises(InvalidTransition, match="not with agent 1005"):
        centre.engine.text_action("1005", "chat-1", Accept(), NOW + 1)
    with pytest.raises(InvalidTransition, match="has not accepted"):
        centre.engine.text_action("1004", "chat-1", Close(), NOW + 1)
    with pytest.raises(UnknownNameError):
        centre.engine.text_action("1004", "chat-9", Accept(), NOW + 1)
    with pytest.raises(UnknownNameError, match="unknown queue"):
        centre.chat("chat-2", queue="nowhere")


def test_a_customer_who_leaves_while_waiting_is_abandoned(centre: Centre) -> None:
    centre.engine.agent_action("1004", Logout(), NOW - 1)
    centre.chat("chat-1")
    centre.engine.text_gone("chat-1", NOW + 30)
    [record] = centre.contacts()
    assert (record.outcome, record.wait_s, record.agent) == ("abandoned", 30, None)
    assert centre.store.all_entries() == {}


def test_after_a_restart_waiting_and_held_texts_are_where_they_were(config: Config) -> None:
    before = Centre(config)
    before.only("1004")
    for n in range(4):
        before.chat(f"chat-{n}", NOW + n)
    before.engine.text_action("1004", "chat-0", Accept(), NOW + 10)
    after = Centre(config, before.store)  # the same store: Redis in production
    assert after.held("1004") == [("chat-0", Phase.ACTIVE), ("chat-1", Phase.OFFERED), ("chat-2", Phase.OFFERED)]
    assert after.engine.text_status("chat-3", NOW + 20).position == 1
    after.engine.text_action("1004", "chat-0", Close(), NOW + 20)
    assert after.offered() == [("chat-1", "1004"), ("chat-2", "1004"),  # told again as restored
                               ("chat-3", "1004")]  # then the oldest waiting, in the place chat-0 left


def test_a_chats_figures_go_to_its_channel_with_the_chats_own_service_level(config: Config) -> None:
    centre = Centre(replace(config, chat=replace(config.chat, service_level_s=60)))
    centre.only("1004")
    centre.chat("chat-1", NOW)
    centre.engine.text_action("1004", "chat-1", Accept(), NOW + 50)  # within chat's 60 s, beyond voice's 20 s
    centre.engine.text_activity("chat-1", Sender.CUSTOMER, NOW + 55)
    centre.engine.text_activity("chat-1", Sender.AGENT, NOW + 62)
    centre.engine.text_activity("chat-1", Sender.AGENT, NOW + 90)  # only the first answer is the first response
    centre.engine.text_action("1004", "chat-1", Close(), NOW + 170)
    centre.engine.agent_action("1004", Logout(), NOW + 171)
    centre.chat("chat-2", NOW + 200)
    centre.engine.text_gone("chat-2", NOW + 230)
    chat = centre.engine.stats.channels[Channel.CHAT]["support"]
    assert (chat.answered, chat.answered_within_sl, chat.abandoned) == (1, 1, 1)
    assert (chat.average_first_response, chat.aht) == (12, 120)
    answered = next(record for record in centre.contacts() if record.call_uuid == "chat-1")
    assert answered.first_response_s == 12  # and in the history, for the reports
    assert centre.engine.stats.queues["support"].answered == 0  # the calls' figures are the voice channel's


def test_another_live_controllers_texts_are_left_to_it_and_a_gone_ones_taken_over(config: Config) -> None:
    running = Centre(config, owner="a")
    running.only("1004")
    for n in range(4):
        running.chat(f"chat-{n}", NOW + n)
    running.engine.text_action("1004", "chat-0", Accept(), NOW + 10)
    standby = Centre(config, running.store, owner="b")  # shares the store, runs nothing yet
    assert standby.engine.texts.contacts == {}
    standby.engine.take_over([], NOW + 20, adoptable=lambda owner: False)  # "a" still lives
    assert standby.engine.texts.contacts == {}
    standby.engine.take_over(["fs1"], NOW + 30, adoptable=lambda owner: owner == "a")  # "a"'s lease lapsed
    assert standby.held("1004") == [("chat-0", Phase.ACTIVE), ("chat-1", Phase.OFFERED), ("chat-2", Phase.OFFERED)]
    assert standby.engine.text_status("chat-3", NOW + 30).position == 1
    assert {entry.owner for entries in standby.store.all_entries().values() for entry in entries} == {"b"}
    assert [(news.contact, news.kind, news.agent) for news in standby.news] == [  # for its chat service to take up
        ("chat-0", NewsKind.CONNECTED, "1004"), ("chat-1", NewsKind.OFFERED, "1004"),
        ("chat-2", NewsKind.OFFERED, "1004"), ("chat-3", NewsKind.REQUEUED, None)]
    again = Centre(config, running.store, owner="b")  # "b" restarted under the same id: its texts are its own
    assert set(again.engine.texts.contacts) == {f"chat-{n}" for n in range(4)}
