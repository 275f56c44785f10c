"""The part of mod_dialplan_xml the simulator needs to run ``execute_extension``: contexts of extensions, each with
one ``destination_number`` condition (a regular expression) and the actions it runs. The first extension whose
condition matches wins (mod_dialplan_xml.c dialplan_hunt: an extension without ``continue="true"`` ends the hunt).
Anything else in the file (other fields, several conditions, anti-actions, ``continue``) is refused rather than
run differently from FreeSWITCH."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree import ElementTree

from ccswitch.sim.dialstring import AppCall


@dataclass(frozen=True)
class XmlExtension:
    name: str
    expression: re.Pattern[str]
    actions: tuple[AppCall, ...]


Dialplan = dict[str, tuple[XmlExtension, ...]]  # context name -> its extensions, in order


def parse_dialplan(text: str) -> Dialplan:
    """The contexts of one dialplan file (``<include><context name=…>…</context></include>``)."""
    root = ElementTree.fromstring(text)
    dialplan: Dialplan = {}
    for context in root.iter("context"):
        extensions = []
        for extension in context:
            if extension.tag != "extension" or extension.get("continue") or len(extension) != 1:
                raise ValueError(f"not simulated: <{extension.tag}> {extension.attrib} in context "
                                 f"{context.get('name')}")
            (condition,) = extension
            if condition.tag != "condition" or condition.get("field") != "destination_number":
                raise ValueError(f"not simulated: <{condition.tag}> {condition.attrib}")
            actions = []
            for action in condition:
                if action.tag != "action":
                    raise ValueError(f"not simulated: <{action.tag}> in extension {extension.get('name')}")
                actions.append(AppCall(action.get("application", ""), action.get("data", "")))
            extensions.append(XmlExtension(extension.get("name", ""), re.compile(condition.get("expression", "")),
                                           tuple(actions)))
        dialplan[context.get("name", "")] = tuple(extensions)
    return dialplan


def hunt(dialplan: Dialplan, context: str, destination: str) -> XmlExtension | None:
    """The extension that ``destination`` reaches in ``context``, if any. When the expression has a ``(``, ``$1``
    / ``${1}`` in the actions' data become what the groups captured (nothing for a group that did not take part),
    as mod_dialplan_xml.c parse_exten does with switch_regex.c switch_perform_substitution; ``${name}`` stays for
    the application's run time."""
    for ext in dialplan.get(context, ()):
        match = ext.expression.search(destination)
        if match is None:
            continue
        if "(" not in ext.expression.pattern:
            return ext
        actions = tuple(AppCall(call.app, _substitute(match, call.arg)) for call in ext.actions)
        return XmlExtension(ext.name, ext.expression, actions)
    return None


def _substitute(match: re.Match[str], data: str) -> str:
    def group(ref: re.Match[str]) -> str:
        number = int(ref.group(1) or ref.group(2))
        return (match.group(number) or "") if number <= match.re.groups else ""

    return re.sub(r"\$(?:(\d+)|\{(\d+)\})", group, data)
