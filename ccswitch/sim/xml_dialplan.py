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
    """The extension that ``destination`` reaches in ``context``, if any."""
    return next((ext for ext in dialplan.get(context, ()) if ext.expression.search(destination)), None)
