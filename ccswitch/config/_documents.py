"""``documents:`` in ccswitch.yaml: sending a caller a picture or PDF during a call (``DocumentSettings``).

Every value that reaches the ``chat`` command (the From, the profiles, the carrier host) is checked here with the
validators the command uses, so a bad one is a configuration error rather than a refused send. Library files must
exist; their type is checked when they are sent, as an upload's is.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType

from ccswitch.config._reader import Node
from ccswitch.config.model import DocumentSettings, TrunkMessages
from ccswitch.errors import UnsafeValueError
from ccswitch.validators import NAME, chat_address

PUBLIC_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")
MAX_MB = 100
_DEFAULT = DocumentSettings()


def _documents(section: Node, config_dir: Path) -> DocumentSettings:
    section.known(("from", "public_url", "folder", "link_ttl_h", "max_mb", "phones", "trunk", "library"))
    if not section.data:
        return _DEFAULT
    sender = section.text("from")
    if sender:
        try:
            chat_address(sender)
        except UnsafeValueError:
            section.error("from", f"expected <number>@<host>, the From of the message, got {sender!r}")
    public_url = section.text("public_url").rstrip("/")
    if public_url and not PUBLIC_URL.fullmatch(public_url):
        section.error("public_url", f"expected the address callers reach this controller at, such as "
                                    f"https://cc.example.com, got {public_url!r}")
    folder = section.text("folder")
    phones = section.optional_text("phones")
    if phones is not None and not NAME.fullmatch(phones):
        section.error("phones", f"expected a sofia profile name such as internal, got {phones!r}")
    return DocumentSettings(
        sender=sender,
        public_url=public_url,
        folder=(config_dir / folder).resolve() if folder else None,
        link_ttl_s=section.integer("link_ttl_h", _DEFAULT.link_ttl_s // 3600, 1, 24 * 30) * 3600,
        max_bytes=section.integer("max_mb", _DEFAULT.max_bytes // 2**20, 1, MAX_MB) * 2**20,
        phones=phones,
        trunk=_trunk(section),
        library=MappingProxyType(_library(section, config_dir)),
    )


def _trunk(section: Node) -> TrunkMessages | None:
    if section.raw("trunk") is None:
        return None
    node = section.section("trunk")
    node.known(("profile", "host"))
    profile, host = node.text("profile"), node.text("host")
    if profile and not NAME.fullmatch(profile):
        node.error("profile", f"expected a sofia profile name such as external, got {profile!r}")
    if host and not _HOST.fullmatch(host):
        node.error("host", f"expected the carrier's SIP host[:port], got {host!r}")
    return TrunkMessages(profile, host)


def _library(section: Node, config_dir: Path) -> dict[str, Path]:
    node = section.section("library")
    library = {}
    for name, value in node.data.items():
        if not isinstance(name, str) or not NAME.fullmatch(name):
            node.error(name, "a document's name: letters, digits and _ . -")
        elif not isinstance(value, str) or not value:
            node.error(name, "expected the document's file")
        elif not (config_dir / value).is_file():
            node.error(name, f"no such file {value!r}")
        else:
            library[name] = (config_dir / value).resolve()
    return library
