"""Agents and queues: an agent's state and the actions on it (log in/out of queues, ready, break), the agents and
queues a supervisor sees."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ccswitch.acd.agents import Agent, AgentEvent, Login, Logout, Ready, TakeBreak, count_by_state
from ccswitch.auth.users import Role
from ccswitch.errors import UnknownNameError
from ccswitch.http.errors import BadRequest
from ccswitch.http.request import MAX_NAME, ApiRequest, may_see, text
from ccswitch.metrics import waiting_by_queue

if TYPE_CHECKING:
    from ccswitch.controller import Controller


def _queue_names(body: Mapping[str, Any]) -> tuple[str, ...] | None:
    """``queues`` in a login body: a list of queue names, or absent for all the agent's queues."""
    queues = body.get("queues")
    if queues is None or queues == []:
        return None
    if not isinstance(queues, list) or not all(isinstance(name, str) and len(name) <= MAX_NAME for name in queues):
        raise BadRequest(f"'queues' must be a list of queue names (each at most {MAX_NAME} characters)")
    return tuple(queues)


ACTIONS: dict[str, Callable[[Mapping[str, Any]], AgentEvent]] = {
    "login": lambda body: Login(on_demand=bool(body.get("on_demand", False)), queues=_queue_names(body)),
    "ready": lambda body: Ready(on_demand=bool(body.get("on_demand", False))),
    "logout": lambda body: Logout(),
    "break": lambda body: TakeBreak(text(body, "reason") or "break"),
}


def agents(api: ApiRequest) -> object:
    """Every agent; a supervisor's, those of their granted queues."""
    visible, config = may_see(api), api.controller.config
    supervisor = api.user is not None and api.user.role is Role.SUPERVISOR
    return [_agent_view(api.controller, agent, api.now) for agent in api.controller.engine.agents.values()
            if not supervisor or any(map(visible, config.agents[agent.id].queues))]


def agent(api: ApiRequest) -> object:
    return _agent_view(api.controller, known_agent(api.controller, api.params["agent"]), api.now)


def agent_action(api: ApiRequest) -> object:
    agent_id = api.params["agent"]
    known_agent(api.controller, agent_id)
    event = ACTIONS[api.params.get("action", "login")](api.body)
    return _agent_view(api.controller, api.controller.agent_action(agent_id, event), api.now)


def queues(api: ApiRequest) -> object:
    waiting = waiting_by_queue(api.controller.engine.queued_entries(), api.controller.config.queues, api.now)
    visible = may_see(api)
    return [_queue_view(api.controller, name, count, longest) for name, (count, longest) in waiting.items()
            if visible(name)]


def _queue_view(controller: Controller, name: str, waiting: int, longest_wait: float) -> dict[str, object]:
    members = controller.engine.members(name)
    states = count_by_state(controller.engine.agents, members, name)
    kept = controller.engine.kept_for_outbound
    return {"name": name, "waiting": waiting, "longest_wait_s": round(longest_wait, 1),
            "agents": {state.value: count for state, count in states.items()},
            "kept_for_outbound": sum(agent_id in kept for agent_id in members)}


def known_agent(controller: Controller, agent_id: str) -> Agent:
    found = controller.engine.agents.get(agent_id)
    if found is None:
        raise UnknownNameError(f"unknown agent '{agent_id}'")
    return found


def _agent_view(controller: Controller, agent: Agent, now: float) -> dict[str, object]:
    config = controller.config.agents[agent.id]
    return {"id": agent.id, "name": config.name, "state": agent.state.value, "reason": agent.break_reason,
            "kept_for_outbound": controller.engine.is_kept_for_outbound(agent.id),
            "in_state_s": round(now - agent.since, 1), "calls_handled": agent.calls_handled,
            "queues": list(config.queues), "logged_in_to": list(agent.queues or config.queues), "call": agent.call,
            "texts": [{"contact": text.contact, "channel": text.channel.value, "phase": text.phase.value,
                       "for_s": round(now - text.since, 1)} for text in agent.texts]}
