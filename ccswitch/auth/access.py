"""What each role may do: the access rule of every API route, decided without I/O.

An agent acts only as their own agent (their state, their calls, their preview leads); a supervisor on the agents
and calls of the queues supervisors.yaml grants them (``may_supervise``), and monitors calls as themselves; an admin
may do everything, and alone reloads the configuration and runs campaigns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from ccswitch.auth.users import Role, User


class Access(Enum):
    PUBLIC = "public"  # no credentials: logging in, the API's own description
    USER = "user"  # anyone logged in
    AGENT = "agent"  # the agent the request names: that agent's user, a supervisor of one of their queues, an admin
    SUPERVISOR = "supervisor"  # supervisors and admins (what they see is limited to their queues where it can be)
    MONITOR = "monitor"  # a user with a supervisor id: they monitor as themselves
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Subject:
    """What a request acts on, as the engine knows it: the agent (their queues), or a call (its agent and queue)."""

    agent: str | None = None
    queues: frozenset[str] = frozenset()


def allowed(user: User, access: Access, subject: Subject, may_supervise: Callable[[str], bool]) -> bool:
    """Whether ``user`` may use a route of ``access`` on ``subject``; ``may_supervise(queue)``: the user's
    supervisor id is granted that queue."""
    if access is Access.PUBLIC or access is Access.USER or user.role is Role.ADMIN:
        return True
    match access:
        case Access.AGENT:
            if user.role is Role.AGENT:
                return subject.agent is not None and subject.agent == user.agent
            return any(may_supervise(queue) for queue in subject.queues)
        case Access.SUPERVISOR:
            return user.role is Role.SUPERVISOR
        case Access.MONITOR:
            return user.supervisor is not None
    return False
