"""``chat:`` in ccswitch.yaml: the shipped topics and settings, the defaults, and the mistakes refused."""

from __future__ import annotations

from ccswitch.config import load_config
from ccswitch.config.model import ChatSettings, ChatTopic

from .conftest import Tree
from .test_config_errors import problems

MAIN = "config/ccswitch.yaml"
SUPPORT_TOPIC = '    - {name: support, label: "Support", queue: support}'


def test_the_shipped_chat_has_a_topic_with_the_shop_bot_and_one_straight_to_support(tree: Tree) -> None:
    chat = load_config(tree.config_file, env={}).chat
    assert chat.topics == (ChatTopic("sales", "Sales", bot="shop"), ChatTopic("support", "Support", queue="support"))
    assert chat.attachments == (tree.root / "config" / "data" / "chat-files").resolve()
    assert (chat.max_attachment_bytes, chat.offer_timeout_s, chat.requeue_unanswered_s, chat.service_level_s) == (
        10 * 2**20, 30, 120, 60)
    assert chat.site_origins == ("http://localhost:8080", "http://127.0.0.1:8080")


def without_chat(tree: Tree) -> None:
    text = (tree.root / MAIN).read_text()
    tree.write(MAIN, text[:text.index("\nchat:")] + "\n")


def test_without_a_chat_section_chat_is_off(tree: Tree) -> None:
    without_chat(tree)
    assert load_config(tree.config_file, env={}).chat == ChatSettings()


def test_a_topic_needs_exactly_one_of_a_bot_and_a_queue(tree: Tree) -> None:
    tree.edit(MAIN, SUPPORT_TOPIC, '    - {name: support, label: "Support", queue: support, bot: shop}\n'
                                   '    - {name: other, label: "Other"}')
    expected = ("expected exactly one of: bot (a chatbot of chatbots.yaml greets first), queue (straight to a "
                "person)")
    assert problems(tree) == [f"{MAIN}: chat.topics[1]: {expected}", f"{MAIN}: chat.topics[2]: {expected}"]


def test_a_topics_bot_and_queue_must_exist(tree: Tree) -> None:
    tree.edit(MAIN, SUPPORT_TOPIC, '    - {name: support, label: "Support", queue: suport}\n'
                                   '    - {name: other, label: "Other", bot: shopp}')
    assert problems(tree) == [
        f"{MAIN}: chat.topics[2].bot: unknown chatbot 'shopp' (known: shop)",
        f"{MAIN}: chat.topics[1].queue: unknown queue 'suport' (known: operator, sales, support)",
    ]


def test_topic_names_are_safe_and_unique_and_labels_short(tree: Tree) -> None:
    tree.edit(MAIN, SUPPORT_TOPIC, f'    - {{name: "sales team", label: "{"x" * 61}", queue: support}}\n'
                                   '    - {name: sales, label: "Again", queue: support}')
    assert problems(tree) == [
        f"{MAIN}: chat.topics[1].name: unsafe value 'sales team' (allowed: letters, digits, '_' and '-')",
        f"{MAIN}: chat.topics[1].label: 61 characters; a label may have at most 60",
        f"{MAIN}: chat.topics: name 'sales' used twice",
    ]


def test_a_site_origin_is_a_scheme_a_host_and_a_port_only(tree: Tree) -> None:
    tree.edit(MAIN, 'site_origins: ["http://localhost:8080", "http://127.0.0.1:8080"]',
              'site_origins: ["https://shop.example.com/", "ftp://shop.example.com", "*"]')
    assert problems(tree) == [
        f"{MAIN}: chat.site_origins[{index}]: expected an origin such as https://shop.example.com or "
        f"http://localhost:8080 (no path, no trailing '/'), got {given!r}"
        for index, given in enumerate(("https://shop.example.com/", "ftp://shop.example.com", "*"))]


def test_limits_out_of_range_are_refused(tree: Tree) -> None:
    tree.edit(MAIN, "max_attachment_mb: 10", "max_attachment_mb: 500")
    tree.edit(MAIN, "offer_timeout_s: 30", "offer_timeout_s: 1")
    assert problems(tree) == [f"{MAIN}: chat.max_attachment_mb: 500 is out of range 1..100",
                              f"{MAIN}: chat.offer_timeout_s: 1 is out of range 5..600"]


def test_an_unknown_key_suggests_the_likely_one(tree: Tree) -> None:
    tree.edit(MAIN, "offer_timeout_s: 30", "offer_timout_s: 30")
    (problem,) = problems(tree)
    assert problem.startswith(f"{MAIN}: chat.offer_timout_s: unknown key, did you mean 'offer_timeout_s'?")
