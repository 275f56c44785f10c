"""``ccswitch check`` on the users file: every mistake a hand edit can make, as errors and warnings in the check's
``file: key.path: problem`` style and in its JSON, the schema agreeing where it can say so."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ccswitch.cli import main

from .conftest import Tree
from .schema_support import describe, schema_errors

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
DIGEST = "sha256:" + "0" * 64
USERS = "config/users.yaml"


def _check(tree: Tree, users: str, *flags: str) -> tuple[int, str]:
    tree.write(USERS, users)
    (tree.root / "recordings").mkdir(exist_ok=True)  # the shipped configuration records there
    result = CliRunner().invoke(main, ["check", "--config", str(tree.config_file), *flags],
                                env={"CCSWITCH_ESL_PASSWORD": "not-the-default-one"})  # its warning is not ours
    return result.exit_code, result.output


def test_a_good_users_file_is_clean(tree: Tree) -> None:
    code, output = _check(tree, f'alice: {{role: agent, agent: "1001", password: "{HASH}"}}\n'
                                f'sam: {{role: supervisor, supervisor: "2001", tokens: {{board: "{DIGEST}"}}}}\n'
                                f'root: {{role: admin, password: "{HASH}"}}\n')
    assert code == 0, output
    assert describe(schema_errors(tree.root / USERS, "users")) == []


@pytest.mark.parametrize(("users", "expected"), [
    ("alice: {role: agent, agent: 1001\n", "config/users.yaml: YAML syntax error at line 2"),
    (f'alice: {{role: agent, agent: "1001", password: "{HASH}"}}\nalice: {{role: admin, password: "{HASH}"}}\n',
     "duplicate key 'alice'"),
    ("- alice\n", "config/users.yaml: expected a mapping at the top level, got a list"),
    (f'alice: {{role: boss, password: "{HASH}"}}\n', "config/users.yaml: alice.role: 'boss' is not one of: agent, "
                                                      "supervisor, admin"),
    (f'alice: {{password: "{HASH}"}}\n', "config/users.yaml: alice.role: missing (one of: agent"),
    (f'alice: {{role: agent, agent: "9999", password: "{HASH}"}}\n',
     "config/users.yaml: alice.agent: unknown agent '9999' (not in agents.yaml)"),
    (f'alice: {{role: agent, password: "{HASH}"}}\n', "config/users.yaml: alice.agent: missing: an agent user"),
    (f'sam: {{role: supervisor, supervisor: "2999", password: "{HASH}"}}\n',
     "config/users.yaml: sam.supervisor: unknown supervisor '2999' (known: 2001)"),
    (f'sam: {{role: supervisor, password: "{HASH}"}}\n', "config/users.yaml: sam.supervisor: missing"),
    (f'root: {{role: admin, pasword: "{HASH}"}}\n', "root.pasword: unknown key, did you mean 'password'?"),
    ('root: {role: admin, password: "hunter2-secret"}\n', "config/users.yaml: root.password: not an argon2 hash"),
    ('root: {role: admin, tokens: {ci: "ccs_secret-token"}}\n', "config/users.yaml: root.tokens: label: sha256:"),
])
def test_each_mistake_is_an_error_naming_the_file_and_key(tree: Tree, users: str, expected: str) -> None:
    code, output = _check(tree, users)
    assert code == 1
    assert expected in output
    assert "hunter2" not in output and "ccs_secret" not in output  # a secret typed into the file is not shown


@pytest.mark.parametrize(("users", "schema_says"), [
    (f'alice: {{role: boss, password: "{HASH}"}}\n', "alice.role"),
    (f'alice: {{role: agent, password: "{HASH}"}}\n', "alice"),
    ('root: {role: admin, password: "hunter2-secret"}\n', "root.password"),
    ('root: {role: admin, tokens: {ci: "ccs_secret-token"}}\n', "root.tokens.ci"),
])
def test_the_schema_refuses_what_it_can_express(tree: Tree, users: str, schema_says: str) -> None:
    tree.write(USERS, users)
    assert any(problem.startswith(schema_says) for problem in describe(schema_errors(tree.root / USERS, "users")))


def test_a_user_who_cannot_log_in_and_a_shared_agent_are_warnings_also_in_json(tree: Tree) -> None:
    code, output = _check(tree, f'alice: {{role: agent, agent: "1001", password: "{HASH}"}}\n'
                                f'alice2: {{role: agent, agent: "1001", password: "{HASH}"}}\n'
                                'root: {role: admin}\n', "--json")
    assert code == 3
    document = json.loads(output)
    assert document["status"] == "warnings" and document["errors"] == []
    assert [(w["warning_id"], w["file"], w["key_path"]) for w in document["warnings"]] == [
        ("user_cannot_log_in", "config/users.yaml", "root"), ("agent_shared", "config/users.yaml", "alice2")]
    assert "agent 1001 is also user alice's" in document["warnings"][1]["problem"]


def test_json_lists_the_users_files_errors(tree: Tree) -> None:
    code, output = _check(tree, f'alice: {{role: agent, agent: "9999", password: "{HASH}"}}\n', "--json")
    assert code == 1
    assert json.loads(output)["errors"] == [{"file": "config/users.yaml", "key_path": "alice.agent",
                                             "problem": "unknown agent '9999' (not in agents.yaml)"}]


def test_with_single_sign_on_a_user_needs_no_password(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", "http:\n  host: 127.0.0.1",
              "http:\n  host: 127.0.0.1\n  sso: {issuer: https://login.example.com, client_id: ccswitch, "
              "redirect_uri: https://cc.example.com/api/sso/callback}")
    code, output = _check(tree, 'root: {role: admin}\n')
    assert code == 0, output
