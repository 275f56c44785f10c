"""The FreeSWITCH files ccswitch ships (config/freeswitch/): valid XML, the park-with-fallback dialplan consistent
with itself, with the prompt it plays and with the README that shows it."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT / "config" / "freeswitch" / "ccswitch-public.xml"
SOUNDS_IN_LAYOUT = "/opt/ccswitch/sounds/"


def actions(extension: ElementTree.Element) -> list[tuple[str, str]]:
    return [(action.get("application") or "", action.get("data") or "") for action in extension.iter("action")]


def test_the_park_fallback_goes_to_an_extension_of_the_same_file_that_plays_a_shipped_prompt() -> None:
    extensions = {ext.get("name"): ext for ext in ElementTree.parse(PUBLIC).getroot().iter("extension")}
    assert set(extensions) == {"ccswitch-8800", "ccswitch-fallback"}
    parked = actions(extensions["ccswitch-8800"])
    assert parked[-1] == ("park", "")
    (schedule,) = [data for app, data in parked if app == "sched_transfer"]
    _, destination, dialplan, context = schedule.split()
    assert (dialplan, context) == ("XML", "public")  # the context the README tells to install the file in
    condition = extensions["ccswitch-fallback"].find("condition")
    assert condition is not None and condition.get("expression") == f"^{destination}$"
    (played,) = [data for app, data in actions(extensions["ccswitch-fallback"]) if app == "playback"]
    assert played.startswith(SOUNDS_IN_LAYOUT) and (ROOT / "sounds" / played.removeprefix(SOUNDS_IN_LAYOUT)).is_file()


def test_the_readme_shows_the_shipped_dialplan_as_it_is() -> None:
    text = PUBLIC.read_text()
    shown = text[text.index("  <extension"):text.rindex("</extension>") + len("</extension>")]
    assert shown in (ROOT / "README.md").read_text()
    assert "dialplan/public/00_ccswitch.xml" in text and "dialplan/public/00_ccswitch.xml" in (
        ROOT / "README.md").read_text()
