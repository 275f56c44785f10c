"""The after-call disposition of an inbound call over real HTTP, against the simulator and a SQLite contact history:
set during the call and again after it (the latest wins), refused for a disposition of another queue, a call of
another agent, an agent without a call and a queue without dispositions; shown by ``ccswitch history``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ccswitch.history import HistoryWriter, open_history
from ccswitch.history.storage import History
from ccswitch.http import serve_http
from ccswitch.reports import history_table
from ccswitch.sim import AgentPhone, CallerScript

from .conftest import ContactCentre, wait_until
from .test_call_control import unrecorded
from .test_monitoring import call, support_call


@dataclass
class Desk:
    centre: ContactCentre
    url: str
    history: History
    writer: HistoryWriter

    def written(self, caller: str) -> None:
        wait_until(lambda: self.writer.flush(0.1) and self.history.contact(caller) is not None,
                   what="the call's record in the history")


@pytest.fixture
def desk(centre_factory: Callable[..., ContactCentre], tmp_path: Path) -> Iterator[Desk]:
    history = open_history(f"sqlite:///{tmp_path / 'history.sqlite'}")
    writer = HistoryWriter(history)
    centre = centre_factory(phones=tuple(AgentPhone(f"100{n}", answer_after_s=1.0, talk_s=600) for n in range(10)),
                            configure=unrecorded, record=writer.submit)
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller, history)
    yield Desk(centre, f"http://127.0.0.1:{server.server_port}", history, writer)
    server.stop()
    writer.close()
    history.close()


def test_set_during_the_call_then_changed_after_it_the_latest_wins(desk: Desk) -> None:
    caller, agent, _ = support_call(desk.centre)
    status, done = call(f"{desk.url}/api/agents/{agent}/disposition", "POST", {"disposition": "escalated"})
    assert (status, done) == (200, {"agent": agent, "call": caller, "queue": "support", "disposition": "escalated"})

    assert call(f"{desk.url}/api/calls/{agent}/hangup", "POST")[0] == 200
    wait_until(lambda: caller not in desk.centre.controller.engine.calls, what="the call to end")
    desk.written(caller)
    status, done = call(f"{desk.url}/api/agents/{agent}/disposition", "POST", {"disposition": "resolved"})
    assert (status, done["call"]) == (200, caller)  # no call given: the one they ended last
    wait_until(lambda: desk.writer.flush(0.1), what="the disposition written")
    record = desk.history.contact(caller)
    assert record is not None and record.disposition == "resolved"
    [_, line] = history_table([record], desk.centre.controller.config.timezone)
    assert "disposition resolved" in line


def test_refusals(desk: Desk) -> None:
    caller, agent, _ = support_call(desk.centre)
    other = next(a for a in desk.centre.controller.config.members("support") if a != agent)
    url = f"{desk.url}/api/agents"
    status, refused = call(f"{url}/{agent}/disposition", "POST", {"disposition": "sale"})  # a sales disposition
    assert (status, refused["error"]) == (422, "unknown_name")
    assert "resolved, escalated, callback_needed" in str(refused["message"])
    assert call(f"{url}/{agent}/disposition", "POST", {})[0] == 400
    status, refused = call(f"{url}/{other}/disposition", "POST", {"disposition": "resolved", "call": caller})
    assert (status, refused["error"]) == (403, "forbidden")
    status, refused = call(f"{url}/{other}/disposition", "POST", {"disposition": "resolved"})
    assert (status, refused["error"]) == (409, "invalid_transition")  # they have had no call
    assert call(f"{url}/9999/disposition", "POST", {"disposition": "resolved"})[0] == 404
    assert call(f"{desk.url}/api/calls/{agent}/hangup", "POST")[0] == 200
    desk.written(caller)
    record = desk.history.contact(caller)
    assert record is not None and record.disposition is None  # no refusal wrote one


def test_a_queue_without_dispositions_takes_none(desk: Desk) -> None:
    engine = desk.centre.controller.engine
    caller = desk.centre.switch.place_call(CallerScript(dtmf=("0",), talk_s=600))  # the operator queue
    wait_until(lambda: engine.calls.get(caller) is not None and engine.calls[caller].agent is not None,
               what="an operator to answer")
    agent = engine.calls[caller].agent
    status, refused = call(f"{desk.url}/api/agents/{agent}/disposition", "POST", {"disposition": "resolved"})
    assert (status, refused["error"]) == (409, "invalid_transition")
