"""The say application: mod_say_en's sound files (pure) and the events a say fires over the wire."""

from __future__ import annotations

import pytest

from ccswitch.sim.people import CallerScript
from ccswitch.sim.say import Said, spoken_files
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import RawClient
from tests.sim.test_behaviour import outline, parked_call, sendmsg


@pytest.mark.parametrize(
    ("say_type", "method", "text", "files"),
    [
        ("NUMBER", "PRONOUNCED", "42", "digits/40 digits/2"),
        ("NUMBER", "PRONOUNCED", "115", "digits/1 digits/hundred digits/15"),
        (
            "NUMBER",
            "PRONOUNCED",
            "1,234,567",
            "digits/1 digits/million digits/2 digits/hundred digits/30 digits/4 "
            "digits/thousand digits/5 digits/hundred digits/60 digits/7",
        ),
        ("NUMBER", "PRONOUNCED", "0", "digits/0"),
        ("NUMBER", "PRONOUNCED", "1234567890", ""),  # more than 9 digits: "Parse Error!"
        ("NUMBER", "PRONOUNCED", "12a", ""),
        ("NUMBER", "ITERATED", "305", "digits/3 digits/0 digits/5"),
        ("ITEMS", "COUNTED", "21", "digits/20 digits/h-1"),
        ("PERSONS", "COUNTED", "20", "digits/h-20"),
        ("MESSAGES", "COUNTED", "1012", "digits/1 digits/thousand digits/12"),  # teens have no h- file
        ("NUMBER", "PRONOUNCED_YEAR", "1984", "digits/19 digits/80 digits/4"),
        ("NUMBER", "PRONOUNCED_YEAR", "2005", "digits/2 digits/thousand digits/5"),
        ("NUMBER", "N/A", "7", ""),  # en_say_general_count has no case for it
        ("CURRENCY", "PRONOUNCED", "12.505", "digits/12 currency/dollars currency/and digits/50 currency/cents"),
        ("CURRENCY", "PRONOUNCED", "-1", "currency/negative digits/1 currency/dollar"),
        ("TIME_MEASUREMENT", "PRONOUNCED", "125", "digits/0 time/hours digits/2 time/minutes digits/5 time/seconds"),
        ("TIME_MEASUREMENT", "PRONOUNCED", "1:00:01", "digits/1 time/hour digits/0 time/minutes digits/1 time/second"),
        ("TIME_MEASUREMENT", "PRONOUNCED", "3:30", "digits/0 time/hours digits/3 time/minutes digits/30 time/seconds"),
    ],
)
def test_spoken_files_follow_mod_say_en(say_type: str, method: str, text: str, files: str) -> None:
    assert spoken_files(say_type, method, text, now=0.0) == files.split()


def test_time_measurement_of_zero_says_the_epoch_like_en_say_time() -> None:
    assert spoken_files("TIME_MEASUREMENT", "PRONOUNCED", "0", now=3661.5) == [
        "digits/1", "time/hour", "digits/1", "time/minute", "digits/1", "time/second"]  # fmt: skip


def test_say_plays_one_file_string_and_completes_with_its_event_uuid(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch)
    client.command(f"api uuid_answer {uuid}")
    sendmsg(client, uuid, "say", "en number PRONOUNCED 42", "say-1")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="say")
    start = client.wait_event("CHANNEL_EXECUTE", Application="say")
    playback = client.wait_event("PLAYBACK_START", Unique_ID=uuid)
    assert outline(client, uuid)[-4:] == [
        "CHANNEL_EXECUTE(say)",
        "PLAYBACK_START",
        "PLAYBACK_STOP",
        "CHANNEL_EXECUTE_COMPLETE(say)",
    ]
    assert start.get("Application-UUID") == done.get("Application-UUID") == "say-1"
    assert done.get("Application-Data") == "en number PRONOUNCED 42"
    assert done.get("Application-Response") == "_none_"  # say_function sets no response
    assert playback.get("Playback-File-Path") == "file_string://digits/40.wav!digits/2.wav"
    assert done.get("variable_playback_ms") == "2000"  # two files of default_prompt_s each
    assert switch.said == [Said(uuid, "en", "en", "NUMBER", "PRONOUNCED", None, "42", ("digits/40", "digits/2"))]
    assert switch.apps_on(uuid)[-1].arg == "en number PRONOUNCED 42"


def test_say_with_language_and_gender(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch)
    sendmsg(client, uuid, "say", "en:en ITEMS counted FEMININE 3")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="say")
    assert switch.said == [Said(uuid, "en", "en", "ITEMS", "COUNTED", "FEMININE", "3", ("digits/h-3",))]


@pytest.mark.parametrize("arg", ["en NUMBER 5", "en", ""])
def test_say_with_too_few_arguments_completes_at_once(client: RawClient, switch: SimSwitch, arg: str) -> None:
    uuid = parked_call(client, switch)
    sendmsg(client, uuid, "say", arg)
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="say")
    assert outline(client, uuid)[-2:] == ["CHANNEL_EXECUTE(say)", "CHANNEL_EXECUTE_COMPLETE(say)"]
    assert switch.said == []


def test_more_than_five_words_keep_the_rest_as_the_text(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch)
    sendmsg(client, uuid, "say", "en NUMBER iterated x 1 2")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="say")
    assert switch.said[0].gender == "x" and switch.said[0].text == "1 2"
    assert switch.said[0].files == ()  # "1 2" is no number: nothing said, no playback
    assert "PLAYBACK_START" not in outline(client, uuid)


def test_unknown_say_type_says_nothing(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch)
    sendmsg(client, uuid, "say", "en TELEPHONE_EXTENSION pronounced 100")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="say")
    assert switch.said[0].files == () and "PLAYBACK_START" not in outline(client, uuid)


def test_a_terminator_stops_the_say(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch, CallerScript(patience_s=600, keys=((15.0, "*"),)))
    client.command(f"api uuid_answer {uuid}")
    sendmsg(client, uuid, "say", "en NUMBER iterated 123456789012345678901234567890")  # 30 files, 30 s
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="say")
    assert done.get("variable_playback_terminator_used") == "*"
    assert client.wait_event("PLAYBACK_STOP").get("Playback-Status") == "break"
    assert int(done.get("variable_playback_ms") or 0) < 1000 * len(switch.said[0].files)
