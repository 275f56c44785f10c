"""Node capacity and the ``overload`` section of ccswitch.yaml: defaults, values, and the mistakes refused."""

from __future__ import annotations

from ccswitch.admission import Capacity, Reserve
from ccswitch.config import load_config
from ccswitch.routing.steps import ToAnnouncement, ToCallback, ToHangup

from .conftest import Tree
from .test_config_errors import problems

NODE = "      password: ClueCon"


def test_by_default_a_node_has_freeswitchs_capacity_and_overflow_hangs_up_with_congestion(tree: Tree) -> None:
    config = load_config(tree.config_file, env={})
    assert config.nodes[0].capacity() == Capacity(1000, 30, 8193)
    assert config.nodes[0].capacity(max_sessions=400, sessions_per_second=60) == Capacity(400, 60, 8193)
    assert config.overload.reserve == Reserve()
    assert config.overload.then == ToHangup("NORMAL_CIRCUIT_CONGESTION")


def test_configured_limits_win_over_what_the_switch_reports(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", NODE, f"{NODE}\n      max_sessions: 200\n      sessions_per_second: 10\n"
              "      rtp_start_port: 30000\n      rtp_end_port: 30198")
    tree.edit("config/ccswitch.yaml", "timezone:", "overload:\n  reserve: {sessions: 5, media_ports: 2}\n"
              "  then: {announce: queue/all_busy, cause: NORMAL_CIRCUIT_CONGESTION}\ntimezone:")
    config = load_config(tree.config_file, env={})
    assert config.nodes[0].capacity(max_sessions=1000, sessions_per_second=30) == Capacity(200, 10, 100)
    assert config.overload.reserve == Reserve(sessions=5, sessions_per_second=Reserve().sessions_per_second,
                                              media_ports=2)
    assert config.overload.then == ToAnnouncement("queue/all_busy", "NORMAL_CIRCUIT_CONGESTION")


def test_pacing_leaves_callers_two_deviations_unless_configured_and_a_headroom_out_of_range_is_refused(
        tree: Tree) -> None:
    assert load_config(tree.config_file, env={}).overload.pacing_headroom == 2.0
    tree.edit("config/ccswitch.yaml", "timezone:", "overload:\n  pacing_headroom: 1.5\ntimezone:")
    assert load_config(tree.config_file, env={}).overload.pacing_headroom == 1.5
    tree.edit("config/ccswitch.yaml", "pacing_headroom: 1.5", "pacing_headroom: 6")
    assert problems(tree) == ["config/ccswitch.yaml: overload.pacing_headroom: expected standard deviations from 0 "
                              "to 5, such as 2 or 1.5, got 6"]


def test_an_overload_step_that_keeps_the_caller_on_the_node_is_refused(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", "timezone:", "overload:\n  then: {queue: operator}\ntimezone:")
    assert problems(tree) == ["config/ccswitch.yaml: overload.then: expected an announce, hangup, callback or "
                              "transfer step (a queue, menu or voicemail would keep the caller on the busy node)"]


def test_an_rtp_range_ending_before_it_starts_is_refused(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", NODE, f"{NODE}\n      rtp_start_port: 30000\n      rtp_end_port: 20000")
    assert problems(tree) == ["config/ccswitch.yaml: freeswitch.nodes[0].rtp_end_port: must be above rtp_start_port"]


def test_a_callback_overload_step_may_hang_up_unanswered_with_a_cause_instead_of_confirming(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", "timezone:", "overload:\n  then: {callback: support, confirm: false}\ntimezone:")
    assert load_config(tree.config_file, env={}).overload.then == ToCallback("support", ToHangup(), False, "USER_BUSY")
    tree.edit("config/ccswitch.yaml", "confirm: false}", "confirm: false, cause: NORMAL_CLEARING}")
    assert load_config(tree.config_file, env={}).overload.then == ToCallback("support", confirm=False,
                                                                              cause="NORMAL_CLEARING")


def test_a_confirmed_callback_with_a_cause_and_a_confirm_not_a_boolean_are_refused(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", "timezone:", "overload:\n  then: {callback: support, cause: USER_BUSY}\n"
              "timezone:")
    assert problems(tree) == ["config/ccswitch.yaml: overload.then.cause: only a callback without confirmation "
                              "(confirm: false) hangs up with a cause"]
    tree.edit("config/ccswitch.yaml", "cause: USER_BUSY}", 'confirm: "no"}')
    assert problems(tree) == ["config/ccswitch.yaml: overload.then.confirm: expected true or false, got 'no'"]
