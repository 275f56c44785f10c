"""``chat:`` in ccswitch.yaml: the web chat's topics and how agents hold text contacts (``ChatSettings``).

A topic of the pre-chat form names exactly one of a chatbot (chatbots.yaml; the bot hands over to its own queue)
or a queue (the customer is queued at once). Site origins are the pages allowed to embed the widget (CORS): a
scheme, a host and an optional port, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from ccswitch.config import _fields as f
from ccswitch.config._common import _unique
from ccswitch.config._reader import Node
from ccswitch.config.model import ChatBot, ChatSettings, ChatTopic

MAX_LABEL_CHARS = 60
MAX_ATTACHMENT_MB = 100
ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")
_DEFAULT = ChatSettings()


def _chat(section: Node, config_dir: Path, chatbots: Mapping[str, ChatBot], refs: list[f.Ref]) -> ChatSettings:
    section.known(("attachments", "max_attachment_mb", "offer_timeout_s", "requeue_unanswered_s", "service_level_s",
                   "site_origins", "topics"))
    folder = section.optional_text("attachments")
    return ChatSettings(
        topics=_topics(section, chatbots, refs),
        attachments=(config_dir / folder).resolve() if folder else None,
        max_attachment_bytes=section.integer("max_attachment_mb", _DEFAULT.max_attachment_bytes // 2**20, 1,
                                             MAX_ATTACHMENT_MB) * 2**20,
        offer_timeout_s=section.integer("offer_timeout_s", int(_DEFAULT.offer_timeout_s), 5, 600),
        requeue_unanswered_s=section.integer("requeue_unanswered_s", int(_DEFAULT.requeue_unanswered_s), 10, 3600),
        service_level_s=section.integer("service_level_s", _DEFAULT.service_level_s, 1, 3600),
        site_origins=_origins(section),
    )


def _topics(section: Node, chatbots: Mapping[str, ChatBot], refs: list[f.Ref]) -> tuple[ChatTopic, ...]:
    raw = section.raw("topics")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        section.error("topics", "expected a list of {name, label, bot or queue}")
        return ()
    topics = []
    listed = Node(section.issues, section.file, section.at("topics"), {})
    for index, value in enumerate(raw):
        node = listed.child(index, value)
        if node is not None:
            topics.append(_topic(node, chatbots, refs))
    _unique(section, "topics", [topic.name for topic in topics])
    return tuple(topics)


def _topic(node: Node, chatbots: Mapping[str, ChatBot], refs: list[f.Ref]) -> ChatTopic:
    node.known(("name", "label", "bot", "queue"))
    name = node.text("name", token=f.NAME)
    label = node.text("label", name or "-")
    if len(label) > MAX_LABEL_CHARS:
        node.error("label", f"{len(label)} characters; a label may have at most {MAX_LABEL_CHARS}")
    bot, queue = node.optional_text("bot", token=f.NAME), node.optional_text("queue", token=f.NAME)
    if (bot is None) == (queue is None):
        node.error(None, "expected exactly one of: bot (a chatbot of chatbots.yaml greets first), queue (straight to "
                         "a person)")
    elif bot is not None and bot not in chatbots:
        node.error("bot", f"unknown chatbot {bot!r} (known: {', '.join(sorted(chatbots)) or 'none'})")
    elif queue is not None:
        refs.append(f.Ref("queue", queue, node.file, node.at("queue")))
    return ChatTopic(name, label, bot, queue)


def _origins(section: Node) -> tuple[str, ...]:
    origins = []
    for index, value in enumerate(section.items("site_origins")):
        if not isinstance(value, str) or not ORIGIN.fullmatch(value):
            section.error(f"site_origins[{index}]", f"expected an origin such as https://shop.example.com or "
                                                    f"http://localhost:8080 (no path, no trailing '/'), got {value!r}")
        else:
            origins.append(value.lower())
    return tuple(origins)
