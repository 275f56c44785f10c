"""A queue's after-call dispositions (queues.yaml ``dispositions``): names, each once; the schema agrees."""

from __future__ import annotations

import pytest

from ccswitch.config import check_config, load_config

from .conftest import Tree
from .schema_support import describe, schema_errors

SUPPORT = "  dispositions: [resolved, escalated, callback_needed]"


def test_the_shipped_queues_have_theirs_and_one_name_alone_is_a_list_of_one(tree: Tree) -> None:
    tree.edit("config/queues.yaml", SUPPORT, "  dispositions: resolved")
    config = load_config(tree.config_file, env={})
    assert config.queues["sales"].dispositions == ("sale", "quote_sent", "not_interested", "wrong_number")
    assert config.queues["support"].dispositions == ("resolved",)
    assert config.queues["operator"].dispositions == ()
    assert describe(schema_errors(tree.root / "config" / "queues.yaml", "queues")) == []


@pytest.mark.parametrize(("dispositions", "problem"), [
    ("[resolved, resolved]", "config/queues.yaml: support.dispositions: name 'resolved' used twice"),
    ('[resolved, "call back"]', "config/queues.yaml: support.dispositions: bad disposition name: unsafe value "
                                "'call back' (allowed: letters, digits, '_' and '-')"),
])
def test_a_name_twice_or_a_bad_name_is_refused_by_the_loader_and_the_schema(tree: Tree, dispositions: str,
                                                                          problem: str) -> None:
    tree.edit("config/queues.yaml", SUPPORT, f"  dispositions: {dispositions}")
    assert problem in [str(error) for error in check_config(tree.config_file, env={})]
    assert any(found.startswith("support.dispositions")
               for found in describe(schema_errors(tree.root / "config" / "queues.yaml", "queues")))

QUICK = '  quick_replies: ["Could you send a photo of the problem?", "Is there anything else I can help you with?"]'


def test_quick_replies_are_read_in_order_and_one_alone_is_a_list_of_one(tree: Tree) -> None:
    tree.edit("config/queues.yaml", QUICK, '  quick_replies: "One moment, please."')
    config = load_config(tree.config_file, env={})
    assert config.queues["sales"].quick_replies == ("Thank you for waiting! Let me check that for you.",
                                                    "Is there anything else I can help you with?")
    assert config.queues["support"].quick_replies == ("One moment, please.",)
    assert config.queues["operator"].quick_replies == ()


@pytest.mark.parametrize("reply", ["x" * 501, "", "two\\nlines"])
def test_an_empty_multi_line_or_too_long_quick_reply_is_refused_by_the_loader_and_the_schema(tree: Tree,
                                                                                          reply: str) -> None:
    tree.edit("config/queues.yaml", QUICK, f'  quick_replies: ["Fine.", "{reply}"]')
    assert any(str(error).startswith("config/queues.yaml: support.quick_replies: each reply is one line of 1-500")
               for error in check_config(tree.config_file, env={}))
    assert any(found.startswith("support.quick_replies")
               for found in describe(schema_errors(tree.root / "config" / "queues.yaml", "queues")))
