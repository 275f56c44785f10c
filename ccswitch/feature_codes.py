"""Desk-phone feature codes: during a call the agent presses ``*`` then a digit, and the controller does what the
HTTP API would (``Engine.control``): ``*1`` hold / unhold, ``*2`` mute / unmute, ``*3`` hang up, ``*7`` blind
transfer and ``*8`` consult (then the destination's digits and ``#``), and after a consultation ``*4`` complete,
``*5`` cancel, ``*6`` conference.

Theory of operation (every step is FreeSWITCH's own; signalwire/freeswitch cc93a68):

1. Every agent leg the controller rings carries one ``execute_on_answer_ccswitch_<feature>`` variable per feature
   (``ccswitch.esl.commands.feature_code_vars``). When the leg is answered, switch_channel.c
   switch_channel_perform_mark_answered calls switch_channel_execute_on, which runs every channel variable whose
   name starts with ``execute_on_answer`` as ``<app> <arg>`` (switch_channel_execute_on_value splits at the first
   space): ``bind_meta_app 1 a s execute_extension::ccswitch_hold XML ccswitch-features``. FreeSWITCH's own
   vanilla dialplan sets ``execute_on_answer='bind_meta_app 2 a s1 …'`` in a dial string the same way.
2. bind_meta_app (mod_dptools.c dtmf_bind_function: ``<key> [a|b|ab] [a|b|o|s|i|1] <app>``, blank-split into four,
   the app keeping the rest) hooks the leg's DTMF (switch_ivr_async.c switch_ivr_bind_dtmf_meta_session). ``a``:
   digits *received* on this leg, i.e. pressed on the agent's phone; the caller's keys reach the agent leg in the
   other direction and are never looked at. ``s``: run the app on this same leg. In meta_on_dtmf the meta key
   (``*``, or the leg's ``bind_meta_key``) and the digit after it never reach the DTMF queue, so the caller does
   not hear them and no DTMF event fires; ``**`` sends one ``*``; ``*`` and an unbound digit are both dropped; the
   digit must follow within 5 s. The bound app is queued on the leg (switch_ivr_broadcast ``app::arg``, with
   ``hold-bleg``: while it runs the caller hears the hold music, if one is set, for the few milliseconds
   execute_extension takes) and the leg's bridge thread runs it.
3. execute_extension (mod_dptools.c exe_function -> switch_core_session.c switch_core_session_execute_exten) hunts
   the extension ``ccswitch_<feature>`` (as destination_number) in the XML context ``ccswitch-features``
   (``dialplan_xml``, shipped as ``config/freeswitch/ccswitch-features.xml``) and runs its actions inline.
4. Its one action, ``event Event-Subclass=ccswitch::feature,Event-Name=CUSTOM,Feature=<feature>`` (mod_dptools.c
   event_function: comma-separated ``name=value``; ``Event-Name`` renames the event, ``Event-Subclass`` sets its
   subclass), fires a CUSTOM ``ccswitch::feature`` event carrying the agent leg's channel data (Unique-ID = the
   leg) and ``Feature: <feature>``.
   A transfer or a consultation needs a destination, so its extension first runs ``read`` (mod_dptools.c
   read_function -> switch_ivr_play_say.c switch_ivr_read: ``<min> <max> <prompt> <variable> <timeout ms>
   <terminators>``): a short tone, then the digits the agent keys, ended by ``#``, 20 digits or 5 s without a key,
   into ``ccswitch_destination``, which switch_ivr_read clears first (so no earlier destination is reused). The
   event adds ``Destination=${ccswitch_destination}``, expanded when ``event`` runs
   (switch_core_session.c switch_core_session_execute_application_get_flags expands the application's data), the
   way FreeSWITCH's own vanilla features.xml ``dx`` extension reads digits and then transfers to ``${digits}``.
   The caller hears the hold music meanwhile (bind_meta_app's ``hold-bleg``). The controller checks the digits as
   it checks any destination it is given (``Engine.control``: UnsafeValueError, logged).
5. The controller subscribes to ``CUSTOM ccswitch::feature``; ``ccswitch.channel_events`` makes it a
   ``FeatureCode`` (known features only) and the engine maps the leg to its call.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: Feature -> the digit after ``*``. Only the agent's own keys are bound (``a``), so the caller keeps every key.
FEATURE_KEYS: Mapping[str, str] = MappingProxyType({"hold": "1", "mute": "2", "hangup": "3", "complete": "4",
                                                    "cancel": "5", "conference": "6", "transfer": "7",
                                                    "consult": "8"})
#: Features the agent follows with the destination's digits and ``#``.
DESTINATION_FEATURES = frozenset({"transfer", "consult"})
#: The channel variable ``read`` leaves the digits in, and the event header carrying them.
DESTINATION_VARIABLE = "ccswitch_destination"
DESTINATION_HEADER = "Destination"
#: ``read``'s arguments: 1-20 digits after a 200 ms 440 Hz tone, 5 s for the first key, ``#`` ends.
READ_DESTINATION = f"1 20 tone_stream://%(200,0,440) {DESTINATION_VARIABLE} 5000 #"
#: The CUSTOM event subclass the features fire, and the header naming the feature.
FEATURE_EVENT = "ccswitch::feature"
FEATURE_HEADER = "Feature"
#: The XML dialplan context with one extension per feature.
FEATURE_CONTEXT = "ccswitch-features"


def extension(feature: str) -> str:
    """The extension (in ``FEATURE_CONTEXT``) that fires ``feature``."""
    return f"ccswitch_{feature}"


def bindings(keys: Mapping[str, str] = FEATURE_KEYS) -> dict[str, str]:
    """Extension -> digit: what every agent leg binds (``ccswitch.esl.commands.feature_code_vars``)."""
    return {extension(feature): digit for feature, digit in keys.items()}


def event_data(feature: str) -> str:
    """The ``event`` application's argument that fires ``feature`` (mod_dptools.c event_function)."""
    data = f"Event-Subclass={FEATURE_EVENT},Event-Name=CUSTOM,{FEATURE_HEADER}={feature}"
    if feature in DESTINATION_FEATURES:
        data += f",{DESTINATION_HEADER}=${{{DESTINATION_VARIABLE}}}"
    return data


def dialplan_xml(keys: Mapping[str, str] = FEATURE_KEYS) -> str:
    """The FreeSWITCH dialplan file for the features: ``conf/dialplan/ccswitch-features.xml`` (the vanilla
    freeswitch.xml includes ``dialplan/*.xml``); ``config/freeswitch/ccswitch-features.xml`` is this text."""
    codes = ", ".join(f"*{digit} {feature}" for feature, digit in keys.items())
    lines = [
        "<!-- ccswitch desk-phone feature codes: install as conf/dialplan/ccswitch-features.xml, then reloadxml.",
        f"     Agent legs bind {codes} to these extensions (bind_meta_app); each fires",
        f"     CUSTOM {FEATURE_EVENT} on the agent's leg for the controller. -->",
        "<include>",
        f'  <context name="{FEATURE_CONTEXT}">',
    ]
    for feature in keys:
        name = extension(feature)
        lines += [
            f'    <extension name="{name}">',
            f'      <condition field="destination_number" expression="^{name}$">',
            *([f'        <action application="read" data="{READ_DESTINATION}"/>']
              if feature in DESTINATION_FEATURES else []),
            f'        <action application="event" data="{event_data(feature)}"/>',
            "      </condition>",
            "    </extension>",
        ]
    lines += ["  </context>", "</include>"]
    return "\n".join(lines) + "\n"
