"""``ccswitch bot``: the shipped bot over standard input, as text and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ccswitch.cli import main

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "ccswitch.yaml")
EVENING = ["--at", "2026-12-08 19:30"]  # a Tuesday, after closing (Europe/Moscow)


def run(*args: str, text: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["bot", "--config", CONFIG, *args], input=text)
    return result.exit_code, result.output


def test_each_line_is_a_message_answered_with_what_the_bot_understood() -> None:
    code, output = run(*EVENING, "--wait", "300", text="Во сколько вы работаете?\nсколько стоит роутер x1\n")

    assert code == 0
    assert output.splitlines()[1:] == [
        "  ~ hours: во сколько, работаете",
        "bot: Сейчас мы закрыты, откроемся завтра в 09:00. Часы работы: пн-пт 09:00-18:00.",
        "  ~ price: сколько стоит; items: router-x1",
        "bot: Роутер X1: 4 990 ₽.",
    ]


def test_a_handover_shows_the_agents_transcript_and_starts_a_new_conversation() -> None:
    _, output = run(*EVENING, text="оператор\n")
    lines = output.splitlines()

    assert lines[1:4] == ["  ~ handover: оператор",
                          "bot: Сейчас мы не работаем; сотрудник ответит, когда мы откроемся: завтра в 09:00. Часы "
                          "работы: пн-пт 09:00-18:00.",
                          "  ~ handed over to queue sales (asked); the agent sees:"]
    assert lines[5] == "    19:30:00 customer: оператор"
    assert lines[-2:] == ["  ~ a new conversation", lines[0]]


def test_json_gives_one_object_a_line() -> None:
    code, output = run("--at", "2026-12-08T10:00+03:00", "--wait", "90", "--json", text="how long is the wait?\n")
    greeting, answer = (json.loads(line) for line in output.splitlines())

    assert code == 0 and greeting["message"] is None and greeting["understood"] is None
    assert answer == {"message": "how long is the wait?",
                      "understood": {"intent": "wait", "keywords": ["how long", "wait"], "patterns": [], "items": []},
                      "replies": ["A person can answer in about 2 min."], "language": "en", "misses_in_row": 0,
                      "handover": None}


def test_intents_lists_the_words_of_each() -> None:
    code, output = run("--intents", text="")

    assert code == 0 and output.startswith("delivery (reply)\n  keywords: delivery, deliver, shipping, courier")
    assert "  pattern: \\bhow soon\\b.{0,30}\\b(?:get|arrive)\n" in output


def test_an_unknown_bot_or_time_is_refused() -> None:
    code, output = run("--bot", "shpo", text="")
    assert code == 2 and "no bot 'shpo' (known: shop)" in output

    code, output = run("--at", "tomorrow", text="")
    assert code == 2 and "bad time 'tomorrow'" in output


def test_without_wait_the_wait_is_estimated_from_the_queues_agents_and_handle_time() -> None:
    # sales: 4 agents, default_aht_s 180: the first in line waits 45 s, "about 1 min"
    _, output = run("--at", "2026-12-08 10:00", text="how long is the wait?\n")

    assert output.splitlines()[-1] == "bot: A person can answer in about 1 min."
