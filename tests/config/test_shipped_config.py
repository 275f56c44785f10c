"""The configuration shipped in the repository loads, and exposes what the engine needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccswitch.config import Repeat, Say, check_config, load_config
from ccswitch.errors import UnknownNameError
from ccswitch.routing.steps import ToAnnouncement, ToCallback, ToHangup, ToIvr, ToQueue, ToVoicemail

from .conftest import REPO

CONFIG = REPO / "config" / "ccswitch.yaml"


def test_shipped_config_has_no_problems() -> None:
    assert check_config(CONFIG, env={}) == []


def test_shipped_config_loads_every_section() -> None:
    config = load_config(CONFIG, env={})

    assert [(n.name, n.host, n.port, n.password) for n in config.nodes] == [
        ("fs1", "127.0.0.1", 8021, "ClueCon")
    ]
    assert (config.store.backend, config.store.key_prefix) == ("memory", "ccswitch:")
    assert (config.http.host, config.http.port) == ("127.0.0.1", 8080)
    assert str(config.timezone) == "Europe/Moscow"
    assert config.service_level_s == 20
    assert config.music == "local_stream://moh"
    assert config.dialplan.name == "main"
    assert [rule.name for rule in config.dialplan.rules] == ["holidays", "business-hours", "out-of-hours"]
    assert config.dialplan.default == ToHangup("UNALLOCATED_NUMBER")
    assert sorted(config.queues) == ["operator", "sales", "support"]
    assert config.queues["support"].overflow == ToCallback("support", ToAnnouncement("queue/all_busy"))
    assert config.queues["operator"].overflow == ToVoicemail("queue/leave_message", 120)
    assert config.queues["support"].max_wait_s == 120
    assert config.queues["sales"].service_level_s == 20
    assert sorted(config.agents) == [f"10{n:02}" for n in range(10)]
    assert config.agents["1000"].contact == "user/1000"
    assert config.agents["1000"].login == "available"


def test_main_menu_offers_sales_support_info_operator_and_repeat() -> None:
    menu = load_config(CONFIG, env={}).menus["main"]

    assert dict(menu.options) == {
        "1": ToQueue("sales"),
        "2": ToQueue("support"),
        "3": Say("info/opening_hours"),
        "0": ToQueue("operator", 5),
        "9": Repeat(),
    }
    assert menu.on_failure == ToQueue("operator")


def test_members_lists_agents_of_a_queue_in_file_order() -> None:
    config = load_config(CONFIG, env={})

    assert config.members("operator") == ("1007", "1008", "1009")
    with pytest.raises(UnknownNameError):
        config.members("nope")


def test_prompt_path_defaults_to_the_local_sounds_directory() -> None:
    config = load_config(CONFIG, env={})

    assert config.prompt_path("ivr/main_menu") == f"{REPO / 'sounds'}/ivr/main_menu.wav"
    assert Path(config.prompt_path("ivr/main_menu")).is_file()
    with pytest.raises(UnknownNameError):
        config.prompt_path("ivr/nope")


def test_every_shipped_prompt_is_8khz_mono_16bit_wav() -> None:
    import wave

    for name in load_config(CONFIG, env={}).prompts:
        with wave.open(str(REPO / "sounds" / f"{name}.wav")) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2), name


def test_demo_dialplan_is_selected_by_environment() -> None:
    config = load_config(CONFIG, env={"CCSWITCH_DIALPLAN": "demo"})

    assert config.dialplan.name == "demo"
    assert config.dialplan.rules[0].then == ToIvr("main")
    assert config.dialplan.rules[0].days == frozenset() and config.dialplan.rules[0].hours == ()
