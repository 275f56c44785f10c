"""``api chat``: text sent to a SIP endpoint by SIP MESSAGE, as mod_dptools.c chat_api_function and mod_sofia's
sofia_presence_chat_send do it (fs-traces o).

``chat <proto>|<from>|<to>|<message>|[<content-type>]`` is split on ``|`` into at most five fields (fewer than four:
``Invalid``). ``to`` is ``[<profile>/]<user>@<host>``; without a profile the host is taken for one, and the
simulator's switch has two: ``internal`` (its registered phones) and ``external`` (the trunk side). A registered
phone on ``internal`` answers the MESSAGE 200 after its ``message_answer_s``; on ``external`` the message goes
straight to ``sip:<user>@<host>``, a carrier that here always takes it (200, after ``CARRIER_ANSWER_S``). Then the
answer is ``Sent``; for no such profile or no such registered phone it is ``Error! Message Not Sent`` at once, and
for a phone that never answers the same after SIP timer F (32 s). The command blocks until then (sofia sends the
MESSAGE blocking): an ``api chat`` holds up the commands after it on its socket, a ``bgapi chat`` only its job.
Either way a MESSAGE event follows the answer, with the text as its body, ``Delivery-Failure`` and, when
delivered, ``Delivery-Result-Code``. What reached someone is kept in ``switch.messages``.
"""

from __future__ import annotations

import math

from ccswitch.sim.core import SentMessage
from ccswitch.sim.dialstring import separate_string
from ccswitch.sim.switch import SimSwitch

PROFILES = ("internal", "external")
CARRIER_ANSWER_S = 0.1
SIP_TIMER_F_S = 32.0  # 64 x T1 (500 ms): a non-INVITE request nobody answers fails after this
_MAX_FIELDS = 5
_CALLING = ("switch_loadable_module.c", "switch_core_chat_send_args", 1100)


def chat(switch: SimSwitch, args: str) -> str:
    fields = separate_string(args, "|")
    if len(fields) > _MAX_FIELDS:  # the fifth field is the rest of the line
        fields = [*fields[:_MAX_FIELDS - 1], "|".join(fields[_MAX_FIELDS - 1:])]
    if len(fields) < 4:
        return "Invalid"
    proto, sender, to, text = fields[:4]
    content_type = fields[4] if len(fields) == _MAX_FIELDS and fields[4] else "text/html"
    answer_after = _answer_after(switch, to)
    if answer_after is not None:
        switch.clock.sleep(min(answer_after, SIP_TIMER_F_S))
    delivered = answer_after is not None and answer_after < SIP_TIMER_F_S
    headers = [("proto", "global"), ("from", sender), ("to", to), ("skip_global_process", "true"),
               ("blocking", "true"), ("dest_proto", proto)]
    if delivered:
        switch.messages.append(SentMessage(sender, to, text, content_type))
        headers.append(("Delivery-Result-Code", "200"))
    headers.append(("Delivery-Failure", "false" if delivered else "true"))
    # The event is fired after the answer is written (switch_core_chat_send_args returns first): the ESL server
    # sends the api/response before it, as in the trace.
    switch.spawn(switch.fire, "MESSAGE", headers, text, _CALLING)
    return "Sent" if delivered else "Error! Message Not Sent"


def _answer_after(switch: SimSwitch, to: str) -> float | None:
    """Seconds until the far end answers the MESSAGE 200 (infinite: never); None when nothing is sent (no such
    profile, no such registered phone)."""
    profile, slash, address = to.partition("/")
    user, _, host = (address if slash else profile).partition("@")
    if not slash:
        profile = host
    if profile not in PROFILES or not user:
        return None
    if profile == "external":
        return CARRIER_ANSWER_S
    phone = switch.phone(user)
    if phone is None or phone.behaviour == "unregistered":
        return None
    return math.inf if phone.message_answer_s is None else phone.message_answer_s
