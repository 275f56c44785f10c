"""Agents' phones busy outside the queues: a call an agent dials, or one dialled to them directly, is no offer of
ours, but routing skips the agent until that channel ends. Owns those channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccswitch.acd import agents as agent_fsm
from ccswitch.channel_events import HungUp, PhoneChannel
from ccswitch.engine.core import Core, log

if TYPE_CHECKING:  # peers, wired by the engine
    from ccswitch.engine.offers import Offers


class DirectCalls:
    offers: Offers

    def __init__(self, core: Core) -> None:
        self.core = core
        self.direct_calls: dict[str, tuple[str, str]] = {}  # channel uuid -> node, agent: calls outside the queues

    def on_phone_channel(self, node: str, event: PhoneChannel, now: float) -> None:
        """An agent's phone is busy with a call that is not ours (the engine sends no agent's or supervisor's leg
        here): routing skips them until that channel ends."""
        agent = self.core.agent_of_user.get(event.user)
        if agent is None or event.uuid in self.direct_calls:  # (already found live by a reconcile)
            return
        self.direct_calls[event.uuid] = (node, agent)
        self.core.agent_event(agent, agent_fsm.DirectCallStarted(), now)
        log.info("agent %s: phone busy on a direct call (%s)", agent, event.uuid)

    def channel_ended(self, event: HungUp, now: float) -> None:
        """Any channel ended; if it was a direct call, its agent is free of it. (An agent's phone may also call the
        service: then the channel is a call too, and its owner hears of its end next.)"""
        if event.uuid not in self.direct_calls:
            return
        _node, agent = self.direct_calls.pop(event.uuid)
        if agent in self.core.agents:  # (not removed by a reload meanwhile)
            self.core.agent_event(agent, agent_fsm.DirectCallEnded(), now)
            self.offers.dispatch(now)

    def agents_busy(self) -> list[str]:
        """The agent of every direct call known, once per call."""
        return [agent for _node, agent in self.direct_calls.values()]
