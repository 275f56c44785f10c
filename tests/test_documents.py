"""Documents sent to a caller: the ``chat`` command's fields cannot be broken out of, where the message goes for
each kind of caller (and the refusals), the text the caller reads, and what FreeSWITCH's answer means."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccswitch.config.model import DocumentSettings, TrunkMessages
from ccswitch.documents import CallerLine, DocumentRefused, channel_value, chat_outcome, chat_target, message_text
from ccswitch.errors import UnsafeValueError
from ccswitch.esl import commands

ON = DocumentSettings(sender="88005550556@127.0.0.1", public_url="https://cc.example.com", folder=Path("/tmp/x"),
                      phones="internal", trunk=TrunkMessages("external", "sms.carrier.example"))
PHONE = CallerLine("internal", "1000", "127.0.0.1", "1000")
TRUNK = CallerLine("external", "", "", "79161234567")


def test_the_chat_command_is_the_one_of_the_trace() -> None:
    assert (commands.chat("88005550556@127.0.0.1", "internal/1000@127.0.0.1", "hello back, Здравствуйте")
            == "chat sip|88005550556@127.0.0.1|internal/1000@127.0.0.1|hello back, Здравствуйте|text/plain")


@pytest.mark.parametrize("text", ["a|b", "a\nX-Header: y", "line\r\n\r\napi status", "it's", 'say "x"', "a\\|b",
                                  "${system(id)}", "", " padded", "x" * 401, "tab\there"])
def test_a_text_that_could_add_fields_lines_or_expansions_is_refused(text: str) -> None:
    with pytest.raises(UnsafeValueError):
        commands.chat("88005550556@127.0.0.1", "internal/1000@127.0.0.1", text)


@pytest.mark.parametrize("to", ["internal/1000@127.0.0.1|x", "1000", "internal/10 00@h", "internal/1000@h\n",
                                "a/b/1000@h", "internal/1000@h;x=y"])
def test_an_address_that_is_not_profile_user_at_host_is_refused(to: str) -> None:
    with pytest.raises(UnsafeValueError):
        commands.chat("88005550556@127.0.0.1", to, "hello")
    with pytest.raises(UnsafeValueError):
        commands.chat(to, "internal/1000@127.0.0.1", "hello")


def test_the_agents_words_are_made_safe_for_the_command_and_the_link_follows() -> None:
    text = message_text("Here's the\n|price| list: \"new\" \\ $5\x00", "https://cc.example.com/files/abc")
    assert text == "Here\u2019s the /price/ list: \u201dnew\u201d / 5 https://cc.example.com/files/abc"
    assert commands.chat(ON.sender, "internal/1000@127.0.0.1", text).count("|") == 4
    assert message_text("   ", "https://l") == "https://l"
    assert message_text("x" * 500, "https://l") == "x" * 200 + " https://l"


def test_given_a_registered_phone_when_phones_is_set_then_the_message_goes_to_its_profile() -> None:
    assert chat_target(ON, PHONE) == "internal/1000@127.0.0.1"


def test_given_a_trunk_caller_when_trunk_is_set_then_the_message_goes_to_the_carrier() -> None:
    assert chat_target(ON, TRUNK) == "external/79161234567@sms.carrier.example"
    assert chat_target(ON, CallerLine("external", "", "", "+79161234567")).startswith("external/+7916")


@pytest.mark.parametrize(("settings", "line", "why"), [
    (DocumentSettings(), PHONE, "off"),
    (DocumentSettings(ON.sender, ON.public_url, ON.folder, trunk=ON.trunk), PHONE, "documents.phones"),
    (DocumentSettings(ON.sender, ON.public_url, ON.folder, phones="internal"), TRUNK, "documents.trunk"),
    (ON, CallerLine("office", "1000", "127.0.0.1", "1000"), "profile office"),
    (ON, CallerLine("external", "", "", "anonymous"), "not a phone number"),
    (ON, CallerLine("external", "", "", ""), "unknown"),
    (ON, CallerLine("external", "", "", "7916+1"), "not a phone number"),
])
def test_when_no_way_reaches_the_caller_then_it_is_refused_saying_which(settings: DocumentSettings,
                                                                        line: CallerLine, why: str) -> None:
    with pytest.raises(DocumentRefused, match=why):
        chat_target(settings, line)


def test_freeswitchs_answers_are_outcomes() -> None:
    assert chat_outcome("Sent").sent
    refused = chat_outcome("Error! Message Not Sent")
    assert (refused.sent, refused.reason) == (False, "Error! Message Not Sent")
    assert chat_outcome("Invalid").reason == "Invalid"
    assert chat_outcome("-ERR chat Command not found!\n").reason == "-ERR chat Command not found!"
    assert chat_outcome("").reason == "no answer"


def test_an_unset_channel_variable_reads_as_empty() -> None:
    assert (channel_value("_undef_"), channel_value("-ERR No such channel!\n"), channel_value("internal")) == (
        "", "", "internal")
