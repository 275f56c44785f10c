"""mod_amd's ``amd`` application, simulated (github.com/seanbright/mod_amd, mod_amd.c ``amd_start_function``).

The real application blocks: it reads the channel's audio until its voice-activity rules decide, sets
``amd_result`` and ``amd_cause`` and returns, so the ``CHANNEL_EXECUTE_COMPLETE`` that follows carries both as
``variable_*`` headers. It sets no application response. Its decisions: HUMAN/HUMAN (a short greeting, then
``after_greeting_silence``); MACHINE with INITIALSILENCE, LONGGREETING, MAXWORDS or MAXWORDLENGTH; NOTSURE/TOOLONG
once ``total_analysis_time`` (5 s by default) is spent; nothing at all when the channel stops being ready.

Here the decision is who the gateway callee behind the leg is (``GatewayCallee``): a person is HUMAN and a machine
MACHINE/LONGGREETING, ``GatewayCallee.amd_s`` after the application starts; on any other channel (an agent's phone,
an inbound caller) nobody speaks in a way it can tell: NOTSURE/TOOLONG after 5 s. A hang-up (or a transfer) ends
it early with neither variable set.
"""

from __future__ import annotations

from ccswitch.sim.channel import Channel
from ccswitch.sim.core import SwitchCore

TOTAL_ANALYSIS_S = 5.0  # mod_amd's total_analysis_time default (ms 5000)
_DECISIONS = {"person": ("HUMAN", "HUMAN"), "machine": ("MACHINE", "LONGGREETING")}


def amd(switch: SwitchCore, ch: Channel, arg: str) -> None:
    decision = _DECISIONS.get(ch.callee or "")
    seconds = switch.gateway_callee.amd_s if decision else TOTAL_ANALYSIS_S
    switch.wait([ch], seconds, lambda: ch.interrupted)
    if ch.interrupted:
        return
    result, cause = decision or ("NOTSURE", "TOOLONG")
    ch.set_var("amd_result", result)
    ch.set_var("amd_cause", cause)
