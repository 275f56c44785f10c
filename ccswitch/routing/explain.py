"""A call routed on paper (``ccswitch route``, ``GET /api/route``): which dialplan rule takes it and why each earlier
rule does not, the first step, and the IVR menus beneath it down to the queue each key leads to. Pure: the decision
is ``dialplan.route``'s, the reasons are its conditions' own (``dialplan.misses``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, tzinfo
from typing import Any

from ccswitch.config.model import Config, IvrChoice, Repeat, Say
from ccswitch.routing.dialplan import Miss, Route, misses, offered, route
from ccswitch.routing.steps import (
    ToAnnouncement,
    ToCallback,
    ToHangup,
    ToIvr,
    ToQueue,
    ToTransfer,
    ToVoicemail,
)


@dataclass(frozen=True, slots=True)
class RuleTried:
    rule: str
    misses: tuple[Miss, ...]  # why the call does not match it; empty: the rule that takes the call


@dataclass(frozen=True, slots=True)
class StepNode:
    """A step and, for an IVR menu, its options (by key, then what happens after the last failed try)."""

    label: str  # "first step", an option key, "on failure"
    choice: IvrChoice
    agents: tuple[str, ...] = ()  # a queue step: the agents serving the queue
    options: tuple[StepNode, ...] = ()
    shown_above: bool = False  # a menu already expanded higher up this tree (menus may lead back to each other)


@dataclass(frozen=True, slots=True)
class RouteExplanation:
    dialplan: str
    did: str
    caller: str
    at: datetime  # in the dialplan's time zone
    tried: tuple[RuleTried, ...]  # the rules in order, up to and including the one that matched
    route: Route
    first_step: StepNode


def parse_at(text: str, timezone: tzinfo) -> datetime:
    """When the call arrives: ``2026-12-08 19:30`` is local time in ``timezone``; ISO 8601 with an offset
    (``2026-12-08T16:30Z``) is taken as it is."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"bad time {text!r}: expected YYYY-MM-DD HH:MM (local time in {timezone}) or ISO 8601 "
                         "with an offset") from exc
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone)


def explain_route(config: Config, did: str, caller: str, now: datetime) -> RouteExplanation:
    dialplan = config.dialplan
    decided = route(dialplan, did, caller, now)
    call = offered(dialplan, did, caller, now)
    tried: list[RuleTried] = []
    for rule in dialplan.rules:
        tried.append(RuleTried(rule.name, () if rule.name == decided.rule else misses(rule, call)))
        if rule.name == decided.rule:
            break
    return RouteExplanation(dialplan.name, did, caller, call.local, tuple(tried), decided,
                            _node(config, "first step", decided.step, ()))


def _node(config: Config, label: str, choice: IvrChoice, menus_above: tuple[str, ...]) -> StepNode:
    if isinstance(choice, ToQueue):
        return StepNode(label, choice, agents=config.members(choice.queue))
    if not isinstance(choice, ToIvr):
        return StepNode(label, choice)
    if choice.menu in menus_above:
        return StepNode(label, choice, shown_above=True)
    menu, above = config.menus[choice.menu], (*menus_above, choice.menu)
    options = [_node(config, key, option, above) for key, option in menu.options.items()]
    failure = _node(config, f"on failure (after {menu.max_attempts} tries)", menu.on_failure, above)
    return StepNode(label, choice, options=(*options, failure))


def describe(choice: IvrChoice) -> str:
    """A step in words, as the explanation prints it."""
    if isinstance(choice, ToIvr):
        return f"IVR menu {choice.menu}"
    if isinstance(choice, ToQueue):
        priority = f", priority {choice.priority}" if choice.priority else ""
        skills = f", skills {', '.join(f'{name} >= {level}' for name, level in choice.skills)}" if choice.skills else ""
        return f"queue {choice.queue}{priority}{skills}"
    if isinstance(choice, ToTransfer):
        return f"transfer to {choice.destination} (context {choice.context})"
    if isinstance(choice, ToAnnouncement):
        return f"play {choice.prompt}, then hang up ({choice.cause})"
    if isinstance(choice, ToHangup):
        return f"hang up ({choice.cause})"
    if isinstance(choice, ToVoicemail):
        return f"voicemail: play {choice.prompt}, record up to {choice.max_s} s"
    if isinstance(choice, ToCallback):
        confirm = "" if choice.confirm else f", hung up at once ({choice.cause}) without confirmation"
        return f"callback from queue {choice.queue}{confirm} (no number to call back: {describe(choice.otherwise)})"
    if isinstance(choice, Say):
        return f"play {choice.prompt}, back to the menu"
    assert isinstance(choice, Repeat)
    return "repeat the menu"


def explanation_lines(explanation: RouteExplanation) -> list[str]:
    """The explanation for a person: the call, each rule tried, the first step and its menu tree."""
    at = explanation.at
    lines = [f"DID {explanation.did}, caller {explanation.caller or '(none)'}, {at:%Y-%m-%d %H:%M %a} ({at.tzinfo}): "
             f"dialplan {explanation.dialplan}"]
    width = max((len(tried.rule) for tried in explanation.tried), default=0)
    for number, tried in enumerate(explanation.tried, 1):
        verdict = "; ".join(f"{miss.kind}: {miss.reason}" for miss in tried.misses) or "MATCHES"
        lines.append(f"  {number}. {tried.rule:<{width}}  {verdict}")
    if explanation.route.rule is None:
        lines.append("  no rule matches: the dialplan's default applies" if explanation.tried else
                     "  the dialplan has no rules: its default applies")
    return [*lines, *_tree_lines(explanation.first_step, 0)]


def _tree_lines(node: StepNode, depth: int) -> list[str]:
    agents = ""
    if isinstance(node.choice, ToQueue):
        agents = f" ({len(node.agents)} agents: {', '.join(node.agents)})" if node.agents else " (no agents)"
    above = " (shown above)" if node.shown_above else ""
    lines = [f"{'  ' * depth}{node.label}: {describe(node.choice)}{agents}{above}"]
    for option in node.options:
        lines += _tree_lines(option, depth + 1)
    return lines


def explanation_document(explanation: RouteExplanation) -> dict[str, Any]:
    """The explanation as JSON (``--json``, ``GET /api/route``); ``at`` in ISO 8601 with the zone's offset."""
    return {
        "dialplan": explanation.dialplan, "did": explanation.did, "caller": explanation.caller,
        "at": explanation.at.isoformat(), "timezone": str(explanation.at.tzinfo),
        "rules": [{"rule": tried.rule, "matched": not tried.misses,
                   "misses": [asdict(miss) for miss in tried.misses]} for tried in explanation.tried],
        "matched_rule": explanation.route.rule,
        "first_step": _node_document(explanation.first_step),
    }


_KINDS = {ToIvr: "ivr", ToQueue: "queue", ToTransfer: "transfer", ToAnnouncement: "announce", ToHangup: "hangup",
          ToVoicemail: "voicemail", ToCallback: "callback", Say: "say", Repeat: "repeat"}


def _node_document(node: StepNode) -> dict[str, Any]:
    document: dict[str, Any] = {"label": node.label, "kind": _KINDS[type(node.choice)], **asdict(node.choice),
                                "text": describe(node.choice)}
    if isinstance(node.choice, ToQueue):
        document |= {"skills": dict(node.choice.skills), "agents": list(node.agents)}
    if isinstance(node.choice, ToIvr):
        document |= {"shown_above": node.shown_above, "options": [_node_document(o) for o in node.options]}
    return document
