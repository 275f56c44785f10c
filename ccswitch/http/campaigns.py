"""Outbound campaigns: their status, loading their leads, running them, a lead's disposition, and an agent's
preview leads (show, dial, skip)."""

from __future__ import annotations

from dataclasses import asdict

from ccswitch.dialer import Lead, RunCommand
from ccswitch.dialer.runner import CampaignStatus
from ccswitch.http.errors import BadRequest
from ccswitch.http.request import ApiRequest, text

RUN_COMMANDS = {command.value: command for command in RunCommand}
PREVIEW_ACTIONS = {"preview": "show", "dial": "dial", "skip": "skip"}


def campaign_view(status: CampaignStatus) -> dict[str, object]:
    """A campaign's status as JSON: run state, leads by state, lines, rates, the abandon rate against its
    limit over the regulator's window, and its leads file import (running, or the last one; null: none)."""
    budget = status.abandon
    return {
        "name": status.name, "mode": status.mode, "queue": status.queue, "state": status.state,
        "since": status.since, "leads": dict(status.leads), "lines": dict(status.lines),
        "lines_in_flight": status.lines_in_flight, "dialled": status.dialled,
        "answer_ratio": status.answer_ratio, "machine_ratio": status.machine_ratio, "lost_ratio": status.lost_ratio,
        "abandon": {"answered": budget.answered, "abandoned": budget.abandoned,
                    "ratio": budget.rate if budget.answered else None, "limit": budget.limit,
                    "window_s": status.abandon_window_s, "remaining": round(budget.remaining, 3)},
        "outcomes": dict(status.outcomes),
        "lead_import": None if status.lead_import is None else {
            **asdict(status.lead_import), "state": status.lead_import.state.value},
    }


def campaigns(api: ApiRequest) -> object:
    return [campaign_view(status) for status in api.controller.campaign_statuses()]


def campaign(api: ApiRequest) -> object:
    return campaign_view(api.controller.campaign_status(api.params["name"]))


def load(api: ApiRequest) -> object:
    """Imports the campaign's leads file."""
    return asdict(api.controller.campaign_load(api.params["name"]))


def run(api: ApiRequest) -> object:
    done = api.controller.campaign_command(api.params["name"], RUN_COMMANDS[api.params["command"]])
    return {"campaign": done.campaign, "state": done.state.value, "since": done.since}


def dispose(api: ApiRequest) -> object:
    """``{"phone": "+447700900001", "disposition": "sale"}``."""
    phone, disposition = text(api.body, "phone"), text(api.body, "disposition")
    if phone is None or disposition is None:
        raise BadRequest('give "phone" and "disposition"')
    return _lead_view(api.controller.campaign_dispose(api.params["name"], phone, disposition))


def preview(api: ApiRequest) -> object:
    """``{"agent": "1001"}``: shows the agent a lead (reserving them), dials it or skips it."""
    agent = text(api.body, "agent")
    if agent is None:
        raise BadRequest('give "agent"')
    action = PREVIEW_ACTIONS[api.params["action"]]
    return _lead_view(api.controller.campaign_preview(api.params["name"], agent, action))


def _lead_view(lead: Lead) -> dict[str, object]:
    return {"campaign": lead.campaign, "phone": lead.phone, "name": lead.name, "timezone": lead.timezone,
            "fields": dict(lead.extra), "state": lead.state.value, "attempts": lead.attempts,
            "next_at": lead.next_at, "disposition": lead.disposition,
            "last_outcome": lead.last_outcome.value if lead.last_outcome else None, "call": lead.call}
