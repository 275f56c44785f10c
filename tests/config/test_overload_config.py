"""Node capacity and the ``overload`` section of ccswitch.yaml: defaults, values, and the mistakes refused."""

from __future__ import annotations

from ccswitch.admission import Capacity, Reserve
from ccswitch.config import load_config
from ccswitch.routing.steps import ToAnnouncement, ToHangup

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


def test_an_overload_step_that_keeps_the_caller_on_the_node_is_refused(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", "timezone:", "overload:\n  then: {queue: operator}\ntimezone:")
    assert problems(tree) == ["config/ccswitch.yaml: overload.then: expected an announce, hangup, callback or "
                              "transfer step (a queue, menu or voicemail would keep the caller on the busy node)"]


def test_an_rtp_range_ending_before_it_starts_is_refused(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", NODE, f"{NODE}\n      rtp_start_port: 30000\n      rtp_end_port: 20000")
    assert problems(tree) == ["config/ccswitch.yaml: freeswitch.nodes[0].rtp_end_port: must be above rtp_start_port"]
