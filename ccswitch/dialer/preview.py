"""Preview campaigns: an agent is shown a lead, then dials it or skips it.

Who owns what: the dialler decides which lead an agent is shown (the next dialable one not shown to anyone else
nor skipped lately), whether it may still be dialled, and what the call meant for the lead (as any line's, and the
agent's disposition afterwards). The ACD owns the agent and the channels: it reserves the agent while they look
(``Acd.preview``: no queue call is offered to them meanwhile), rings their phone and dials the lead from it
(``Acd.dial_preview``; ``sip_auto_answer``), lets them go (``Acd.end_preview``), and says when the lead was not
reached (``Acd.preview_ended``: busy, no answer, failed, the agent's own phone not answering, the offer lost).

An available agent of the campaign's queue asks for a lead (``show``). They dial it (``dial``; or it is dialled by
itself after ``preview_dial_after_s``) or skip it (``skip``: not shown again for ``PREVIEW_SKIP_S``). The line's
uuid is the lead's leg, chosen here when the lead is shown, on the node chosen here. Bridged: answered by a person
(no detection, no ledger: nobody can be abandoned); the dialler reads that bridge itself, as it does every line's
(``line_events``), since the ACD reports only the lead not reached. Which lead an agent previews is kept in memory:
after a restart the agent asks again.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from dataclasses import dataclass

from ccswitch.calls import DialOutPlan
from ccswitch.dialer.campaign import dialable, on_dial
from ccswitch.dialer.campaign_state import DialerState
from ccswitch.dialer.leads import Lead
from ccswitch.dialer.line_events import LineKeeper
from ccswitch.dialer.lines import Line, LineState
from ccswitch.errors import CcswitchError, InvalidTransition

log = logging.getLogger(__name__)

PREVIEW_SKIP_S = 600.0  # a lead an agent skipped is not shown again before this


@dataclass(frozen=True, slots=True)
class Preview:
    """A lead shown to an agent, not dialled yet; ``call`` is the uuid its leg will have, on ``node``."""

    agent: str
    campaign: str
    phone: str
    call: str
    node: str
    since: float


class Previews:
    def __init__(self, state: DialerState, lines: LineKeeper) -> None:
        self.state = state
        self.lines = lines
        self.shown: dict[str, Preview] = {}  # agent id -> the lead they are shown
        state.acd.preview_ended = self.not_reached

    def show(self, name: str, agent_id: str, now: float) -> Lead:
        """Show ``agent_id`` the next lead of preview campaign ``name`` and reserve them for it (the lead they
        already preview, if any). InvalidTransition: not a running preview campaign, no lead to show now, the
        agent not free or previewing another campaign's lead; UnknownNameError: campaign or agent."""
        campaign = self.state.campaign(name)
        config = campaign.config
        if not campaign.preview:
            raise InvalidTransition(f"campaign {name} dials {config.mode}: only a preview campaign shows leads")
        if not campaign.running:
            state = campaign.run.state.value if campaign.run else "not loaded"
            raise InvalidTransition(f"campaign {name} is {state}: start it first")
        shown = self.shown.get(agent_id)
        if shown is not None:
            if shown.campaign != name:
                raise InvalidTransition(f"agent {agent_id} previews a lead of campaign {shown.campaign}: dial or skip "
                                        "it first")
            return campaign.leads[shown.phone]
        held = {p.phone for p in self.shown.values() if p.campaign == name}
        picked = campaign.queue.pick(
            now, 1, allow=lambda lead: lead.phone not in held and campaign.skipped.get(lead.phone, 0.0) <= now)
        if not picked:
            raise InvalidTransition(f"campaign {name} has no lead to show now (the rest wait for a retry, their "
                                    "calling window, or another agent)")
        (lead,) = picked
        preview = Preview(agent_id, name, lead.phone, str(uuidlib.uuid4()), self.state.quietest_node(), now)
        plan = DialOutPlan(lead.phone, config.gateway, config.caller_id_number, campaign.ring_s)
        self.state.acd.preview(preview.node, agent_id, preview.call, plan, lead.name, name, now)
        self.shown[agent_id] = preview
        return lead

    def dial(self, name: str, agent_id: str, now: float) -> Lead:
        """The agent dials the lead they preview. InvalidTransition: no such preview, or the lead may no longer be
        dialled (a do-not-call list, its calling window, another controller): then the preview ends."""
        preview = self._of(name, agent_id)
        campaign = self.state.campaigns[name]
        lead = campaign.stored_lead(preview.phone)
        if not dialable(campaign.config, lead, now, agent_reserved=True):
            self._end(preview, now)
            raise InvalidTransition(f"lead {lead.phone} may no longer be dialled ({lead.state.value}, on a do-not-call "
                                    "list or outside its calling window): preview another")
        dialled = campaign.write_lead(lead, on_dial(lead, preview.call))
        if dialled is None:
            self._end(preview, now)
            raise InvalidTransition(f"lead {lead.phone} was dialled by another controller: preview another")
        del self.shown[agent_id]
        self.state.lines[preview.call] = Line(preview.call, preview.node, name, lead.phone, LineState.RINGING, now)
        log.info("campaign %s: agent %s dials %s (attempt %d) as line %s", name, agent_id, lead.phone,
                 dialled.attempts, preview.call)
        self.state.acd.dial_preview(preview.call, now)
        return dialled

    def skip(self, name: str, agent_id: str, now: float) -> Lead:
        """The agent skips the lead they preview: not dialled, not shown again for ``PREVIEW_SKIP_S``."""
        preview = self._of(name, agent_id)
        campaign = self.state.campaigns[name]
        self._end(preview, now)
        campaign.skipped[preview.phone] = now + PREVIEW_SKIP_S
        log.info("campaign %s: agent %s skipped %s", name, agent_id, preview.phone)
        return campaign.leads[preview.phone]

    def dial_due(self, now: float) -> None:
        """Previews whose campaign dials them by itself after ``preview_dial_after_s``."""
        for preview in list(self.shown.values()):
            dial_after = self.state.campaigns[preview.campaign].config.preview_dial_after_s
            if dial_after is not None and now >= preview.since + dial_after:
                try:
                    self.dial(preview.campaign, preview.agent, now)
                except CcswitchError as exc:
                    log.info("campaign %s: the preview of agent %s was not dialled: %s", preview.campaign,
                             preview.agent, exc)

    def not_reached(self, call: str, cause: str, now: float) -> None:
        """The ACD's word that a preview's lead was not reached (its leg may never have existed): the lead is
        settled from ``cause`` as any line's that rang."""
        line = self.state.lines.get(call)
        if line is not None and line.state is LineState.RINGING:
            self.lines.gone(line, cause, now)

    def withdraw(self, name: str, now: float) -> None:
        """Campaign ``name`` is gone from the configuration: the agents previewing its leads are let go."""
        for preview in [p for p in self.shown.values() if p.campaign == name]:
            log.info("campaign %s was removed: agent %s no longer previews %s", name, preview.agent, preview.phone)
            self._end(preview, now)

    def _of(self, name: str, agent_id: str) -> Preview:
        self.state.campaign(name)
        preview = self.shown.get(agent_id)
        if preview is None or preview.campaign != name:
            raise InvalidTransition(f"agent {agent_id} previews no lead of campaign {name} (ask for one first)")
        return preview

    def _end(self, preview: Preview, now: float) -> None:
        del self.shown[preview.agent]
        self.state.acd.end_preview(preview.call, now)
