"""The FreeSWITCH modules the loaded configuration needs, in one place, and asking a switch which it lacks.

A switch without a module the controller relies on fails late and quietly: ``sendmsg … execute amd`` is answered
``+OK``, then FreeSWITCH logs ``Invalid Application amd`` and hangs the answered person up 20 ms later with
DESTINATION_OUT_OF_ORDER, with no CHANNEL_EXECUTE for it (switch_core_session.c
switch_core_session_execute_application_get_flags; trace m). So the controller asks each node at connect
(``api module_exists mod_x``, answered plain ``true`` / ``false``: mod_commands.c module_exists_function) for
every module in ``required_modules(config)``, and ``ccswitch check --switch`` does the same on demand. What a
missing module stops: a campaign that detects machines is not started (``Requirement.campaign``); anything else
is reported (log, metric) because no call can do without it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ccswitch.config import Config
from ccswitch.esl import commands

#: What every configuration needs: the api commands (uuid_*), the applications (park, playback, bridge,
#: play_and_get_digits…), SIP (user/ and sofia/ endpoints), and WAV prompts.
CORE = (
    ("mod_commands", "api commands (uuid_answer, uuid_transfer, uuid_kill…)"),
    ("mod_dptools", "applications (park, playback, bridge, play_and_get_digits…)"),
    ("mod_sofia", "SIP: agents' phones (user/…) and gateways"),
    ("mod_sndfile", "WAV prompts"),
)
AMD_MODULE = "mod_amd"  # github.com/seanbright/mod_amd: the ``amd`` application


@dataclass(frozen=True, slots=True)
class Requirement:
    """``module`` is needed for ``feature`` (in words); ``campaign``: the campaign that cannot start without it."""

    module: str
    feature: str
    campaign: str | None = None


def required_modules(config: Config) -> list[Requirement]:
    """Every module the configuration needs, with what needs it (a module may appear for several features)."""
    needed = [Requirement(module, feature) for module, feature in CORE]
    for name, campaign in sorted(config.campaigns.items()):
        if campaign.mode != "preview":  # preview campaigns run no detection: the agent hears who answered
            needed.append(Requirement(AMD_MODULE, f"answering-machine detection of campaign {name}", name))
    if any(queue.announcements is not None and (queue.announcements.position or queue.announcements.wait_time)
           for queue in config.queues.values()):
        needed.append(Requirement(f"mod_say_{config.media.say_language}", "spoken positions and waiting times"))
    music = {config.media.music, *(queue.music for queue in config.queues.values())}
    if any(source.startswith("local_stream://") for source in music):
        needed.append(Requirement("mod_local_stream", "music on hold (local_stream://)"))
    if any(agent.contact.startswith("loopback/") for agent in config.agents.values()):
        needed.append(Requirement("mod_loopback", "agents rung through loopback/"))
    return needed


def module_loaded(reply: str) -> bool:
    """``module_exists``'s answer: ``true`` or ``false`` (anything else, e.g. ``-ERR``, is not a yes)."""
    return reply.strip() == "true"


def missing_requirements(api: Callable[[str], str], needed: Iterable[Requirement]) -> list[Requirement]:
    """The requirements whose module ``api`` (one ``api`` command in, its body out) says is not loaded; each
    module is asked once."""
    needed = list(needed)
    loaded = {module: module_loaded(api(commands.module_exists(module)))
              for module in dict.fromkeys(requirement.module for requirement in needed)}
    return [requirement for requirement in needed if not loaded[requirement.module]]


def describe(node: str, missing: Iterable[Requirement]) -> list[str]:
    """One line per missing module, naming what needs it and how to load it."""
    features: dict[str, list[str]] = {}
    for requirement in missing:
        features.setdefault(requirement.module, []).append(requirement.feature)
    return [f"FreeSWITCH node {node}: module {module} is not loaded (needed for {'; '.join(needs)}): "
            f"build and install it, add it to modules.conf.xml, then `fs_cli -x 'load {module}'`"
            for module, needs in features.items()]
