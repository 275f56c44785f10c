"""Simulated chat customers and agents on a real ChatService (its bot, its feeds, a SQLite conversation log) with
a fake desk standing for the ACD: the transcript a scripted customer and agent leave, and a customer whose patience
runs out. The clock runs x1000, so a script's seconds are milliseconds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import gevent
import pytest

from ccswitch.clock import ScaledClock
from ccswitch.config import load_config
from ccswitch.history import ConversationLog
from ccswitch.sim.chat_customers import ChatDesks, ChatTally, ServicePort, play_customer
from ccswitch.sim.chat_scripts import PERSON_PLEASE, ChatAgentHabits, ChatCustomerScript, Say
from ccswitch.webchat.service import ChatService
from tests.webchat.fakes import FakeDesk

REPO = Path(__file__).resolve().parents[2]
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Europe/Moscow")).timestamp()
HABITS = ChatAgentHabits(accept_after_s=2.0, think_s=4.0, exchanges=1, disposition="sale")


class Site:
    def __init__(self, folder: Path) -> None:
        self.clock = ScaledClock(1000.0, start=MONDAY_NOON)
        self.desk = FakeDesk()
        self.log = ConversationLog(f"sqlite:///{folder / 'history.sqlite'}")
        config = load_config(REPO / "config" / "ccswitch.yaml", env={})
        self.chat = ChatService(lambda: config, self.log, self.desk, self.clock.now)
        self.port = ServicePort(self.chat, self.clock)
        self.tally = ChatTally()

    def queued(self) -> list[str]:
        return [asked[1] for asked in self.desk.asked if asked[0] == "queue"]  # type: ignore[misc]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    site = Site(tmp_path)
    yield site
    site.chat.close()
    site.log.close()


def wait_for(condition: object, what: str) -> None:
    with gevent.Timeout(10, AssertionError(f"timed out waiting for {what}")):
        while not condition():  # type: ignore[operator]
            gevent.sleep(0.005)


def test_a_customer_asks_the_bot_then_a_person_and_the_agent_answers_and_closes(site: Site) -> None:
    script = ChatCustomerScript("Anna", "anna@example.com", "sales", (Say("How much is the Router X1?", 3.0),),
                                Say(PERSON_PLEASE, 3.0), patience_s=300.0,
                                messages=(Say("Can I pay on delivery?", 5.0), Say("Thanks.", 60.0)))
    desks = ChatDesks(site.port, site.clock, {"1000": HABITS}, {"sales": ("quote_sent", "sale")}, site.tally)
    desks.start()
    customer = gevent.spawn(play_customer, site.port, site.clock, script, site.tally)
    try:
        wait_for(site.queued, "the hand-over to the desk")
        conversation = site.queued()[0]
        site.desk.offer(conversation, "1000")
        customer.join(timeout=10)
        assert customer.successful()
    finally:
        desks.stop()
        customer.kill()
    said = [(m.sender.value, m.text) for m in site.log.messages(conversation)]
    customer_lines = [text for sender, text in said if sender == "customer"]
    assert customer_lines == ["How much is the Router X1?", PERSON_PLEASE, "Can I pay on delivery?"]
    assert [sender for sender, _ in said[:4]] == ["bot", "customer", "bot", "customer"]  # greeting, price, person
    assert "4 990" in said[2][1]  # the bot's price, from the catalogue
    agent_lines = [text for sender, text in said if sender == "agent"]
    assert len(agent_lines) == 2  # the greeting and one reply (exchanges=1), then the close before "Thanks."
    assert ("accept", "1000", conversation, None) in site.desk.asked
    assert ("close", "1000", conversation, "sale") in site.desk.asked
    assert (site.tally.opened, site.tally.handed_over, site.tally.answered, site.tally.abandoned) == (1, 1, 1, 0)
    assert site.tally.handled == {"1000": 1} and site.tally.peak_held == {"1000": 1}


def test_a_customer_nobody_answers_leaves_when_their_patience_runs_out(site: Site) -> None:
    script = ChatCustomerScript("Boris", "", "support", patience_s=60.0, messages=(Say("Hello?", 1.0),))
    started = site.clock.now()
    with gevent.Timeout(10, AssertionError("the customer never left")):
        play_customer(site.port, site.clock, script, site.tally)
    assert site.clock.now() - started >= 60.0
    conversation = site.queued()[0]
    assert ("gone", conversation) in site.desk.asked
    assert (site.tally.handed_over, site.tally.answered, site.tally.abandoned) == (1, 0, 1)
