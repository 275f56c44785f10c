"""``http.sso`` (single sign-on with OpenID Connect): read into the configuration, mistakes refused by the loader
and the schema alike."""

from __future__ import annotations

import pytest

from ccswitch.config import check_config, load_config
from ccswitch.config.model import SsoConfig

from .conftest import Tree
from .schema_support import describe, schema_errors

HTTP = "http:\n  host: 127.0.0.1"
GOOD = ("issuer: https://login.example.com/realms/cc", "client_id: ccswitch",
        "redirect_uri: https://cc.example.com/api/sso/callback")


def _with_sso(tree: Tree, *lines: str) -> None:
    tree.edit("config/ccswitch.yaml", HTTP, HTTP + "\n  sso:\n" + "".join(f"    {line}\n" for line in lines))


def test_read_with_the_user_claim_by_default(tree: Tree) -> None:
    _with_sso(tree, *GOOD)
    assert load_config(tree.config_file, env={}).http.sso == SsoConfig(
        "https://login.example.com/realms/cc", "ccswitch", "https://cc.example.com/api/sso/callback",
        "preferred_username")
    assert describe(schema_errors(tree.config_file, "ccswitch")) == []


def test_read_with_the_label_of_the_pages_button(tree: Tree) -> None:
    _with_sso(tree, *GOOD, "label: Keycloak")
    sso = load_config(tree.config_file, env={}).http.sso
    assert sso is not None and sso.label == "Keycloak"
    assert describe(schema_errors(tree.config_file, "ccswitch")) == []


def test_without_it_there_is_none(tree: Tree) -> None:
    assert load_config(tree.config_file, env={}).http.sso is None


@pytest.mark.parametrize(("lines", "problem"), [
    (("issuer: http://login.example.com", *GOOD[1:]),
     "http.sso.issuer: expected an https:// URL (http:// only on 127.0.0.1 or localhost)"),
    ((GOOD[0], GOOD[1], "redirect_uri: https://cc.example.com/desk"),
     "http.sso.redirect_uri: expected this controller's <base URL>/api/sso/callback"),
    ((GOOD[0], GOOD[2]), "http.sso.client_id: missing"),
    ((*GOOD, f"label: {'K' * 65}"), "http.sso.label: expected a name of at most 64 printable characters"),
    ((*GOOD, 'label: "Key\\tcloak"'), "http.sso.label: expected a name of at most 64 printable characters"),
])
def test_mistakes_are_refused_by_the_loader_and_the_schema(tree: Tree, lines: tuple[str, ...], problem: str) -> None:
    _with_sso(tree, *lines)
    assert f"config/ccswitch.yaml: {problem}" in [str(error) for error in check_config(tree.config_file, env={})]
    assert any(found.startswith("http.sso") for found in describe(schema_errors(tree.config_file, "ccswitch")))
