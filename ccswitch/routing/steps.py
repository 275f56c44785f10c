"""Where a call goes next: the targets a dialplan rule, an IVR option or a queue overflow can name.

Steps are plain data. The dialplan and IVR decide a step; the engine carries it out.
Prompts are names relative to the sounds directory (``ivr/main_menu``), resolved to files by the config.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ToIvr:
    menu: str


@dataclass(frozen=True, slots=True)
class ToQueue:
    queue: str
    priority: int = 0
    skills: tuple[tuple[str, int], ...] = ()  # minimum levels the answering agent needs, e.g. (("english", 3),)


@dataclass(frozen=True, slots=True)
class ToTransfer:
    """Hand the call to an extension in FreeSWITCH's own dialplan (an operator desk, another system)."""

    destination: str
    context: str = "default"


@dataclass(frozen=True, slots=True)
class ToAnnouncement:
    """Play a prompt, then hang up (out-of-hours message, closed line)."""

    prompt: str
    cause: str = "NORMAL_CLEARING"


@dataclass(frozen=True, slots=True)
class ToHangup:
    cause: str = "NORMAL_CLEARING"


@dataclass(frozen=True, slots=True)
class ToVoicemail:
    """Play a prompt, record the caller's message (up to ``max_s``, ending on silence), then hang up."""

    prompt: str
    max_s: int = 120


# A callback without confirmation hangs up with SIP 486 by default: the caller hears busy, and a carrier does not try
# another route (503 would, and the caller reached elsewhere would be called back too).
UNCONFIRMED_CALLBACK_CAUSE = "USER_BUSY"


@dataclass(frozen=True, slots=True)
class ToCallback:
    """Turn the call into a callback of ``queue`` (keeping its place when it comes from that queue); a caller
    without a number we can dial goes to ``otherwise``. ``confirm``: the caller is answered and hears the queue's
    confirmation before hanging up; else they are hung up at once with ``cause``, unanswered if they were not yet
    (no channel held, no media port, nothing billed: the overload step of a busy node)."""

    queue: str
    otherwise: ToAnnouncement | ToHangup = ToHangup()
    confirm: bool = True
    cause: str = UNCONFIRMED_CALLBACK_CAUSE


Step = ToIvr | ToQueue | ToTransfer | ToAnnouncement | ToHangup | ToVoicemail | ToCallback
