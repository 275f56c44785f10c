"""``ccswitch check`` on the users file (``paths.users``): what ``ccswitch user`` writes, checked as the other
configuration files are, with every problem at once.

Errors: the file does not read (YAML, a duplicate user, not a mapping), an unknown key or role, an agent user
without an agent id of agents.yaml, a supervisor user without a supervisor id of supervisors.yaml, a password that
is not an argon2 hash (a plain password typed into the file: never quoted back), a token that is not a SHA-256
digest. Warnings: a user who cannot log in (no password, no token, no single sign-on), two users bound to one
agent (the audit and the desk could not tell them apart). No file is no users: the API is open (``http_exposed``
warns beyond loopback).
"""

from __future__ import annotations

import re

from ccswitch.auth.users import Role
from ccswitch.config._reader import Issues, Node
from ccswitch.config.model import Config
from ccswitch.config.warnings import ConfigWarning
from ccswitch.errors import ConfigError

_KEYS = ("role", "agent", "supervisor", "password", "tokens")
_MAX_USER_NAME = 64
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def check_users(config: Config) -> tuple[list[ConfigError], list[ConfigWarning]]:
    """The errors and warnings of ``config``'s users file (none when it does not exist)."""
    path = config.paths.users
    if not path.exists():
        return [], []
    issues = Issues(config.config_file.resolve().parent.parent)
    top = issues.read_yaml(path)
    if top is None:
        return issues.errors, []
    warnings: list[ConfigWarning] = []
    users_of_agent: dict[str, list[str]] = {}
    for name, settings in top.data.items():
        if not isinstance(name, str) or not 1 <= len(name) <= _MAX_USER_NAME:
            top.error(name, f"a user name is a text of 1 to {_MAX_USER_NAME} characters")
            continue
        user = top.child(name, settings)
        if user is None:
            continue
        agent = _user(config, user)
        if agent is not None:
            users_of_agent.setdefault(agent, []).append(name)
        if not user.raw("password") and not user.raw("tokens") and config.http.sso is None:
            warnings.append(ConfigWarning("user_cannot_log_in", top.file, name,
                                          f"no password and no token: set one with 'ccswitch user passwd {name}'"))
    for agent, names in users_of_agent.items():
        if len(names) > 1:
            warnings.append(ConfigWarning("agent_shared", top.file, names[-1],
                                          f"agent {agent} is also user {', '.join(names[:-1])}'s: the audit and "
                                          f"the desk cannot tell them apart"))
    return issues.errors, warnings


def _user(config: Config, user: Node) -> str | None:
    """Checks one user; the agent id they are bound to, when it is a known one."""
    user.known(_KEYS)
    roles = [role.value for role in Role]
    role = None
    if user.raw("role") is None:
        user.error("role", f"missing (one of: {', '.join(roles)})")
    elif chosen := user.choice("role", "", roles):  # "": not a role, recorded
        role = Role(chosen)
    agent = user.text("agent", None, numbers=True) or None  # an id may be written as a bare number
    supervisor = user.text("supervisor", None, numbers=True) or None
    if role is Role.AGENT and agent is None:
        user.error("agent", "missing: an agent user needs the agent id they work as (agents.yaml)")
    if role is Role.SUPERVISOR and supervisor is None:
        user.error("supervisor", "missing: a supervisor user needs their supervisor id (supervisors.yaml)")
    if agent is not None and agent not in config.agents:
        user.error("agent", f"unknown agent {agent!r} (not in agents.yaml)")
        agent = None
    if supervisor is not None and supervisor not in config.supervisors:
        names = ", ".join(sorted(config.supervisors)) or "none"
        user.error("supervisor", f"unknown supervisor {supervisor!r} (known: {names})")
    password = user.raw("password")
    if password is not None and not (isinstance(password, str) and password.startswith("$argon2")):
        user.error("password", f"not an argon2 hash (the value is not shown): set it with "
                               f"'ccswitch user passwd {user.path}'")
    tokens = user.raw("tokens")
    if tokens is not None and not (isinstance(tokens, dict) and all(
            isinstance(digest, str) and _DIGEST.fullmatch(digest) for digest in tokens.values())):
        user.error("tokens", "label: sha256:<64 hex digits> each (the values are not shown; written by "
                             "'ccswitch user token')")
    return agent if role is Role.AGENT else None
