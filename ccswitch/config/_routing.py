"""ivr/*.yaml and dialplans/*.yaml: IVR menus, dialplans with their rules, and the active dialplan."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from ccswitch.config import _fields as f
from ccswitch.config._common import ENV_FILE, _name, _unique, _yaml_files
from ccswitch.config._platform import _recording_policy
from ccswitch.config._reader import Issues, Node
from ccswitch.config.model import Dialplan, DialplanRule, IvrChoice, IvrMenu
from ccswitch.routing.steps import ToHangup, ToIvr

_DIGITS = re.compile(r"[0-9*#]+")


def _menus(issues: Issues, directory: Path, refs: list[f.Ref]) -> dict[str, IvrMenu]:
    menus: dict[str, IvrMenu] = {}
    for top in _yaml_files(issues, directory, "menu"):
        for raw_name, raw in top.data.items():
            name = str(raw_name)
            node = top.child(name, raw)
            if node is None or not _name(top, name):
                continue
            if name in menus:
                top.error(name, "menu defined twice")
            menus[name] = _menu(node, name, refs)
    return menus


def _menu(node: Node, name: str, refs: list[f.Ref]) -> IvrMenu:
    node.known(
        (
            "prompt",
            "invalid_prompt",
            "timeout_prompt",
            "timeout_s",
            "max_attempts",
            "digits",
            "options",
            "on_failure",
        )
    )
    digits = node.integer("digits", 1, 1, 20)
    options: dict[str, IvrChoice] = {}
    raw_options = node.raw("options")
    option_node = node.child("options", raw_options) if raw_options is not None else None
    if raw_options is None:
        node.error("options", "missing")
    if option_node is not None:
        for raw_key, value in option_node.data.items():
            key = str(raw_key)  # 1: reads as an integer in YAML; quote "0"-led, "*" and "#" keys
            if not _DIGITS.fullmatch(key) or len(key) > digits:
                option_node.error(key, f"option keys are 1..{digits} DTMF digits (0-9 * #)")
                continue
            options[key] = f.ivr_choice(option_node, key, value, refs)
            if options[key] == ToIvr(name):
                option_node.error(key, "a menu option cannot enter its own menu (use repeat)")
    if {"*", "#"} <= options.keys():
        node.error("options", "use '*' or '#' as an option, not both: the other one ends input")
    on_failure = f.step_at(node, "on_failure", refs, ToHangup())
    return IvrMenu(
        name=name,
        prompt=f.prompt(node, "prompt", refs),
        invalid_prompt=f.prompt(node, "invalid_prompt", refs),
        timeout_prompt=f.prompt(node, "timeout_prompt", refs) if "timeout_prompt" in node.data else None,
        timeout_s=node.integer("timeout_s", 5, 1, 120),
        max_attempts=node.integer("max_attempts", 3, 1, 20),
        digits=digits,
        options=MappingProxyType(options),
        on_failure=on_failure,
    )


def _dialplans(issues: Issues, directory: Path, timezone: ZoneInfo, refs: list[f.Ref]) -> dict[str, Dialplan]:
    dialplans: dict[str, Dialplan] = {}
    for top in _yaml_files(issues, directory, "dialplan"):
        top.known(("rules", "default"))
        default = f.step_at(top, "default", refs, ToHangup("UNALLOCATED_NUMBER"))
        raw_rules = top.raw("rules")
        if raw_rules is not None and not isinstance(raw_rules, list):
            top.error("rules", "expected a list of rules")
            raw_rules = []
        rules = tuple(
            rule
            for index, raw in enumerate(raw_rules or [])
            if (rule := _rule(Node(issues, top.file, "rules", {}), index, raw, refs)) is not None
        )
        _unique(top, "rules", [rule.name for rule in rules])
        name = Path(top.file).stem
        dialplans[name] = Dialplan(name, rules, default, timezone)
    return dialplans


def _rule(rules: Node, index: int, raw: Any, refs: list[f.Ref]) -> DialplanRule | None:
    node = rules.child(index, raw)
    if node is None:
        return None
    node.known(("name", "did", "did_pattern", "caller_pattern", "days", "hours", "dates", "then", "recording"))
    dids = frozenset(str(did) for did in node.items("did"))  # bare numbers are fine: 88005550556
    return DialplanRule(
        name=node.text("name", f"rule-{index + 1}", token=f.NAME),
        dids=dids,
        did_pattern=f.pattern(node, "did_pattern"),
        caller_pattern=f.pattern(node, "caller_pattern"),
        days=f.days(node, "days"),
        hours=f.hours(node, "hours"),
        dates=f.dates(node, "dates"),
        then=f.step_at(node, "then", refs),
        recording=_recording_policy(node, refs) if "recording" in node.data else None,
    )


def _active_dialplan(main: Node, env: Mapping[str, str], dialplans: dict[str, Dialplan]) -> Dialplan:
    name = main.text("dialplan", "main", token=f.NAME)
    where, key = main, "dialplan"
    if env.get("CCSWITCH_DIALPLAN"):
        name, where, key = env["CCSWITCH_DIALPLAN"], Node(main.issues, ENV_FILE, "", {}), "CCSWITCH_DIALPLAN"
    if name not in dialplans:
        if "dialplan" not in main.issues.unknowable:
            where.error(key, f"no dialplan {name!r} (known: {', '.join(sorted(dialplans)) or 'none'})")
        return Dialplan(name, (), ToHangup("UNALLOCATED_NUMBER"), ZoneInfo("UTC"))
    return dialplans[name]
