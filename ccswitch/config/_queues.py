"""queues/*.yaml: queues, their announcements, exit keys, callbacks, VIP numbers and after-call dispositions."""

from __future__ import annotations

import re
from pathlib import Path

from ccswitch.acd.queues import STRATEGIES
from ccswitch.acd.waiting import AnnouncementPrompts, Announcements, CallbackPolicy, ExitKey
from ccswitch.config import _fields as f
from ccswitch.config._capacity import _capacity
from ccswitch.config._common import _name, _unique
from ccswitch.config._platform import _recording_policy
from ccswitch.config._reader import REQUIRED, Issues, Node
from ccswitch.config.model import QueueConfig
from ccswitch.routing.steps import ToHangup, ToQueue

DEFAULT_STRATEGY = "longest-idle-agent"
QUICK_REPLY_CHARS = 500


def _queues(
    issues: Issues, file: Path, music: str, service_level_s: int, refs: list[f.Ref]
) -> dict[str, QueueConfig]:
    top = issues.read_yaml(file)
    queues: dict[str, QueueConfig] = {}
    if top is None:
        issues.unknowable.add("queue")
        return queues
    if not top.data:
        top.error(None, "no queues defined")
    for raw_name, raw in top.data.items():
        name = str(raw_name)
        node = top.child(name, raw)
        if node is None or not _name(top, name):
            continue
        node.known(
            (
                "strategy",
                "music",
                "max_wait_s",
                "overflow",
                "wrap_up_s",
                "ring_timeout_s",
                "max_no_answer",
                "max_length",
                "service_level_s",
                "aging_s",
                "tier_rules_apply",
                "tier_wait_s",
                "tier_wait_multiply_level",
                "ring_progressively_delay_s",
                "vip_numbers",
                "vip_priority",
                "recording",
                "when_no_agents",
                "no_agents_wait_s",
                "rejoin_window_s",
                "short_abandon_s",
                "announcements",
                "exit",
                "callback",
                "agent_announce",
                "default_aht_s",
                "unanswered_wait_s",
                "dispositions",
                "quick_replies",
                "capacity",
            )
        )
        overflow = f.step_at(node, "overflow", refs, ToHangup())
        exit_key, callback = _exit_key(node, name, refs), _callback(node, refs)
        if exit_key and callback and exit_key.key == callback.key:
            node.error("callback", f"key {callback.key!r} is also the exit key")
        when_no_agents = f.step_at(node, "when_no_agents", refs) if "when_no_agents" in node.data else None
        for key, step in (("overflow", overflow), ("when_no_agents", when_no_agents)):
            if isinstance(step, ToQueue) and step.queue == name:
                node.error(key, "a queue cannot overflow to itself")
        queues[name] = QueueConfig(
            name=name,
            strategy=node.choice("strategy", DEFAULT_STRATEGY, STRATEGIES),
            music=node.text("music", music, token=f.MEDIA),
            max_wait_s=node.integer("max_wait_s", 300, 1, 86400),
            overflow=overflow,
            wrap_up_s=node.integer("wrap_up_s", 10, 0, 3600),
            ring_timeout_s=node.integer("ring_timeout_s", 15, 1, 300),
            max_no_answer=node.integer("max_no_answer", 3, 0, 100),
            max_length=node.optional_integer("max_length", 1, 100000),
            service_level_s=node.integer("service_level_s", service_level_s, 1, 3600),
            aging_s=node.optional_integer("aging_s", 1, 86400),
            tier_rules_apply=node.flag("tier_rules_apply", False),
            tier_wait_s=node.integer("tier_wait_s", 0, 0, 86400),
            tier_wait_multiply_level=node.flag("tier_wait_multiply_level", False),
            ring_progressively_delay_s=node.integer("ring_progressively_delay_s", 10, 1, 300),
            vip_numbers=frozenset(_vip_numbers(node)),
            vip_priority=node.integer("vip_priority", 10, 0, 100),
            recording=_recording_policy(node, refs),
            when_no_agents=when_no_agents,
            no_agents_wait_s=node.integer("no_agents_wait_s", 0, 0, 86400),
            rejoin_window_s=node.integer("rejoin_window_s", 0, 0, 86400),
            short_abandon_s=node.integer("short_abandon_s", 5, 0, 3600),
            announcements=_announcements(node, refs),
            exit_key=exit_key,
            callback=callback,
            agent_announce=f.prompt(node, "agent_announce", refs) if "agent_announce" in node.data else None,
            default_aht_s=node.integer("default_aht_s", 180, 1, 7200),
            unanswered_wait_s=node.integer("unanswered_wait_s", 0, 0, 600),
            dispositions=_dispositions(node),
            quick_replies=_quick_replies(node),
            capacity=_capacity(node),
        )
    return queues


