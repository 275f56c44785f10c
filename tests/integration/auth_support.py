"""Users with each role for the authenticated API's tests, and a request helper that sends credentials."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from ccswitch.auth.users import Role, User, new_token, save_users, with_password, with_token

PASSWORD = "correct horse battery"
# name → (role, agent id, supervisor id); supervisor 2001 is granted sales and support (config/supervisors.yaml)
PEOPLE = {"alice": (Role.AGENT, "1001", None), "bob": (Role.AGENT, "1002", None),
          "sam": (Role.SUPERVISOR, None, "2001"), "root": (Role.ADMIN, None, None)}


def write_users(path: Path) -> dict[str, str]:
    """Write PEOPLE to ``path`` with PASSWORD and one token each; returns each person's token."""
    tokens = {name: new_token() for name in PEOPLE}
    users = {name: with_token(with_password(User(name, role, agent=agent, supervisor=supervisor), PASSWORD),
                              "tests", tokens[name])
             for name, (role, agent, supervisor) in PEOPLE.items()}
    save_users(path, users)
    return tokens


def request(url: str, method: str = "GET", body: object = None, headers: dict[str, str] | None = None
            ) -> tuple[int, dict[str, object], dict[str, str]]:
    """(status, JSON reply, reply headers); a POST sends ``{}`` when given no body."""
    data = json.dumps({} if body is None else body).encode() if method == "POST" or body is not None else None
    sent = {"Content-Type": "application/json", **(headers or {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, sent, method=method), timeout=5) as reply:
            return reply.status, json.load(reply), dict(reply.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc), dict(exc.headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
