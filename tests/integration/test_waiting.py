"""Callers waiting in a queue, controller ↔ simulator over TCP: nobody logged in, calling back to rejoin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType

from ccswitch.acd.agents import AgentEvent, Logout, Ready, TakeBreak
from ccswitch.config import Config
from ccswitch.routing.steps import ToQueue
from ccswitch.sim import CallerScript

from .conftest import ContactCentre, wait_until

Factory = Callable[..., ContactCentre]


def support(**changes: object) -> Callable[[Config], Config]:
    def configure(config: Config) -> Config:
        queues = {**config.queues, "support": replace(config.queues["support"], **changes)}
        return replace(config, queues=MappingProxyType(queues))

    return configure


def all_support_agents(centre: ContactCentre, event: AgentEvent) -> None:
    for agent_id in centre.controller.config.members("support"):
        centre.controller.agent_action(agent_id, event)


def test_nobody_logged_in_sends_the_caller_to_the_when_no_agents_queue(centre_factory: Factory) -> None:
    centre = centre_factory(configure=support(when_no_agents=ToQueue("operator")))
    engine = centre.controller.engine
    all_support_agents(centre, Logout())
    caller = centre.switch.place_call(CallerScript(dtmf=("2",), talk_s=5))
    wait_until(lambda: caller in engine.calls and engine.calls[caller].agent in ("1008", "1009"),
               what="an operator to answer")
    assert engine.stats.queues["support"].overflowed == 1


def test_a_caller_who_hangs_up_and_calls_back_within_the_window_is_back_at_their_place(
    centre_factory: Factory,
) -> None:
    centre = centre_factory(configure=support(rejoin_window_s=300))
    engine = centre.controller.engine
    all_support_agents(centre, TakeBreak("lunch"))
    first = centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=20, caller_number="79161112233"))
    wait_until(lambda: first in engine.waiting["support"], what="the first caller to wait")
    second = centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600, caller_number="79995554433"))
    wait_until(lambda: second in engine.waiting["support"], what="the second caller to wait")
    wait_until(lambda: first not in engine.calls, what="the first caller to hang up")
    again = centre.switch.place_call(CallerScript(dtmf=("2",), talk_s=5, caller_number="79161112233"))
    wait_until(lambda: again in engine.waiting["support"], what="the first caller to rejoin")
    centre.controller.agent_action("1004", Ready())
    wait_until(lambda: engine.agents["1004"].call is not None, what="an offer")
    assert engine.agents["1004"].call == again
