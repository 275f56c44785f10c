"""The channels and media ports kept per node (``NodeLoads`` through ``CallTable``) always equal a recount."""

from __future__ import annotations

import random

import pytest

from ccswitch.admission import NodeLoad
from ccswitch.calls import CallSession, DialOutPlan, Phase
from ccswitch.occupancy import CallTable, NodeLoads, load_of

NODES = ("fs1", "fs2")
PLAN = DialOutPlan("79001234567", "gw", "88005550556", 30)


def a_call(uuid: str, node: str) -> CallSession:
    return CallSession(uuid=uuid, node=node, caller_number="79001112233", caller_name="", destination="88005550556",
                       arrived_at=0.0)


def assert_counts_match(table: CallTable) -> None:
    for node in NODES:
        assert table.loads.load(node, 0) == load_of(table.values(), node, 0), node


def test_a_caller_an_answer_ringing_legs_and_a_connected_agent_are_counted_as_they_happen() -> None:
    table = CallTable(NodeLoads())
    call = a_call("c1", "fs1")
    table["c1"] = call
    assert table.loads.load("fs1", 3) == NodeLoad(sessions=1, media=0, recent_sessions=3)
    call.answered = True
    assert table.loads.load("fs1", 0) == NodeLoad(1, 1, 0)
    call.ringing = {"1000": "leg-a", "1001": "leg-b", "1002": ""}  # "" : a leg not started yet holds nothing
    assert table.loads.load("fs1", 0) == NodeLoad(3, 3, 0)
    call.agent, call.agent_leg, call.ringing = "1000", "leg-a", {}
    call.phase = Phase.CONNECTED
    assert table.loads.load("fs1", 0) == NodeLoad(2, 2, 0)
    assert table.loads.load("fs2", 0) == NodeLoad(0, 0, 0)
    table.pop("c1")
    assert table.loads.load("fs1", 0) == NodeLoad(0, 0, 0)
    call.answered = False  # a call no longer in the table changes nothing
    assert table.loads.load("fs1", 0) == NodeLoad(0, 0, 0)


def test_random_changes_keep_the_count_equal_to_a_recount() -> None:
    rng = random.Random(20261207)
    table = CallTable(NodeLoads())
    calls: list[CallSession] = []
    for step in range(5_000):
        action = rng.randrange(9)
        if action == 0 or not calls:
            call = a_call(f"c{step}", rng.choice(NODES))
            calls.append(call)
            table[call.uuid] = call
        else:
            call = rng.choice(calls)
            if action == 1:
                table.pop(call.uuid)
            elif action == 2 and call.uuid in table:
                del table[call.uuid]
            elif action == 3:  # the same uuid given another session (a restart's adoption)
                replacement = a_call(call.uuid, rng.choice(NODES))
                calls.append(replacement)
                table[call.uuid] = replacement
            elif action == 4:  # one session under a second key (a callback's new leg)
                table[f"{call.uuid}-leg"] = call
            elif action == 5:
                call.ringing = {f"a{n}": rng.choice(("", f"leg{n}")) for n in range(rng.randrange(4))}
            elif action == 6:
                call.answered, call.caller_gone = rng.random() < 0.5, rng.random() < 0.2
            elif action == 7:
                call.phase = rng.choice(list(Phase))
                call.agent_leg = rng.choice((None, "leg-x"))
            else:
                call.preview = rng.choice((None, PLAN))
                call.connected_at = rng.choice((None, 1.0))
        assert_counts_match(table)


@pytest.mark.parametrize("change", ["update", "setdefault", "popitem", "clear"])
def test_changes_the_count_would_not_see_are_refused(change: str) -> None:
    table = CallTable(NodeLoads())
    table["c1"] = a_call("c1", "fs1")
    with pytest.raises(TypeError, match="NodeLoads"):
        getattr(table, change)()
    assert list(table) == ["c1"]
