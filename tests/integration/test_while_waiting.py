"""What a support caller hears and may do while waiting, controller <-> simulator over TCP: the periodic
announcement (position and expected wait spoken from our number files), the exit key to the operator queue, and the
announcement the answering agent hears before the caller is put through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType

from ccswitch.acd.agents import AgentState, TakeBreak
from ccswitch.config import Config
from ccswitch.engine import Phase
from ccswitch.feature_codes import FEATURE_KEYS
from ccswitch.media.numbers import Noun, spoken
from ccswitch.sim import AgentPhone, CallerScript
from ccswitch.sim.dialstring import AppCall

from .conftest import ContactCentre, wait_until
from .switch_log import SwitchLog, at

Factory = Callable[..., ContactCentre]
MUSIC = "local_stream://moh"


def on_break(centre: ContactCentre, *agents: str) -> None:
    for agent_id in agents:
        centre.controller.agent_action(agent_id, TakeBreak("lunch"))


def support_caller(centre: ContactCentre, number: str = "79161234567", **script: object) -> str:
    """A caller who picks support (2) in the main menu."""
    return centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600, caller_number=number, **script))  # type: ignore[arg-type]


def prompt(centre: ContactCentre, name: str) -> str:
    return centre.controller.config.prompt_path(name)


def number(centre: ContactCentre, value: int, noun: Noun | None = None) -> str:
    """What the switch plays for a spoken number: its files as one file_string:// prompt."""
    return "file_string://" + "!".join(prompt(centre, name) for name in spoken("en", value, noun))


def numbers_heard(log: SwitchLog, uuid: str) -> list[str]:
    return [path for _, path in log.started(uuid, "playback") if "/numbers/en/" in path]


def waiting_apps(centre: ContactCentre, uuid: str) -> list[AppCall]:
    """What ran on the caller's channel once queued (the IVR and park left out)."""
    return [app for app in centre.switch.apps_on(uuid) if app.app not in ("park", "play_and_get_digits")]


def test_support_callers_hear_their_position_and_expected_wait_after_30_s_then_every_45_s_with_music_between(
    centre_factory: Factory,
) -> None:
    centre = centre_factory(phones=(AgentPhone("1004", answer_after_s=1, talk_s=600),))
    engine = centre.controller.engine
    log = SwitchLog(centre.switch)
    on_break(centre, "1003", "1005", "1006", "1007")  # 1004 alone serves support
    talking = support_caller(centre)
    wait_until(lambda: talking in engine.calls and engine.calls[talking].agent == "1004", what="1004 to take a call")
    second = support_caller(centre, "79990000002")
    wait_until(lambda: second in engine.waiting["support"], what="the second caller to queue")
    joined = engine.waiting["support"][second].enqueued_at  # the announcements' timer runs from here
    third = support_caller(centre, "79990000003")
    wait_until(lambda: len(numbers_heard(log, second)) == 4 and waiting_apps(centre, second)[-1].arg == MUSIC,
               timeout=8, what="two announcements to the second caller, music after each")

    announcement = [
        AppCall("playback", prompt(centre, "queue/position")),
        AppCall("playback", number(centre, 1)),
        AppCall("playback", prompt(centre, "queue/wait_time")),
        AppCall("playback", number(centre, 3, Noun.MINUTE)),  # 1 x 180 s (default AHT) / 1 agent serving
        AppCall("playback", prompt(centre, "queue/callback_offer")),
    ]
    music = AppCall("playback", MUSIC)
    assert waiting_apps(centre, second) == [music, *announcement, music, *announcement, music]
    three_minutes = f"{prompt(centre, 'numbers/en/digits/3')}!{prompt(centre, 'numbers/en/time/minutes')}"
    assert number(centre, 3, Noun.MINUTE) == f"file_string://{three_minutes}"  # one prompt, as mod_say plays one

    positions = [when for when, path in log.started(second, "playback") if path == prompt(centre, "queue/position")]
    assert 30 <= positions[0] - joined <= 31.5  # the music started a round trip after the join: not the reference
    assert 44.5 <= positions[1] - positions[0] <= 46
    last_start = log.of(second, "PLAYBACK_START")[-1]
    assert last_start.get("Playback-File-Path") == MUSIC and log.of(second, "PLAYBACK_STOP")[-1] is not None
    assert log.index(log.of(second, "PLAYBACK_STOP")[-1]) < log.index(last_start)  # the music plays on

    assert numbers_heard(log, third)[:2] == [number(centre, 2), number(centre, 6, Noun.MINUTE)]  # 2 x 180 s / 1
    assert engine.calls[second].phase is Phase.QUEUED and engine.calls[third].phase is Phase.QUEUED


