"""A lead queue that a reload fills (more attempts, another mode, a campaign added) is filled by the controller a
step at a time between its other messages: another greenlet runs during the fill, and the queue it makes is whole.
The controller runs with no switch node (nothing to dial): only its greenlet and the dialler matter here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from types import MappingProxyType

import gevent
import pytest

from ccswitch.clock import ScaledClock
from ccswitch.config import Config
from ccswitch.config.model import CampaignConfig
from ccswitch.controller import Controller
from ccswitch.dialer import next_leads
from ccswitch.store.memory import MemoryStore
from tests.dialer.test_lead_queue import fill_steps_of
from tests.dialer.test_runner import campaign, leads
from tests.test_engine import MONDAY_10AM, config

__all__ = ["config"]  # fixture

LEADS = 20_000
STEP = 1_000  # leads a fill step places here: 20 steps


def with_campaigns(config: Config, *campaigns: CampaignConfig) -> Config:
    return replace(config, nodes=(), campaigns=MappingProxyType({c.name: c for c in campaigns}))


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    store.put_leads("promo-nov", leads(LEADS))
    return store


@pytest.fixture
def started(config: Config, store: MemoryStore) -> Iterator[Controller]:
    controller = Controller(with_campaigns(config, campaign(config, max_attempts=1)), store,
                            ScaledClock(1.0, start=MONDAY_10AM))
    controller.start()
    yield controller
    controller.stop()


@pytest.mark.parametrize("reload", ["more attempts", "another mode", "a campaign added"])
def test_other_greenlets_run_between_the_steps_of_a_fill_and_the_queue_made_is_whole(
    started: Controller, config: Config, reload: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill_steps_of(STEP, monkeypatch)
    if reload == "a campaign added":
        started.reload(with_campaigns(config))
        new = campaign(config, max_attempts=1)
    else:
        new = campaign(config, max_attempts=2) if reload == "more attempts" else campaign(config, mode="preview")
    turns = 0  # another greenlet's, while a fill is under way

    def neighbour() -> None:
        nonlocal turns
        while True:
            turns += started.dialer.filling
            gevent.sleep(0)

    counting = gevent.spawn(neighbour)
    started.reload(with_campaigns(config, new))
    with gevent.Timeout(30, AssertionError("the fill never ended")):
        while started.dialer.filling:
            gevent.sleep(0)
    counting.kill()

    assert turns >= LEADS // STEP  # a turn before each step
    state = started.dialer.campaigns["promo-nov"]
    assert state.queue.pick(MONDAY_10AM, LEADS) == next_leads(new, state.leads.values(), MONDAY_10AM, LEADS,
                                                              agent_reserved=state.preview)
