"""Sending a caller a picture or document during a call: where the SIP MESSAGE goes, what it says, and what
FreeSWITCH's answer means. Pure: the shell (``ccswitch.document_desk``) reads the channel and sends.

Theory of operation
===================
FreeSWITCH can send text to a SIP endpoint, not a file: ``api chat sip|<from>|<to>|<text>`` makes mod_sofia send a
SIP MESSAGE (sofia_presence.c ``sofia_presence_chat_send``). So the file is served by this controller behind an
unguessable, expiring link, and the caller gets a short text with that link.

Who the caller is decides where the message goes (``chat_target``):

- a caller from a registered phone or softphone (sofia authenticated the call as a directory user, so the channel
  has ``user_name`` and ``domain_name``) on the profile ``documents.phones`` names: ``<profile>/<user>@<domain>``;
  sofia finds the phone's registration and sends it there;
- a caller from the trunk, when ``documents.trunk`` is set: ``<trunk.profile>/<number>@<trunk.host>``; the number
  is not registered, so sofia sends to ``sip:<number>@<host>``, a carrier that turns SIP MESSAGE into SMS;
- anything else is refused, saying which setting is missing, before anything is sent.

``to`` always names the profile: a bare ``user@host`` is read as profile ``host`` and fails (fs-traces o).
"""

from __future__ import annotations

from dataclasses import dataclass

from ccswitch.config.model import DocumentSettings
from ccswitch.errors import CcswitchError

_NUMBER_CHARS = frozenset("+0123456789")
UNDEFINED = "_undef_"  # uuid_getvar's answer for a variable the channel does not have


class DocumentRefused(CcswitchError):
    """A document cannot be sent on this call (off, no way to reach this caller, the call not connected)."""

    error_id = "document_not_sendable"


@dataclass(frozen=True, slots=True)
class CallerLine:
    """What the caller's channel says about where they called from (``uuid_getvar``; "" when unset)."""

    profile: str  # sofia_profile_name
    user: str  # user_name: the directory user sofia authenticated ("" for the trunk)
    domain: str  # domain_name
    number: str  # the caller's number as the engine knows it


@dataclass(frozen=True, slots=True)
class ChatOutcome:
    sent: bool
    reason: str  # FreeSWITCH's answer when not sent ("" when sent)


def channel_value(reply: str) -> str:
    """A ``uuid_getvar`` answer as a value: "" for an unset variable or an error."""
    value = reply.strip()
    return "" if value == UNDEFINED or value.startswith("-ERR") else value


def chat_target(settings: DocumentSettings, line: CallerLine) -> str:
    """The ``to`` of the ``chat`` command for this caller, or ``DocumentRefused`` saying why there is none."""
    if not settings.enabled:
        raise DocumentRefused("sending documents is off (documents: from, public_url and folder in ccswitch.yaml)")
    if line.user:
        if settings.phones is None:
            raise DocumentRefused(f"the caller is the registered phone {line.user}; documents.phones (their sofia "
                                  "profile) is not set")
        if line.profile != settings.phones:
            raise DocumentRefused(f"the caller's phone is on sofia profile {line.profile or '(unknown)'}, not "
                                  f"documents.phones {settings.phones}")
        return f"{settings.phones}/{line.user}@{line.domain}"
    if settings.trunk is None:
        raise DocumentRefused("the caller came from the trunk and documents.trunk (the carrier that takes SIP "
                              "MESSAGE) is not set")
    number = line.number
    if not number or not set(number) <= _NUMBER_CHARS or "+" in number[1:]:
        raise DocumentRefused("the caller's number is unknown or not a phone number: no message can reach them")
    return f"{settings.trunk.profile}/{number}@{settings.trunk.host}"


_TYPOGRAPHIC = str.maketrans({"'": "\u2019", '"': "\u201d", "|": "/", "\\": "/", "$": ""})
MAX_WORDS_CHARS = 200


def message_text(text: str, link: str) -> str:
    """What the caller reads: the agent's words on one line (spaces collapsed, unprintable characters dropped,
    quotes made typographic, ``|`` and backslash made ``/``, ``$`` dropped: nothing the ``chat`` command's
    splitter would take for syntax), at most ``MAX_WORDS_CHARS``, then the link."""
    kept = "".join(char if char.isprintable() else " " for char in text).translate(_TYPOGRAPHIC)
    words = " ".join(kept.split())[:MAX_WORDS_CHARS].rstrip()
    return f"{words} {link}" if words else link


def chat_outcome(reply: str) -> ChatOutcome:
    """``chat``'s answer (mod_dptools.c chat_api_function): ``Sent``; ``Error! Message Not Sent`` (no such
    profile, or the endpoint did not answer 2xx); ``Invalid`` (fewer than 4 fields); ``-ERR …`` (the switch)."""
    answer = reply.strip()
    if answer == "Sent":
        return ChatOutcome(True, "")
    return ChatOutcome(False, answer[:200] or "no answer")
