"""campaigns.yaml: outbound campaigns, their retry delays, dispositions and blasts, and the do-not-call lists (the
leads files are checked by ``ccswitch.campaign_files``)."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import cast, get_args
from zoneinfo import ZoneInfo

from ccswitch import validators
from ccswitch.config import _fields as f
from ccswitch.config._common import _name, _optional_entries
from ccswitch.config._platform import _recording_policy
from ccswitch.config._reader import Issues, Node
from ccswitch.config.model import Blast, CampaignConfig, DialMode, Disposition, RetryDelays
from ccswitch.errors import DataFileError, UnsafeValueError
from ccswitch.outbound import DEFAULT_ABANDON_LIMIT, DEFAULT_RING_SECONDS, MIN_RING_SECONDS, OFCOM_WINDOW_SECONDS
from ccswitch.phone_numbers import normalise_phone, read_do_not_call

_RETRY_DEFAULTS = {"no_answer": 2 * 3600, "busy": 15 * 60, "machine": 4 * 3600, "failed": 30 * 60}
_NEVER = "never"


def _campaigns(
    issues: Issues, file: Path, zone: ZoneInfo, do_not_call: frozenset[str], refs: list[f.Ref]
) -> dict[str, CampaignConfig]:
    """``<name>: {...}`` (see ``CampaignConfig``); no file means no campaigns. Files it names (leads,
    do_not_call) are relative to its folder."""
    campaigns: dict[str, CampaignConfig] = {}
    for name, node in _optional_entries(issues, file):
        campaigns[name] = _campaign(node, name, file.parent, zone, do_not_call, refs)
    return campaigns


def _campaign(
    node: Node, name: str, folder: Path, zone: ZoneInfo, do_not_call: frozenset[str], refs: list[f.Ref]
) -> CampaignConfig:
    node.known(
        (
            "caller_id_number",
            "caller_id_name",
            "gateway",
            "queue",
            "mode",
            "blast",
            "max_attempts",
            "retry",
            "window",
            "timezone",
            "abandon_limit",
            "abandon_window",
            "min_ring_s",
            "ring_timeout_s",
            "max_lines_per_agent",
            "machine",
            "abandon_message",
            "dispositions",
            "leads",
            "do_not_call",
            "recording",
            "preview_dial_after_s",
            "keep_agents",
        )
    )
    if "mode" not in node.data:
        node.error("mode", f"missing ({', '.join(get_args(DialMode))})")
    mode = cast(DialMode, node.choice("mode", "progressive", get_args(DialMode)))
    queue = node.text("queue", token=f.NAME)
    if queue:
        refs.append(f.Ref("queue", queue, node.file, node.at("queue")))
    caller_id_number = _caller_id_number(node)
    window = node.section("window")
    window.known(("days", "hours"))
    if "window" not in node.data:
        node.error("window", 'missing: when leads may be called, e.g. {days: mon-fri, hours: "09:00-21:00"}')
    elif "hours" not in window.data:
        window.error("hours", 'missing: the calling hours in the lead\'s time, e.g. "09:00-21:00"')
    if mode in ("blast", "preview"):  # nobody can be abandoned: an agent dials each preview call
        abandon_message = f.prompt(node, "abandon_message", refs) if "abandon_message" in node.data else None
    elif "abandon_message" not in node.data:
        node.error("abandon_message", "missing: the prompt a person hears when no agent is free within 2 s")
        abandon_message = None
    else:
        abandon_message = f.prompt(node, "abandon_message", refs)
    own_file, leads_file = node.optional_text("do_not_call"), node.optional_text("leads")
    own = _numbers(node, "do_not_call", folder / own_file) if own_file else frozenset()
    leads = (folder / leads_file).resolve() if leads_file else None
    return CampaignConfig(
        name=name,
        caller_id_number=caller_id_number,
        caller_id_name=_caller_id_name(node, caller_id_number),
        gateway=_gateway(node),
        queue=queue,
        mode=mode,
        timezone=f.zone(node, "timezone", zone),
        days=f.days(window, "days"),
        hours=f.hours(window, "hours"),
        max_attempts=node.integer("max_attempts", 3, 1, 100),
        retry=_retry_delays(node.section("retry")),
        abandon_limit=_share(node, "abandon_limit", DEFAULT_ABANDON_LIMIT),
        abandon_window_s=f.duration(node, "abandon_window", int(OFCOM_WINDOW_SECONDS), 3600, 90 * 86400),
        min_ring_s=(min_ring := _min_ring_s(node)),
        ring_timeout_s=_ring_timeout_s(node, min_ring),
        max_lines_per_agent=_max_lines_per_agent(node, mode),
        abandon_message=abandon_message,
        dispositions=MappingProxyType(_dispositions(node)),
        machine_message=_machine_message(node, refs),
        blast=_blast(node, mode, refs),
        leads=leads,
        do_not_call=do_not_call | own if own else do_not_call,
        recording=_recording_policy(node, refs) if "recording" in node.data else None,
        preview_dial_after_s=_preview_dial_after_s(node, mode),
        keep_agents=_keep_agents(node, mode),
    )


def _preview_dial_after_s(node: Node, mode: DialMode) -> int | None:
    """A preview the agent neither dials nor skips is dialled after this many seconds [never]."""
    if "preview_dial_after_s" not in node.data:
        return None
    if mode != "preview":
        node.error("preview_dial_after_s", "only used with mode: preview")
        return None
    return node.integer("preview_dial_after_s", 30, 5, 3600)


def _caller_id_number(node: Node) -> str:
    number = node.text("caller_id_number", numbers=True)
    try:
        return normalise_phone(number) if number else number
    except ValueError as exc:
        node.error("caller_id_number", str(exc))
        return number


def _caller_id_name(node: Node, number: str) -> str:
    """What the called person's phone shows beside the number [the number: FreeSWITCH's own default is its name]."""
    name = node.text("caller_id_name", number, numbers=True)
    if validators.caller_id_text(name) != name:
        allowed = f"letters, digits, single spaces and {validators.CALLER_ID_PUNCTUATION.strip()}"
        node.error("caller_id_name", f"unsafe value {name!r} (allowed: {allowed}, at most "
                                     f"{validators.CALLER_ID_MAX_CHARS} characters)")
    return name


def _gateway(node: Node) -> str:
    gateway = node.text("gateway")
    try:
        return validators.gateway(gateway) if gateway else gateway
    except UnsafeValueError as exc:
        node.error("gateway", str(exc))
        return gateway


def _min_ring_s(node: Node) -> int:
    least = int(MIN_RING_SECONDS)
    return _ring_seconds(node, "min_ring_s", least, least,
                         f"{least}: an unanswered line rings at least {least} s (Ofcom)")


def _ring_timeout_s(node: Node, min_ring_s: int) -> int:
    """How long a line rings before the dialler gives up on it [30 s, or min_ring_s if longer]; at least min_ring_s.
    A predictive campaign may hang up a line between the two once no agent is expected for it."""
    return _ring_seconds(node, "ring_timeout_s", max(int(DEFAULT_RING_SECONDS), min_ring_s), min_ring_s,
                         f"min_ring_s ({min_ring_s}): a line rings at least that long")


def _ring_seconds(node: Node, key: str, default: int, least: int, why_least: str) -> int:
    """A ring time in seconds, ``least`` to 300; below ``least`` the error says why (``<value> is below
    <why_least>``) and ``default`` stands."""
    value = node.raw(key)
    if isinstance(value, int) and not isinstance(value, bool) and value < least:
        node.error(key, f"{value} is below {why_least}")
        return default
    return node.integer(key, default, least, 300)


def _keep_agents(node: Node, mode: DialMode) -> bool:
    """Predictive and progressive: free agents are kept from inbound calls and chats for the people its lines may
    bring [true]."""
    if mode not in ("predictive", "progressive"):
        if "keep_agents" in node.data:
            node.error("keep_agents", "only used with mode: predictive or progressive")
        return False
    return node.flag("keep_agents", True)


def _max_lines_per_agent(node: Node, mode: DialMode) -> int:
    """Preview and progressive dial one line per agent; predictive and blast up to this many [3]."""
    if mode in ("preview", "progressive"):
        if "max_lines_per_agent" in node.data:
            node.error("max_lines_per_agent", "only used with mode: predictive or blast")
        return 1
    return node.integer("max_lines_per_agent", 3, 1, 20)


def _retry_delays(section: Node) -> RetryDelays:
    """``retry: {no_answer: 2h, busy: 15m, machine: 4h, failed: 30m}``; ``never``: that outcome ends the lead."""
    section.known(_RETRY_DEFAULTS)
    return RetryDelays(
        **{
            key: None if section.raw(key) == _NEVER else f.duration(section, key, default, 60, 365 * 86400)
            for key, default in _RETRY_DEFAULTS.items()
        }
    )


def _share(node: Node, key: str, default: float) -> float:
    value = node.raw(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        node.error(key, f"expected a share from 0 to below 1, such as 0.03 for 3%, got {value!r}")
        return default
    return float(value)


def _dispositions(node: Node) -> dict[str, Disposition]:
    """``{sale: {final: true}, callback: {retry_after: 1d}, do_not_call: {do_not_call: true}}``: final unless
    ``retry_after``; ``sale:`` alone is final."""
    section = node.section("dispositions")
    if not section.data:
        node.error("dispositions", "missing: what agents may set after a call, e.g. {sale: {final: true}}")
    dispositions: dict[str, Disposition] = {}
    for raw_name, raw in section.data.items():
        name = str(raw_name)
        item = section.child(name, {} if raw is None else raw)
        if item is None or not _name(section, name):
            continue
        item.known(("final", "retry_after", "do_not_call"))
        retry_after = f.duration(item, "retry_after", 0, 60, 365 * 86400) if "retry_after" in item.data else None
        do_not_call = item.flag("do_not_call", False)
        final = item.flag("final", retry_after is None)
        if final and retry_after is not None:
            item.error("retry_after", "a final disposition is not retried (drop final: true or retry_after)")
        elif not final and retry_after is None:
            item.error("final", "final: false needs retry_after, when to call again")
        elif do_not_call and retry_after is not None:
            item.error("do_not_call", "a do-not-call disposition is final: it takes no retry_after")
        dispositions[name] = Disposition(name, retry_after, do_not_call)
    return dispositions


def _machine_message(node: Node, refs: list[f.Ref]) -> str | None:
    """``machine: hangup`` [default] or ``machine: {message: <prompt>}`` (left on the answering machine)."""
    value = node.raw("machine")
    if value is None or value == "hangup":
        return None
    if not isinstance(value, dict):
        node.error("machine", f"expected hangup or {{message: <prompt>}}, got {value!r}")
        return None
    item = node.child("machine", value)
    assert item is not None
    item.known(("message",))
    return f.prompt(item, "message", refs)


def _blast(node: Node, mode: DialMode, refs: list[f.Ref]) -> Blast | None:
    """``blast: {prompt: <prompt>, ivr: <menu>}``: what a person who answers gets (at least one; both: the
    prompt, then the menu)."""
    if mode != "blast":
        if "blast" in node.data:
            node.error("blast", "only used with mode: blast")
        return None
    section = node.section("blast")
    section.known(("prompt", "ivr"))
    prompt = f.prompt(section, "prompt", refs) if "prompt" in section.data else None
    ivr = section.optional_text("ivr", token=f.NAME)
    if ivr:
        refs.append(f.Ref("menu", ivr, section.file, section.at("ivr")))
    if prompt is None and ivr is None:
        node.error("blast", "missing: a prompt to play, an ivr menu to enter, or both")
    return Blast(prompt, ivr)


def _numbers(node: Node, key: str, path: Path) -> frozenset[str]:
    """A do-not-call file's numbers; its bad lines are reported as ``<file>: line N: problem``."""
    if not path.is_file():
        node.error(key, f"file not found: {node.issues.display(path)}")
        return frozenset()
    try:
        return read_do_not_call(path)
    except DataFileError as exc:
        _data_file_problems(node.issues, path, exc)
        return frozenset()


def _data_file_problems(issues: Issues, path: Path, error: DataFileError) -> None:
    for line, problem in error.problems:
        issues.add(issues.display(path), f"line {line}" if line else "", problem)
