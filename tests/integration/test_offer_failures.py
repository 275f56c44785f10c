"""Controller ↔ simulator over TCP: offers that fail for reasons that are not the agent's. A caller who hangs up
while the agent's phone rings (trace k) and phones the call cannot reach or that cannot take it (trace n)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ccswitch.acd.agents import AgentState
from ccswitch.sim import AgentPhone, CallerScript
from ccswitch.sim.people import PhoneBehaviour
from ccswitch.sim.wire import SimEvent

from .conftest import ContactCentre, wait_until

SUPPORT = ("2",)
SUPPORT_AGENTS = ("1003", "1004", "1005", "1006", "1007")


def metric(centre: ContactCentre, name: str, **labels: str) -> float:
    text = generate_latest(centre.controller.metrics.registry).decode()
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()))


def offers_to(centre: ContactCentre, agent: str) -> int:
    return sum(1 for command in centre.server.commands_received
               if command.startswith("api uuid_transfer") and f"cc_agent={agent}," in command)


def test_a_caller_who_hangs_up_while_the_agent_rings_costs_the_agent_nothing_and_gets_no_command(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    centre = centre_factory(phones=(AgentPhone("1003", behaviour="no_answer"),))
    engine = centre.controller.engine
    commands_at_hangup: list[int] = []

    def note_hangup(event: SimEvent) -> None:
        if event.name == "CHANNEL_HANGUP" and event.get("Unique-ID") == caller:
            commands_at_hangup.append(len(centre.server.commands_received))

    centre.switch.subscribe(note_hangup)
    caller = centre.switch.place_call(CallerScript(dtmf=SUPPORT, patience_s=8))  # 1003 rings from ~1 s to 16 s
    wait_until(lambda: engine.stats.queues["support"].abandoned == 1, timeout=8, what="the abandon")
    wait_until(lambda: not any(ch.uuid == caller for ch in centre.switch.live_channels()), what="the caller gone")
    centre.clock.sleep(1.0)  # whatever the controller would still decide for the call has been decided
    assert offers_to(centre, "1003") == 1
    agent = engine.agents["1003"]
    assert (agent.state, agent.missed_in_row) == (AgentState.AVAILABLE, 0)
    assert engine.stats.agents["1003"].missed == 0
    assert metric(centre, "ccswitch_agent_offers_missed_total") == 0
    after_hangup = centre.server.commands_received[commands_at_hangup[0]:]
    assert [command for command in after_hangup if caller in command] == []  # nothing for a gone channel
    assert all(engine.agents[a].state is AgentState.AVAILABLE for a in SUPPORT_AGENTS)


@pytest.mark.parametrize(("behaviour", "cause"), [("wrong_codec", "INCOMPATIBLE_DESTINATION"),
                                                   ("not_acceptable", "INCOMPATIBLE_DESTINATION"),
                                                   ("unregistered", "USER_NOT_REGISTERED")])
def test_phones_the_call_cannot_reach_send_nobody_on_break_and_are_retried_with_a_back_off(
    centre_factory: Callable[..., ContactCentre], behaviour: PhoneBehaviour, cause: str,
) -> None:
    centre = centre_factory(phones=tuple(AgentPhone(a, behaviour=behaviour, answer_after_s=0.2, busy_after_s=0.1)
                                         for a in SUPPORT_AGENTS))
    engine = centre.controller.engine
    caller = centre.switch.place_call(CallerScript(dtmf=SUPPORT, patience_s=600))
    wait_until(lambda: metric(centre, "ccswitch_offer_failures_total", fault="network", cause=cause) >= 5,
               timeout=15.0, what="every support agent tried once")  # (a loaded machine took over 5 s once)
    centre.clock.sleep(40.0)  # 2 s of real time: a tight loop would offer the call hundreds of times
    for agent in SUPPORT_AGENTS:
        assert 1 <= offers_to(centre, agent) <= 4  # back-offs of 5, 10 and 20 s fit in 40 s
        assert engine.agents[agent].state is not AgentState.ON_BREAK
        assert engine.stats.agents[agent].missed == 0
    assert metric(centre, "ccswitch_agent_offers_missed_total") == 0
    assert caller in engine.calls  # still waiting at its place
    assert caller in centre.switch.channels  # continue_on_fail (set by each offer, kept on the channel) held it