def test_pressing_0_in_support_takes_the_caller_to_an_operator_who_talks_to_them(centre_factory: Factory) -> None:
    centre = centre_factory()
    engine = centre.controller.engine
    log = SwitchLog(centre.switch)
    on_break(centre, "1003", "1004", "1005", "1006", "1007")  # nobody in support; operators 1008, 1009
    caller = support_caller(centre, keys=((10.0, "0"),))
    wait_until(lambda: caller in engine.waiting["support"], what="the caller to wait in support")
    wait_until(lambda: caller in engine.calls and engine.calls[caller].phase is Phase.CONNECTED, what="an operator")

    session = engine.calls[caller]
    assert session.agent in ("1008", "1009") and session.entry is not None and session.entry.queue == "operator"
    assert centre.switch.channels[caller].bridged_with == session.agent_leg
    assert engine.agents[session.agent].state is AgentState.ON_CALL
    music = next(e for e in log.of(caller, "PLAYBACK_START") if e.get("Playback-File-Path") == MUSIC)
    assert [(e.get("DTMF-Digit"), e.get("DTMF-Source")) for e in log.of(caller, "DTMF")
            if log.index(e) > log.index(music)] == [("0", "RTP")]  # read off the channel by the waiting music
    assert engine.stats.queues["support"].overflowed == 1 and engine.stats.queues["operator"].answered == 1


def test_the_answering_agent_hears_the_support_announcement_before_the_caller_is_put_through(
    centre_factory: Factory,
) -> None:
    centre = centre_factory()
    engine = centre.controller.engine
    log = SwitchLog(centre.switch)
    on_break(centre, "1003", "1005", "1006", "1007")
    caller = support_caller(centre)
    wait_until(lambda: caller in engine.calls and engine.calls[caller].phase is Phase.CONNECTED, what="the bridge")

    leg = engine.calls[caller].agent_leg
    assert leg is not None and engine.calls[caller].agent == "1004"
    binds = ["bind_meta_app"] * len(FEATURE_KEYS)  # the feature codes, bound as the leg answers (execute_on_answer)
    assert [app.app for app in centre.switch.apps_on(leg)][:len(binds)] == binds
    assert centre.switch.apps_on(leg)[len(binds):] == [AppCall("playback", prompt(centre, "queue/agent_support"))]
    assert log.outline(leg, "CHANNEL_ANSWER", "PLAYBACK_START", "PLAYBACK_STOP", "CHANNEL_EXECUTE_COMPLETE") == [
        "CHANNEL_ANSWER", *(f"CHANNEL_EXECUTE_COMPLETE({app})" for app in binds), "PLAYBACK_START",
        "PLAYBACK_STOP", "CHANNEL_EXECUTE_COMPLETE(playback)"]  # fmt: skip
    (answered,), announced = log.of(leg, "CHANNEL_ANSWER"), log.of(leg, "CHANNEL_EXECUTE_COMPLETE")[-1]
    (bridged,) = log.of(caller, "CHANNEL_BRIDGE")
    assert log.index(announced) < log.index(bridged) and bridged.get("Other-Leg-Unique-ID") == leg
    assert at(bridged) - at(answered) >= 1.3  # agent_support.wav lasts 1.36 s
    assert centre.switch.channels[caller].variables.get("transfer_ringback") == MUSIC  # what the caller heard
    assert centre.switch.channels[caller].bridged_with == leg
    assert engine.agents["1004"].state is AgentState.ON_CALL and engine.stats.queues["support"].answered == 1


def test_no_announcement_interrupts_the_ringback_while_an_agent_is_rung(centre_factory: Factory) -> None:
    def configure(config: Config) -> Config:
        queue = config.queues["support"]
        assert queue.announcements is not None
        changed = replace(queue, ring_timeout_s=5,
                          announcements=replace(queue.announcements, first_after_s=3, every_s=10))
        return replace(config, queues=MappingProxyType({**config.queues, "support": changed}))

    centre = centre_factory(configure=configure, phones=(AgentPhone("1004", behaviour="no_answer"),))
    engine = centre.controller.engine
    log = SwitchLog(centre.switch)
    on_break(centre, "1003", "1005", "1006", "1007")
    caller = support_caller(centre)
    # 1004 is rung three times (5 s each) from ~1 s, then sent on a break (max_no_answer): announcements due at
    # ~4 s and ~14 s fall while the phone rings and are skipped; the one at ~24 s is heard
    wait_until(lambda: bool(numbers_heard(log, caller)), what="an announcement")
    legs = [e.get("Unique-ID") or "" for e in log.events
            if e.name == "CHANNEL_CREATE" and e.get("variable_dialed_user") == "1004"]
    assert len(legs) == 3 and engine.agents["1004"].state is AgentState.ON_BREAK
    last_miss = max(at(e) for leg in legs for e in log.of(leg, "CHANNEL_HANGUP"))
    position_at = next(when for when, path in log.started(caller, "playback") if path.endswith("queue/position.wav"))
    assert position_at > last_miss and 22.5 <= position_at - engine.calls[caller].queued_at <= 25
    assert numbers_heard(log, caller) == [number(centre, 1)]  # nobody serving: no wait
