"""``documents:`` in ccswitch.yaml: off by default, every setting read, and the mistakes refused before anything
reaches a ``chat`` command."""

from __future__ import annotations

from ccswitch.config import load_config
from ccswitch.config.model import DocumentSettings, TrunkMessages

from .conftest import Tree
from .test_config_errors import problems

MAIN = "config/ccswitch.yaml"


def with_documents(tree: Tree, section: str) -> None:
    tree.write(MAIN, (tree.root / MAIN).read_text() + section)


def test_the_shipped_configuration_sends_no_documents(tree: Tree) -> None:
    settings = load_config(tree.config_file, env={}).documents
    assert settings == DocumentSettings() and not settings.enabled


def test_every_setting_is_read(tree: Tree) -> None:
    tree.write("config/docs/price.pdf", "%PDF-1.4\n")
    with_documents(tree, """
documents:
  from: 88005550556@pbx.example.com
  public_url: https://cc.example.com/
  folder: uploads
  link_ttl_h: 2
  max_mb: 5
  phones: internal
  trunk: {profile: external, host: "sms.carrier.example:5060"}
  library: {price-list: docs/price.pdf}
""")
    settings = load_config(tree.config_file, env={}).documents
    config_dir = (tree.root / "config").resolve()
    assert settings == DocumentSettings(
        "88005550556@pbx.example.com", "https://cc.example.com", config_dir / "uploads", 7200, 5 * 2**20, "internal",
        TrunkMessages("external", "sms.carrier.example:5060"), {"price-list": config_dir / "docs" / "price.pdf"})
    assert settings.enabled


def test_what_cannot_go_into_the_chat_command_is_refused(tree: Tree) -> None:
    with_documents(tree, """
documents:
  from: "8800|x@pbx"
  public_url: cc.example.com
  folder: uploads
  phones: "internal/x"
  trunk: {profile: external, host: "sms carrier"}
  library: {price-list: missing.pdf}
  sender: x
""")
    assert problems(tree) == [
        f"{MAIN}: documents.sender: unknown key (known: folder, from, library, link_ttl_h, max_mb, phones, "
        "public_url, trunk)",
        f"{MAIN}: documents.from: expected <number>@<host>, the From of the message, got '8800|x@pbx'",
        f"{MAIN}: documents.public_url: expected the address callers reach this controller at, such as "
        "https://cc.example.com, got 'cc.example.com'",
        f"{MAIN}: documents.phones: expected a sofia profile name such as internal, got 'internal/x'",
        f"{MAIN}: documents.trunk.host: expected the carrier's SIP host[:port], got 'sms carrier'",
        f"{MAIN}: documents.library.price-list: no such file 'missing.pdf'",
    ]
