"""What the dialler needs of the ACD, and nothing more: the engine satisfies ``Acd`` structurally (the controller,
which wires them, is where mypy checks it), and the dialler never imports the engine.

The dialler reads (never changes) the agents, the queues' members, how many calls wait per queue and how many have
joined each, to pace its lines, and takes its lines' channels from the nodes' per-second budgets the ACD keeps
(``take_channels``), and keeps free agents for the people its lines may bring (``keep_for_outbound``); it hands
answered people to the ACD (``take_outbound``, ``take_outbound_step``); and, for a
preview campaign, it asks the ACD to reserve an agent for a lead, dial it from the agent's phone or let the agent
go. The ACD owns the agent's leg and the customer's channel from there, and says when a preview's customer was not
reached (``preview_ended``, which the dialler sets once).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Mapping, Sequence
from typing import Protocol

from ccswitch.acd.agents import Agent
from ccswitch.calls import DialOutPlan
from ccswitch.effects import Effect
from ccswitch.history.model import HistoryRecord
from ccswitch.routing.steps import Step

Emit = Callable[[str, Sequence[Effect]], None]  # (node, effects): the executor's, as the engine's
Record = Callable[[HistoryRecord], object]  # the history writer's submit: never blocks
PreviewEnded = Callable[[str, str, float], None]  # (call, cause, now): a preview's customer was not reached


class Acd(Protocol):
    """The automatic call distributor as the dialler sees it."""

    preview_ended: PreviewEnded

    @property
    def agents(self) -> Mapping[str, Agent]:
        """Agent id -> the agent now."""

    @property
    def waiting(self) -> Mapping[str, Collection[str]]:
        """Queue -> the calls waiting in it."""

    @property
    def joined(self) -> Mapping[str, int]:
        """Queue -> inbound calls that have joined it so far (a count that only grows): blended pacing's arrivals."""

    @property
    def calls(self) -> Container[str]:
        """The calls the ACD has (the dialler only asks whether it has one)."""

    def members(self, queue: str) -> Sequence[str]:
        """The agents configured to serve ``queue`` (logged in or not)."""

    def take_channels(self, node: str, wanted: int, now: float) -> int:
        """How many of ``wanted`` new channels may be created on ``node`` now, within the switch's per-second budget
        (shared with the ACD's own legs and the callers); those are counted as created."""

    def keep_for_outbound(self, agent_ids: frozenset[str], now: float) -> None:
        """Offer these free agents only the people campaigns reached, until the next call says otherwise (a blended
        agent would otherwise take an inbound call or a chat while a line dialled for them rings)."""

    def take_outbound(self, node: str, uuid: str, number: str, name: str, queue: str, campaign: str,
                      connect_within_s: float, otherwise: Step, now: float) -> None:
        """A person answered (``uuid``, parked): an agent of ``queue`` within ``connect_within_s``, else
        ``otherwise``; the ACD's call from here, and its to record."""

    def take_outbound_step(self, node: str, uuid: str, number: str, name: str, campaign: str, step: Step,
                           now: float) -> None:
        """A person a blast reached goes to ``step`` (an IVR menu); the ACD's call from here."""

    def preview(self, node: str, agent_id: str, call: str, plan: DialOutPlan, name: str, campaign: str,
                now: float) -> None:
        """Reserve ``agent_id`` for a lead they are shown, to be dialled on ``call`` by ``plan``. UnknownNameError,
        InvalidTransition: the agent cannot take it."""

    def dial_preview(self, call: str, now: float) -> None:
        """Dial the previewed lead: the agent's phone first, then the lead from it."""

    def end_preview(self, call: str, now: float) -> None:
        """The lead shown was not dialled: the agent is free again."""