def _announcements(node: Node, refs: list[f.Ref]) -> Announcements | None:
    """``announcements: {every_s, first_after_s, prompt, position, wait_time}`` [none]."""
    if "announcements" not in node.data:
        return None
    section = node.section("announcements")
    section.known(("every_s", "first_after_s", "prompt", "position", "wait_time"))
    every_s = section.integer("every_s", REQUIRED, 10, 3600)
    announcements = Announcements(
        every_s=every_s,
        first_after_s=section.integer("first_after_s", every_s, 0, 3600),
        prompt=f.prompt(section, "prompt", refs) if "prompt" in section.data else None,
        position=section.flag("position", False),
        wait_time=section.flag("wait_time", False),
    )
    if not (announcements.prompt or announcements.position or announcements.wait_time):
        section.error(None, "nothing to announce: give a prompt, position: true or wait_time: true")
    if announcements.position:
        refs.append(f.Ref("prompt", AnnouncementPrompts().position, section.file, section.at("position")))
    if announcements.wait_time:
        refs.append(f.Ref("prompt", AnnouncementPrompts().wait_time, section.file, section.at("wait_time")))
    return announcements


def _exit_key(node: Node, queue: str, refs: list[f.Ref]) -> ExitKey | None:
    """``exit: {key: "0", then: step}``: the caller leaves the queue with a key [none]."""
    if "exit" not in node.data:
        return None
    section = node.section("exit")
    section.known(("key", "then"))
    step = f.step_at(section, "then", refs)
    if isinstance(step, ToQueue) and step.queue == queue:
        section.error("then", "the exit of a queue cannot be the same queue")
    return ExitKey(_key(section), step)


def _callback(node: Node, refs: list[f.Ref]) -> CallbackPolicy | None:
    """``callback: {key, gateway, caller_id_number, offer, confirm, attempts, retry_s, ring_timeout_s}`` [none]."""
    if "callback" not in node.data:
        return None
    section = node.section("callback")
    section.known(("key", "gateway", "caller_id_number", "offer", "confirm", "attempts", "retry_s", "ring_timeout_s"))
    caller_id = section.text("caller_id_number", numbers=True)
    if caller_id and not re.fullmatch(r"\+?[0-9]{3,20}", caller_id):
        section.error("caller_id_number", f"bad number {caller_id!r} (3-20 digits, optionally after '+')")
    return CallbackPolicy(
        key=_key(section),
        gateway=section.text("gateway", token=f.NAME),
        caller_id_number=caller_id,
        offer=f.prompt(section, "offer", refs),
        confirm=f.prompt(section, "confirm", refs),
        attempts=section.integer("attempts", 3, 1, 10),
        retry_s=section.integer("retry_s", 120, 10, 86400),
        ring_timeout_s=section.integer("ring_timeout_s", 40, 15, 120),
    )


def _key(section: Node) -> str:
    key = section.text("key", numbers=True)
    if key and not re.fullmatch(r"[0-9*#]", key):
        section.error("key", f"expected one key of 0-9 * #, got {key!r}")
    return key


def _dispositions(node: Node) -> tuple[str, ...]:
    """``dispositions: [resolved, escalated]``: what an agent may set after a call of this queue [none]."""
    names = [str(name) for name in node.items("dispositions")]
    for name in names:
        problem = f.NAME.check(name)
        if problem:
            node.error("dispositions", f"bad disposition name: {problem}")
    _unique(node, "dispositions", names)
    return tuple(names)


def _quick_replies(node: Node) -> tuple[str, ...]:
    """``quick_replies: ["Thank you for waiting."]``: ready answers the agent desk offers in this queue's chats,
    each one line of at most QUICK_REPLY_CHARS [none]."""
    replies = [str(reply) for reply in node.items("quick_replies")]
    for reply in replies:
        if not reply.strip() or len(reply) > QUICK_REPLY_CHARS or not reply.isprintable():
            node.error("quick_replies", f"each reply is one line of 1-{QUICK_REPLY_CHARS} characters: {reply[:40]!r}")
    return tuple(replies)


def _vip_numbers(node: Node) -> list[str]:
    numbers = [str(number) for number in node.items("vip_numbers")]  # bare numbers are fine: 79161234567
    for number in numbers:
        if not re.fullmatch(r"\+?[0-9]+", number):
            node.error("vip_numbers", f"bad caller number {number!r} (digits, optionally after '+')")
    return numbers
