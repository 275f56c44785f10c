"""Spoken numbers: the files picked for each language (mod_say_en's and mod_say_ru's rules, hand-checked), and that
every file the announcements and the music class can play is shipped under sounds/, 8 kHz mono."""

from __future__ import annotations

import shutil
import wave
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from ccswitch.config import check_config
from ccswitch.media.numbers import LANGUAGES, MAX_NUMBER, Noun, spoken, vocabulary

ROOT = Path(__file__).resolve().parents[2]
SOUNDS = ROOT / "sounds"


def words(language: str, number: int, noun: Noun | None = None) -> list[str]:
    return [name.removeprefix(f"numbers/{language}/") for name in spoken(language, number, noun)]


@pytest.mark.parametrize(("number", "expected"), [
    (0, ["digits/0"]),
    (7, ["digits/7"]),
    (13, ["digits/13"]),
    (40, ["digits/40"]),
    (42, ["digits/40", "digits/2"]),
    (100, ["digits/1", "digits/hundred"]),
    (115, ["digits/1", "digits/hundred", "digits/15"]),
    (2_001, ["digits/2", "digits/thousand", "digits/1"]),
    (999_999, ["digits/9", "digits/hundred", "digits/90", "digits/9", "digits/thousand",
               "digits/9", "digits/hundred", "digits/90", "digits/9"]),
])
def test_english_counts_as_mod_say_en_pronounces(number: int, expected: list[str]) -> None:
    assert words("en", number) == expected


def test_english_minutes_agree_with_the_number() -> None:
    assert words("en", 1, Noun.MINUTE) == ["digits/1", "time/minute"]
    assert words("en", 2, Noun.MINUTE) == ["digits/2", "time/minutes"]
    assert words("en", 21, Noun.MINUTE) == ["digits/20", "digits/1", "time/minutes"]


@pytest.mark.parametrize(("number", "expected"), [
    (0, ["digits/0"]),
    (1, ["digits/1"]),  # "вы номер один": a bare count is masculine
    (2, ["digits/2"]),
    (12, ["digits/12"]),
    (21, ["digits/20", "digits/1"]),
    (300, ["digits/300"]),
    (342, ["digits/300", "digits/40", "digits/2"]),
    (1_000, ["digits/1f", "digits/thousand"]),  # одна тысяча
    (2_000, ["digits/2f", "digits/thousands-i"]),  # две тысячи
    (5_000, ["digits/5", "digits/thousands"]),
    (11_000, ["digits/11", "digits/thousands"]),
    (21_001, ["digits/20", "digits/1f", "digits/thousand", "digits/1"]),
])
def test_russian_counts_as_mod_say_ru_pronounces(number: int, expected: list[str]) -> None:
    assert words("ru", number) == expected


@pytest.mark.parametrize(("number", "expected"), [
    (1, ["digits/1f", "time/minute"]),  # одна минута
    (2, ["digits/2f", "time/minutes-i"]),  # две минуты
    (4, ["digits/4", "time/minutes-i"]),
    (5, ["digits/5", "time/minutes"]),
    (11, ["digits/11", "time/minutes"]),
    (14, ["digits/14", "time/minutes"]),
    (21, ["digits/20", "digits/1f", "time/minute"]),
    (22, ["digits/20", "digits/2f", "time/minutes-i"]),
    (111, ["digits/100", "digits/11", "time/minutes"]),  # not "минута": mod_say_ru's 11-only check is wrong here
])
def test_russian_minutes_are_feminine_and_take_the_form_the_number_asks_for(number: int, expected: list[str]) -> None:
    assert words("ru", number, Noun.MINUTE) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_number_says_only_files_of_its_vocabulary_and_uses_all_of_them(language: str) -> None:
    numbers = [*range(2_000), *range(2_000, MAX_NUMBER + 1, 997), MAX_NUMBER]
    used = {name for n in numbers for noun in (None, Noun.MINUTE) for name in spoken(language, n, noun)}
    assert used == vocabulary(language)


def test_numbers_out_of_range_or_language_are_refused() -> None:
    with pytest.raises(ValueError, match=r"0\.\.999999"):
        spoken("en", MAX_NUMBER + 1)
    with pytest.raises(ValueError, match="known: en, ru"):
        spoken("de", 3)


def assert_telephone_wav(path: Path) -> None:
    with wave.open(str(path)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2), path
        assert audio.getnframes() > 0, path


@pytest.mark.parametrize("language", LANGUAGES)
def test_sounds_hold_exactly_the_number_files_of_each_language(language: str) -> None:
    shipped = {path.relative_to(SOUNDS).with_suffix("").as_posix()
               for path in (SOUNDS / "numbers" / language).rglob("*") if path.is_file()}
    assert shipped == vocabulary(language)
    for name in shipped:
        assert_telephone_wav(SOUNDS / f"{name}.wav")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shipped_config_loads_with_each_language_and_a_missing_number_file_is_reported(
    language: str, tmp_path: Path,
) -> None:
    for folder in ("config", "dialplans", "ivr", "sounds", "recordings"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    main = tmp_path / "config" / "ccswitch.yaml"
    main.write_text(main.read_text().replace("media:\n", f"media:\n  say_language: {language}\n"))
    assert check_config(main, env={}) == []

    (tmp_path / "sounds" / "numbers" / language / "time" / "minute.wav").unlink()
    (error,) = check_config(main, env={})
    assert str(error).startswith("config/ccswitch.yaml: media.say_language: ")
    assert f"numbers/{language}/time/minute" in str(error)


def test_the_music_class_snippet_is_valid_xml_naming_the_shipped_music_folder() -> None:
    snippet = ElementTree.parse(ROOT / "config" / "freeswitch" / "local_stream.conf.xml").getroot()
    assert snippet.tag == "configuration" and snippet.get("name") == "local_stream.conf"
    classes = {directory.get("name"): directory for directory in snippet.iter("directory")}
    # local_stream://moh tries moh/<rate> first: any such class would shadow ours
    assert "moh" in classes and not [name for name in classes if (name or "").startswith("moh/")]
    for directory in classes.values():
        assert directory.get("path") == "/opt/ccswitch/sounds/music"
        params = {param.get("name"): param.get("value") for param in directory.iter("param")}
        assert (params["rate"], params["channels"]) == ("8000", "1")
    music = sorted((SOUNDS / "music").glob("*.wav"))
    assert music
    for path in music:
        assert_telephone_wav(path)
