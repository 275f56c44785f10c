"""The users file (``users.yaml`` beside the configuration, ``paths.users``): the people who may use the API.

``<name>: {role: agent|supervisor|admin, agent: <agent id>, supervisor: <supervisor id>, password: <argon2 hash>,
tokens: {<label>: sha256:<hex>}}``. An agent user is bound to one agent id (agents.yaml) and acts only as that
agent; a supervisor user to a supervisor id (supervisors.yaml), whose ``queues`` are the ones they may act on; an
admin may also have a supervisor id to monitor calls. Passwords are argon2id hashes; API tokens are random 256-bit
secrets stored as their SHA-256 (a slow hash adds nothing to a secret that long, and every API call checks one).
``ccswitch user add|passwd|token|remove`` writes the file; the running controller re-reads it when it changes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ccswitch.errors import ConfigError

_HASHER = PasswordHasher()
TOKEN_PREFIX = "ccs_"
SCHEMA_LINE = "# yaml-language-server: $schema=../ccswitch/config/schemas/users.schema.json\n"
MIN_PASSWORD = 8


class Role(Enum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    password: str = ""  # the argon2 hash; empty: this user logs in with a token only
    agent: str | None = None
    supervisor: str | None = None
    tokens: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))  # label → sha256:<hex>


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def password_matches(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s; an unknown user costs a hash too, so timing does not tell who exists."""
    try:
        return _HASHER.verify(user.password if user and user.password else _dummy_hash(), password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """Made on first need, not at import: hashing takes a noticeable moment, and nothing else runs meanwhile."""
    return _HASHER.hash(secrets.token_hex(16))


def token_digest(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def load_users(path: Path) -> dict[str, User]:
    """The users in ``path`` (none when the file does not exist); a malformed file raises ConfigError."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(path.name, "", f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(path.name, "", "a mapping of user name to settings")
    return {str(name): _user(path.name, str(name), settings) for name, settings in data.items()}


def users_configured(path: Path) -> bool:
    """Whether ``path`` names at least one user (a malformed file counts as none: ``load_users`` says why)."""
    try:
        return bool(load_users(path))
    except ConfigError:
        return False


def _user(file: str, name: str, settings: Any) -> User:
    if not isinstance(settings, dict) or set(settings) - {"role", "agent", "supervisor", "password", "tokens"}:
        raise ConfigError(file, name, "give role, agent, supervisor, password and tokens only")
    try:
        role = Role(settings.get("role"))
    except ValueError as exc:
        raise ConfigError(file, f"{name}.role", f"one of: {', '.join(r.value for r in Role)}") from exc
    agent, supervisor = settings.get("agent"), settings.get("supervisor")
    if role is Role.AGENT and agent is None:
        raise ConfigError(file, f"{name}.agent", "an agent user needs the agent id they work as")
    if role is Role.SUPERVISOR and supervisor is None:
        raise ConfigError(file, f"{name}.supervisor", "a supervisor user needs their supervisor id")
    tokens = settings.get("tokens") or {}
    if not isinstance(tokens, dict) or not all(str(d).startswith("sha256:") for d in tokens.values()):
        raise ConfigError(file, f"{name}.tokens", "label: sha256:<hex> (written by 'ccswitch user token')")
    return User(name, role, str(settings.get("password") or ""), None if agent is None else str(agent),
                None if supervisor is None else str(supervisor),
                MappingProxyType({str(label): str(digest) for label, digest in tokens.items()}))


def save_users(path: Path, users: dict[str, User]) -> None:
    """Write ``users`` (hashes only) readable by its owner alone, replacing the file in one step."""
    document = {user.name: {key: value for key, value in (
        ("role", user.role.value), ("agent", user.agent), ("supervisor", user.supervisor),
        ("password", user.password or None), ("tokens", dict(user.tokens) or None)) if value is not None}
        for user in users.values()}
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(SCHEMA_LINE + yaml.safe_dump(document, sort_keys=True))
    os.chmod(temporary, 0o600)
    temporary.replace(path)


def with_password(user: User, password: str) -> User:
    return replace(user, password=hash_password(password))


def with_token(user: User, label: str, token: str) -> User:
    return replace(user, tokens=MappingProxyType({**user.tokens, label: token_digest(token)}))
