"""The roles' access rules: agents on themselves, supervisors on their granted queues, admins on everything."""

from __future__ import annotations

import pytest

from ccswitch.auth.access import Access, Subject, allowed
from ccswitch.auth.users import Role, User

AGENT = User("alice", Role.AGENT, agent="1001")
SUPERVISOR = User("sam", Role.SUPERVISOR, supervisor="2001")
ADMIN = User("root", Role.ADMIN)
OWN_CALL = Subject("1001", frozenset({"support"}))
OTHERS_CALL = Subject("1002", frozenset({"support"}))
SALES_CALL = Subject("1003", frozenset({"sales"}))


def sales_only(queue: str) -> bool:
    return queue == "sales"


def test_an_agent_acts_on_their_own_agent_and_calls_only() -> None:
    assert allowed(AGENT, Access.AGENT, OWN_CALL, sales_only)
    assert not allowed(AGENT, Access.AGENT, OTHERS_CALL, sales_only)
    assert not allowed(AGENT, Access.AGENT, Subject(), sales_only)  # a call nobody is on


def test_a_supervisor_acts_on_the_queues_they_are_granted() -> None:
    assert allowed(SUPERVISOR, Access.AGENT, SALES_CALL, sales_only)
    assert not allowed(SUPERVISOR, Access.AGENT, OTHERS_CALL, sales_only)


@pytest.mark.parametrize(("user", "expected"), [(AGENT, False), (SUPERVISOR, True), (ADMIN, True)])
def test_supervisor_routes(user: User, expected: bool) -> None:
    assert allowed(user, Access.SUPERVISOR, Subject(), sales_only) is expected


@pytest.mark.parametrize(("user", "expected"), [
    (AGENT, False), (SUPERVISOR, False), (ADMIN, True), (User("boss", Role.ADMIN, supervisor="2001"), True)])
def test_only_admins_reload_and_run_campaigns(user: User, expected: bool) -> None:
    assert allowed(user, Access.ADMIN, Subject(), sales_only) is expected


def test_monitoring_needs_a_supervisor_id() -> None:
    assert allowed(SUPERVISOR, Access.MONITOR, Subject(), sales_only)
    assert not allowed(AGENT, Access.MONITOR, Subject(), sales_only)


@pytest.mark.parametrize("user", [AGENT, SUPERVISOR, ADMIN])
def test_public_and_user_routes_are_for_everyone(user: User) -> None:
    assert allowed(user, Access.PUBLIC, Subject(), sales_only)
    assert allowed(user, Access.USER, Subject(), sales_only)
