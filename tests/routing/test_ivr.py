"""IVR state machine: every path through a menu, fed results the way the engine would."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pytest

from ccswitch.config import IvrChoice, IvrMenu, Repeat, Say, load_config
from ccswitch.effects import CollectDigits, Play
from ccswitch.errors import InvalidTransition, UnknownNameError
from ccswitch.routing.ivr import IvrOutcome, Waiting, enter, on_digits, on_played
from ccswitch.routing.steps import ToAnnouncement, ToIvr, ToQueue, ToTransfer

CALL = "a1b2c3d4-0000-4000-8000-000000000001"


def menu(name: str, options: dict[str, IvrChoice], timeout_prompt: str | None = "ivr/no_input") -> IvrMenu:
    return IvrMenu(
        name=name,
        prompt=f"ivr/{name}",
        invalid_prompt="ivr/invalid",
        timeout_prompt=timeout_prompt,
        timeout_s=5,
        max_attempts=3,
        digits=1,
        options=MappingProxyType(options),
        on_failure=ToAnnouncement("announce/goodbye"),
    )


@dataclass(frozen=True)
class Book:
    menus: Mapping[str, IvrMenu]

    def prompt_path(self, name: str) -> str:
        return f"/snd/{name}.wav"


BOOK = Book(
    {
        "main": menu(
            "main",
            {
                "1": ToQueue("sales"),
                "0": ToTransfer("1000"),
                "3": Say("info/opening_hours"),
                "4": ToIvr("billing"),
                "9": Repeat(),
            },
        ),
        "billing": menu("billing", {"1": ToQueue("billing", 3), "#": ToIvr("main")}, timeout_prompt=None),
    }
)


def collect(tag: str, prompt: str = "ivr/main", terminators: str = "#") -> CollectDigits:
    return CollectDigits(
        CALL, f"/snd/{prompt}.wav", tag, max_digits=1, timeout_ms=5000, terminators=terminators
    )


def pending(outcome: IvrOutcome) -> str:
    assert outcome.state.pending is not None
    return outcome.state.pending


def test_enter_plays_the_menu_and_collects_one_try() -> None:
    outcome = enter(BOOK, "main", CALL)

    assert outcome.effects == (collect("ivr-1"),)
    assert (outcome.state.menu, outcome.state.attempts, outcome.state.waiting) == ("main", 0, Waiting.DIGITS)
    assert outcome.step is None


def test_enter_continues_the_tag_sequence_of_an_earlier_ivr_visit() -> None:
    assert enter(BOOK, "main", CALL, seq=7).effects == (collect("ivr-8"),)


def test_unknown_menu_is_refused() -> None:
    with pytest.raises(UnknownNameError):
        enter(BOOK, "nope", CALL)


@pytest.mark.parametrize(("digit", "step"), [("1", ToQueue("sales")), ("0", ToTransfer("1000"))])
def test_valid_option_hands_its_step_to_the_engine(digit: str, step: object) -> None:
    start = enter(BOOK, "main", CALL)

    outcome = on_digits(BOOK, start.state, pending(start), digit)

    assert (outcome.step, outcome.effects) == (step, ())
    assert (outcome.state.waiting, outcome.state.pending) == (Waiting.NOTHING, None)


# The last one is a full-width digit one: Unicode digits are not DTMF.
@pytest.mark.parametrize("nonsense", ["7", "12", "12ab\n", "${x}", "1\n", " 1", "*", "\uff11"])
def test_invalid_input_apologises_then_replays_the_menu(nonsense: str) -> None:
    start = enter(BOOK, "main", CALL)

    outcome = on_digits(BOOK, start.state, pending(start), nonsense)

    assert outcome.effects == (Play(CALL, "/snd/ivr/invalid.wav", "ivr-2"), collect("ivr-3"))
    assert (outcome.state.attempts, outcome.state.pending, outcome.step) == (1, "ivr-3", None)


def test_no_input_plays_the_timeout_prompt() -> None:
    start = enter(BOOK, "main", CALL)

    outcome = on_digits(BOOK, start.state, pending(start), "")

    assert outcome.effects == (Play(CALL, "/snd/ivr/no_input.wav", "ivr-2"), collect("ivr-3"))
    assert outcome.state.attempts == 1


def test_no_input_without_a_timeout_prompt_just_replays() -> None:
    start = enter(BOOK, "billing", CALL)

    outcome = on_digits(BOOK, start.state, pending(start), "")

    assert outcome.effects == (collect("ivr-2", "ivr/billing", terminators="*"),)


def test_failed_tries_of_any_kind_end_in_the_failure_step() -> None:
    outcome = enter(BOOK, "main", CALL)
    outcome = on_digits(BOOK, outcome.state, pending(outcome), "")
    outcome = on_digits(BOOK, outcome.state, pending(outcome), "5")
    assert outcome.state.attempts == 2

    outcome = on_digits(BOOK, outcome.state, pending(outcome), "")

    assert (outcome.step, outcome.effects) == (ToAnnouncement("announce/goodbye"), ())
    assert outcome.state.pending is None


def test_repeat_replays_without_counting_a_try() -> None:
    outcome = enter(BOOK, "main", CALL)
    outcome = on_digits(BOOK, outcome.state, pending(outcome), "5")

    outcome = on_digits(BOOK, outcome.state, pending(outcome), "9")

    assert outcome.effects == (collect("ivr-4"),)
    assert outcome.state.attempts == 1


def test_say_plays_the_information_then_returns_to_the_menu() -> None:
    outcome = enter(BOOK, "main", CALL)
    outcome = on_digits(BOOK, outcome.state, pending(outcome), "5")

    outcome = on_digits(BOOK, outcome.state, pending(outcome), "3")
    assert outcome.effects == (Play(CALL, "/snd/info/opening_hours.wav", "ivr-4"),)
    assert (outcome.state.waiting, outcome.state.attempts) == (Waiting.PLAYBACK, 0)

    outcome = on_played(BOOK, outcome.state, "ivr-4")
    assert outcome.effects == (collect("ivr-5"),)
    assert (outcome.state.menu, outcome.state.waiting) == ("main", Waiting.DIGITS)


def test_submenu_is_entered_and_can_lead_back() -> None:
    outcome = enter(BOOK, "main", CALL)

    outcome = on_digits(BOOK, outcome.state, pending(outcome), "4")
    assert outcome.effects == (collect("ivr-2", "ivr/billing", terminators="*"),)
    assert outcome.state.menu == "billing"

    outcome = on_digits(BOOK, outcome.state, pending(outcome), "#")
    assert outcome.effects == (collect("ivr-3"),)
    assert outcome.state.menu == "main"


def test_stale_results_are_ignored() -> None:
    first = enter(BOOK, "main", CALL)
    retry = on_digits(BOOK, first.state, pending(first), "5")

    late_digits = on_digits(BOOK, retry.state, "ivr-1", "1")
    apology_done = on_played(BOOK, retry.state, "ivr-2")

    assert late_digits == IvrOutcome(retry.state)
    assert apology_done == IvrOutcome(retry.state)
    finished = on_digits(BOOK, retry.state, pending(retry), "1")
    assert on_digits(BOOK, finished.state, "ivr-3", "1") == IvrOutcome(finished.state)


def test_result_of_the_wrong_kind_for_the_pending_tag_is_a_bug() -> None:
    start = enter(BOOK, "main", CALL)

    with pytest.raises(InvalidTransition):
        on_played(BOOK, start.state, pending(start))


def test_shipped_menu_with_real_prompt_paths() -> None:
    config = load_config(Path(__file__).resolve().parents[2] / "config" / "ccswitch.yaml", env={})

    outcome = enter(config, "main", CALL)

    assert outcome.effects == (
        CollectDigits(CALL, config.prompt_path("ivr/main_menu"), "ivr-1", max_digits=1, timeout_ms=5000),
    )
    assert on_digits(config, outcome.state, "ivr-1", "2").step == ToQueue("support")
