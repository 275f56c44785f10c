"""IVR menus as a small state machine. Pure: no I/O; the engine feeds results back in.

Theory of operation
-------------------
``enter`` plays a menu's prompt and collects digits: one ``CollectDigits`` try (FreeSWITCH
``play_and_get_digits`` with one try), because retries are ours. The engine reports what came back:

* ``on_digits(..., digits)`` after a ``CollectDigits``; ``""`` means no input (timeout). Digits are caller
  input: anything that is not an option of the menu counts as invalid.
* ``on_played(...)`` after a ``Play`` of a ``say`` option, which returns to the same menu.

Invalid or missing input replays the menu after the invalid/timeout prompt until ``max_attempts``
failed tries, then the menu's ``on_failure`` step. ``repeat`` replays without counting a try; a valid
choice resets the count; a submenu (``{ivr: name}``) is entered here; any other step goes back to the
engine in ``IvrOutcome.step``.

Every effect carries a fresh tag (``ivr-<n>``, unique per call because ``seq`` only grows). Only the
result for the pending tag counts: anything else is stale (the caller already moved on) and is ignored.
A result of the wrong kind for the pending tag is a bug in the engine and raises ``InvalidTransition``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from ccswitch.config.model import IvrMenu, Repeat, Say
from ccswitch.effects import CollectDigits, Effect, Play
from ccswitch.errors import InvalidTransition, UnknownNameError
from ccswitch.routing.steps import Step, ToIvr

_DTMF = re.compile(r"[0-9*#]+")


class Menus(Protocol):
    """What the IVR needs from the configuration (``Config`` provides it)."""

    @property
    def menus(self) -> Mapping[str, IvrMenu]: ...

    def prompt_path(self, name: str) -> str: ...


class Waiting(enum.Enum):
    DIGITS = "digits"  # a CollectDigits is pending
    PLAYBACK = "playback"  # a say option's Play is pending
    NOTHING = "nothing"  # the IVR handed the call on (outcome had a step)


@dataclass(frozen=True, slots=True)
class IvrState:
    call: str
    menu: str
    attempts: int  # failed tries in this menu so far
    waiting: Waiting
    pending: str | None  # tag of the effect whose result we wait for
    seq: int  # last tag number used for this call


@dataclass(frozen=True, slots=True)
class IvrOutcome:
    state: IvrState
    effects: tuple[Effect, ...] = ()
    step: Step | None = None


@dataclass(frozen=True, slots=True)
class _Digits:
    digits: str


@dataclass(frozen=True, slots=True)
class _Played:
    pass


_Event = _Digits | _Played


def enter(config: Menus, menu: str, call: str, seq: int = 0) -> IvrOutcome:
    """Start ``menu`` on ``call``. ``seq``: the last state's ``seq`` if the call was in an IVR before."""
    if menu not in config.menus:
        raise UnknownNameError(f"unknown IVR menu {menu!r}")
    state = IvrState(call, menu, attempts=0, waiting=Waiting.NOTHING, pending=None, seq=seq)
    return _collect(config, state, ())


def on_digits(config: Menus, state: IvrState, tag: str, digits: str) -> IvrOutcome:
    return _apply(config, state, tag, _Digits(digits))


def on_played(config: Menus, state: IvrState, tag: str) -> IvrOutcome:
    return _apply(config, state, tag, _Played())


def _apply(config: Menus, state: IvrState, tag: str, event: _Event) -> IvrOutcome:
    if tag != state.pending:
        return IvrOutcome(state)
    handler = _TRANSITIONS.get((state.waiting, type(event)))
    if handler is None:
        raise InvalidTransition(f"call {state.call}: IVR waiting for {state.waiting.value} got {event}")
    return handler(config, state, event)


def _choose(config: Menus, state: IvrState, event: _Event) -> IvrOutcome:
    assert isinstance(event, _Digits)
    menu = config.menus[state.menu]
    choice = menu.options.get(event.digits) if _DTMF.fullmatch(event.digits) else None
    if choice is None:
        return _retry(config, state, menu.invalid_prompt if event.digits else menu.timeout_prompt)
    if isinstance(choice, Repeat):
        return _collect(config, state, ())
    if isinstance(choice, Say):
        tag, state = _next_tag(state)
        play = Play(state.call, config.prompt_path(choice.prompt), tag)
        return IvrOutcome(replace(state, attempts=0, waiting=Waiting.PLAYBACK, pending=tag), (play,))
    if isinstance(choice, ToIvr):
        return enter(config, choice.menu, state.call, state.seq)
    return IvrOutcome(replace(state, waiting=Waiting.NOTHING, pending=None), step=choice)


def _back_to_menu(config: Menus, state: IvrState, event: _Event) -> IvrOutcome:
    return _collect(config, state, ())


def _retry(config: Menus, state: IvrState, apology: str | None) -> IvrOutcome:
    menu = config.menus[state.menu]
    state = replace(state, attempts=state.attempts + 1)
    if state.attempts >= menu.max_attempts:
        return IvrOutcome(replace(state, waiting=Waiting.NOTHING, pending=None), step=menu.on_failure)
    if apology is None:
        return _collect(config, state, ())
    # The apology is queued on the channel before the menu; its result is stale on purpose (not pending).
    tag, state = _next_tag(state)
    return _collect(config, state, (Play(state.call, config.prompt_path(apology), tag),))


def _collect(config: Menus, state: IvrState, before: tuple[Effect, ...]) -> IvrOutcome:
    menu = config.menus[state.menu]
    tag, state = _next_tag(state)
    collect = CollectDigits(
        call=state.call,
        path=config.prompt_path(menu.prompt),
        tag=tag,
        min_digits=1,
        max_digits=menu.digits,
        timeout_ms=menu.timeout_s * 1000,
        terminators=menu.terminator,
    )
    return IvrOutcome(replace(state, waiting=Waiting.DIGITS, pending=tag), (*before, collect))


def _next_tag(state: IvrState) -> tuple[str, IvrState]:
    seq = state.seq + 1
    return f"ivr-{seq}", replace(state, seq=seq)


_TRANSITIONS: dict[tuple[Waiting, type], Callable[[Menus, IvrState, _Event], IvrOutcome]] = {
    (Waiting.DIGITS, _Digits): _choose,
    (Waiting.PLAYBACK, _Played): _back_to_menu,
}
