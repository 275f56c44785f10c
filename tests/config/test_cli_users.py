"""``ccswitch user``: the users file gets hashes, never a password; ``ccswitch run`` refuses an API beyond loopback
without users."""

from __future__ import annotations

from click.testing import CliRunner

from ccswitch.auth.users import load_users, password_matches, token_digest
from ccswitch.cli import main

from .conftest import Tree
from .schema_support import describe, schema_errors


def _user(tree: Tree, *args: str, password: str | None = None) -> str:
    given = None if password is None else f"{password}\n{password}\n"
    result = CliRunner().invoke(main, ["user", *args, "--config", str(tree.config_file)], input=given)
    assert result.exit_code == 0, result.output
    return result.output


def test_add_passwd_token_list_remove(tree: Tree) -> None:
    users_file = tree.root / "config" / "users.yaml"
    _user(tree, "add", "alice", "--role", "agent", "--agent", "1001", password="first password")
    text = users_file.read_text()
    assert "first password" not in text and "$argon2id$" in text
    assert password_matches(load_users(users_file)["alice"], "first password")
    _user(tree, "passwd", "alice", password="second password")
    alice = load_users(users_file)["alice"]
    assert password_matches(alice, "second password") and not password_matches(alice, "first password")
    token = _user(tree, "token", "alice", "laptop").strip()
    assert token.startswith("ccs_") and token not in users_file.read_text()
    assert dict(load_users(users_file)["alice"].tokens) == {"laptop": token_digest(token)}
    assert _user(tree, "list").split() == ["alice", "agent", "1001", "laptop"]
    assert describe(schema_errors(users_file, "users")) == []  # what the CLI writes, the schema accepts
    assert users_file.stat().st_mode & 0o077 == 0
    _user(tree, "remove", "alice")
    assert load_users(users_file) == {}


def test_an_agent_user_needs_their_agent_id_and_a_short_password_is_refused(tree: Tree) -> None:
    runner = CliRunner()
    config = ["--config", str(tree.config_file)]
    missing = runner.invoke(main, ["user", "add", "bob", "--role", "agent", *config], input="long enough\n" * 2)
    assert missing.exit_code == 2 and "--agent" in missing.output
    short = runner.invoke(main, ["user", "add", "root", "--role", "admin", *config], input="short\nshort\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.output


def test_run_refuses_an_api_beyond_loopback_without_users(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", "http:\n  host: 127.0.0.1", "http:\n  host: 0.0.0.0")
    result = CliRunner().invoke(main, ["run", "--config", str(tree.config_file)])
    assert result.exit_code == 1
    assert "http.host" in result.output and "ccswitch user add" in result.output


def test_run_serves_an_open_api_beyond_loopback_only_when_told_the_port_is_private(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", "http:\n  host: 127.0.0.1", "http:\n  host: 0.0.0.0")
    result = CliRunner().invoke(main, ["run", "--config", str(tree.config_file)], env={"CCSWITCH_HTTP_OPEN": "1"})
    assert result.exit_code == 1
    assert "recordings directory" in result.output  # the next start-up check: the API's was passed


def test_run_refuses_a_malformed_users_file_naming_it(tree: Tree) -> None:
    tree.write("config/users.yaml", "alice: {role: agent}\n")
    result = CliRunner().invoke(main, ["run", "--config", str(tree.config_file)])
    assert result.exit_code == 1 and "users.yaml: alice.agent: an agent user needs the agent id" in result.output
