"""What a caller hears, in the order they hear it (``SimSwitch.heard``), controller <-> simulator over TCP. On the
real switch applications sent back to back without ``event-lock`` run one inside the other (trace j): the caller
hears the last one, then the rest of the others backwards. Every sequence here must be heard whole and in order."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ccswitch.acd.agents import Ready
from ccswitch.engine import Phase
from ccswitch.media.numbers import Noun
from ccswitch.sim import AgentPhone, CallerScript

from .conftest import ContactCentre, wait_until
from .switch_log import SwitchLog
from .test_while_waiting import MUSIC, number, on_break, prompt, support_caller

Factory = Callable[..., ContactCentre]


def heard(centre: ContactCentre, uuid: str) -> list[tuple[str, bool]]:
    """Each stretch of a prompt the caller heard, and whether it was heard whole in one go."""
    return [(stretch.path, stretch.whole) for stretch in list(centre.switch.heard) if stretch.uuid == uuid]


def after_the_music(centre: ContactCentre, uuid: str) -> list[tuple[str, bool]]:
    """What the caller heard from the first stretch of waiting music on."""
    stretches = heard(centre, uuid)
    return stretches[stretches.index((MUSIC, False)):] if (MUSIC, False) in stretches else []


def test_a_waiting_caller_hears_each_part_of_the_announcement_whole_and_in_order_then_the_music(
    centre_factory: Factory,
) -> None:
    centre = centre_factory(phones=(AgentPhone("1004", answer_after_s=1, talk_s=600),))
    engine = centre.controller.engine
    on_break(centre, "1003", "1005", "1006", "1007")  # 1004 alone serves support
    talking = support_caller(centre)
    wait_until(lambda: talking in engine.calls and engine.calls[talking].agent == "1004", what="1004 to take a call")
    waiting = support_caller(centre, "79990000002")
    announcement = [
        (prompt(centre, "queue/position"), True),
        (number(centre, 1), True),
        (prompt(centre, "queue/wait_time"), True),
        (number(centre, 3, Noun.MINUTE), True),  # 1 x 180 s (default AHT) / 1 agent serving
        (prompt(centre, "queue/callback_offer"), True),
    ]
    wait_until(lambda: len(after_the_music(centre, waiting)) >= 2 + len(announcement), timeout=8,
               what="the first announcement")
    assert after_the_music(centre, waiting)[:2 + len(announcement)] == [(MUSIC, False), *announcement, (MUSIC, False)]
    assert engine.calls[waiting].phase is Phase.QUEUED


def test_an_ivr_caller_who_presses_nothing_hears_each_apology_whole_before_the_menu_again(
    centre_factory: Factory,
) -> None:
    centre = centre_factory()
    engine = centre.controller.engine
    caller = centre.switch.place_call(CallerScript(patience_s=600))
    wait_until(lambda: caller in engine.calls and engine.calls[caller].phase is Phase.CONNECTED, timeout=8,
               what="three tries, then an operator")

    menu, apology = (prompt(centre, "ivr/main_menu"), True), (prompt(centre, "ivr/no_input"), True)
    assert heard(centre, caller) == [menu, apology, menu, apology, menu]
    session = engine.calls[caller]
    assert session.entry is not None and session.entry.queue == "operator"


def announcement_started(centre: ContactCentre, log: SwitchLog, uuid: str) -> bool:
    return any(path == prompt(centre, "queue/position") for _, path in log.started(uuid, "playback"))


def assert_cut_short(stretches: list[tuple[str, bool]], announcement: list[str]) -> None:
    """The parts heard before the break, each whole, then at most the one the break cut, then nothing."""
    whole = [path for path, complete in stretches if complete]
    assert stretches[:len(whole)] == [(path, True) for path in announcement[:len(whole)]]
    assert len(whole) < len(announcement) and stretches[len(whole):] in ([], [(announcement[len(whole)], False)])


def agent_frees_up(centre: ContactCentre, caller: str) -> None:
    centre.controller.agent_action("1004", Ready())


def caller_presses_the_exit_key(centre: ContactCentre, caller: str) -> None:
    centre.switch.press_keys(caller, "0")


@pytest.mark.parametrize(
    ("interrupt", "agents"),
    [(agent_frees_up, {"1004"}), (caller_presses_the_exit_key, {"1008", "1009"})],  # the operators
)
def test_what_ends_the_announcement_drops_its_rest_and_the_caller_is_put_through(
    centre_factory: Factory, interrupt: Callable[[ContactCentre, str], None], agents: set[str]
) -> None:
    centre = centre_factory()
    engine = centre.controller.engine
    log = SwitchLog(centre.switch)
    on_break(centre, "1003", "1004", "1005", "1006", "1007")  # nobody serves support: no expected wait is said
    caller = support_caller(centre)
    wait_until(lambda: announcement_started(centre, log, caller), timeout=8, what="the announcement")
    interrupt(centre, caller)
    wait_until(lambda: engine.calls[caller].phase is Phase.CONNECTED, what="the bridge")

    announcement = [prompt(centre, "queue/position"), "file_string://digits/1.wav",
                    prompt(centre, "queue/callback_offer")]
    assert_cut_short(after_the_music(centre, caller)[1:], announcement)
    assert engine.calls[caller].agent in agents
