"""Every ESL command ccswitch sends, built in one place from validated values.

Theory of operation
===================
Nothing that a caller, a webhook or a YAML file supplies is pasted into a command unchecked. Identifiers
(uuids, variable names, endpoints, sound paths, hang-up causes) go through a validator that raises
``UnsafeValueError`` naming the value's role. Caller-controlled text (SIP display name and number) is
*sanitised* instead, so a weird display name never fails a call. Builders return the command text without the
trailing blank line (the connection appends ``"\\n\\n"``); ``uuid_*``/``originate``/``show`` builders return
the API command, to be wrapped by ``api()`` or ``bgapi()``.

What FreeSWITCH does with the text (signalwire/freeswitch master cc93a68, the build the traces come from):

- **Framing** (mod_event_socket.c ``read_packet``): a command ends at the first empty line (two ``\\n`` with
  only ``\\r`` between). The first line is the command; every further ``name: value`` line is a header
  (leading spaces of the value dropped). So one ``\\n`` in a value adds a header (``Job-UUID``,
  ``console_execute``...) and ``\\n\\n`` starts a second command: no value may contain CR, LF or any control
  character. ``api``/``bgapi`` split the command at its first space; ``bgapi`` takes our ``Job-UUID`` header
  (copied into a 37-byte buffer).
- **sendmsg** (mod_event_socket.c ``parse_command``, switch_ivr.c ``switch_ivr_parse_event``): ``sendmsg
  <uuid>`` then ``call-command: execute``, ``execute-app-name``, ``execute-app-arg`` (one header line; a
  longer or multi-line argument could go in a ``Content-Type: text/plain`` + ``Content-Length`` body instead,
  we never need it), ``loops`` (-1 = forever; ``atoi``, each repeat a new application), ``event-lock``, and
  ``Event-UUID``, which comes back as ``Application-UUID`` on ``CHANNEL_EXECUTE_COMPLETE`` (of every repeat).
  The message is queued on the channel and runs wherever the session next looks at its queue: inside the
  application playing then (every media loop calls ``switch_ivr_parse_all_events``), which waits until it returns.
  ``event-lock: true`` keeps the queue closed while the app runs (switch_core_session.c
  ``switch_core_session_dequeue_private_event``, CF_EVENT_LOCK), so locked messages sent back to back run one after
  another (fs-traces j). ``call-command: hangup`` takes ``hangup-cause``.
- **Variable expansion** (switch_core_session.c ``switch_core_session_execute_application_get_flags`` ->
  switch_channel.c ``switch_channel_expand_variables_check``): *every* application argument (sendmsg execute,
  each app of an inline dialplan, ``&app(arg)`` of originate) is expanded: ``${var}``, ``$${global}``, and
  ``${api(args)}`` which runs an API command (``${system(rm -rf /)}``). Expanded values are expanded again,
  recursively. ``\\$`` and ``\\'`` are unescaped there, and an argument starting ``%[`` or ``%<c>[`` sets
  scoped variables. API arguments themselves (``uuid_setvar`` values, originate's dial string) are not
  expanded, but a value stored in a channel variable is expanded wherever ``${that_var}`` is used later.
  Hence: no ``$`` from a caller anywhere, no ``${`` in any argument, no leading ``%``.
- **Splitting** (switch_utils.c ``switch_separate_string``): the API commands split their argument on spaces
  (``separate_string_blank_delim``): a single quote toggles quoting (no look-ahead), ``\\`` protects the next
  char; then each part is cleaned (``cleanup_separated_string``): matching quotes removed, ``\\'`` ``\\"``
  ``\\\\`` ``\\n`` ``\\r`` ``\\t`` ``\\s`` unescaped, leading/trailing spaces trimmed. Past the command's
  ``argv`` size the rest of the line is the last argument. Non-space delimiters
  (``separate_string_char_delim``) honour a quote only if a closing one follows. A buffer that starts with
  ``^^<c>`` switches the delimiter to ``<c>``. Because quotes and backslashes are consumed at every layer,
  none of our values contains ``'``, ``"`` or ``\\``; an argument with spaces is wrapped in single quotes as a
  whole.
- **uuid_transfer** (mod_commands.c ``transfer_function``): ``<uuid> [-bleg|-both] <dest> [<dialplan>]
  [<context>]``, space-split into at most 5 parts; a destination starting with ``-`` is read as the leg flag.
- **inline dialplan** (mod_dptools.c ``inline_dialplan_hunt``): ``app:arg,app:arg``; ``m:<c>:`` first picks
  another delimiter (we use ``m:^:`` so the commas of a ``{}`` block survive). Each entry is split at its
  first ``:`` into app and argument. So ``^`` may not occur in any app argument of the list.
- **Dial strings** (switch_ivr_originate.c ``switch_ivr_originate``, switch_event.c
  ``switch_event_create_brackets``): ``<...>`` then ``{...}`` blocks (variables for every leg) are cut off
  first; the block ends at the matching ``}`` by counting braces, ignoring quotes (switch_utils.c
  ``switch_find_end_paren``), so a ``}`` in a value ends the block early and a ``{`` swallows the endpoint.
  Inside, variables split on ``,`` (``'...'`` and ``\\,`` protect one; ``^^<c>`` at the start picks another
  delimiter), each then split once on ``=`` (``=`` in a value is fine), quotes/escapes removed and ends
  trimmed. What remains is split on ``|`` (failover) and ``,`` (simultaneous legs); a leg may start with
  ``[...]`` per-leg variables, parsed the same way after ``,`` inside it were protected (a ``|`` there splits
  the leg). A dial string that contains ``:_:`` anywhere is an "enterprise" originate split on it. So a value
  may not contain ``, { } [ ] < > | ^ ' " \\ $`` nor ``:_:``; we validate rather than escape.
- **bridge** (mod_dptools.c ``audio_bridge_function``, switch_channel.c ``switch_channel_handle_cause``): when
  the originate fails, ``originate_failed_cause``, ``originate_disposition`` (the cause name) and
  ``DIALSTATUS`` (``NOANSWER``, ``BUSY``, ``DONTCALL``, ``CANCEL``, ``INVALIDARGS`` or the cause) are set on
  the caller, and the caller is **hung up** with that cause unless ``continue_on_fail`` (``true`` or a list of
  causes) lets the dialplan go on; without the variable only NO_ANSWER / NO_USER_RESPONSE / ORIGINATOR_CANCEL
  continue. After a successful bridge ends (switch_ivr_bridge.c ``switch_ivr_multi_threaded_bridge``)
  ``hangup_after_bridge=true`` hangs the caller up with the agent leg's cause; otherwise the dialplan
  continues. FreeSWITCH has no ``bridge_hangup_cause``; the partner of a leg that hangs up gets
  ``last_bridge_hangup_cause``.
- **play_and_get_digits** (mod_dptools.c ``play_and_get_digits_function``): space-split ``min max tries
  timeout terminators file invalid_file var_name regexp [digit_timeout] [transfer_on_failure]``. The digits
  land in the channel variable ``var_name`` (``<var_name>_invalid`` holds input that failed the regexp) and
  ``read_result`` is ``success``/``timeout``/``failure`` (switch_ivr_play_say.c ``switch_ivr_read``); both
  ride on the ``CHANNEL_EXECUTE_COMPLETE`` event as ``variable_*`` headers. An empty argument is written
  ``''``.
- **Other APIs** (mod_commands.c): ``uuid_kill <uuid> [cause]``, ``uuid_break <uuid> [all]`` (``all`` also
  drops queued sendmsg applications), ``uuid_answer <uuid>``, ``uuid_bridge <a> <b>``, ``uuid_setvar <uuid>
  <var> [value]`` (the value is the rest of the line), ``uuid_getvar <uuid> <var>``, ``uuid_exists <uuid>``,
  ``uuid_broadcast <uuid> <path> [aleg|bleg|both]`` (a path containing ``::`` names another app),
  ``uuid_record <uuid> start|stop <path>``, ``originate <dialstring> <&app(arg)|exten> [dialplan] [context]
  ...`` (space-split; the app argument ends at the first ``)``), ``show channels as json``.
- **Uuids**: a channel uuid (also ``origination_uuid``) and a ``Job-UUID`` are copied into 37-byte buffers
  (switch_core_session.c ``switch_core_session_set_uuid``), so longer ones would be silently cut: max 36
  chars.

connect_agent: the events a caller sees
=======================================
``connect_agent`` makes the parked caller's own channel run (one command, the fastest path measured in
REAL-FS-NOTES.md)::

    uuid_transfer <call> 'm:^:multiset:continue_on_fail=true hangup_after_bridge=true
        ^bridge:{origination_uuid=<leg>,leg_timeout=<s>,origination_caller_id_name=<name>,
        origination_caller_id_number=<number>,ignore_early_media=true,<extra vars>}<endpoint>^park' inline

(one line; the caller ID variables are left out when nothing of the caller's text survives)

Common start (caller C, agent leg L): C ``CHANNEL_UNPARK``, C ``CHANNEL_EXECUTE_COMPLETE`` (park), C
``CHANNEL_STATE`` CS_ROUTING then CS_EXECUTE, C ``CHANNEL_EXECUTE``/``CHANNEL_EXECUTE_COMPLETE`` (multiset), C
``CHANNEL_EXECUTE`` (bridge); then, if the endpoint resolves to a leg, L ``CHANNEL_CREATE`` (Unique-ID =
``<leg>``), L ``CHANNEL_ORIGINATE``, L ``CHANNEL_PROGRESS`` while it rings.

1. Agent answers: L ``CHANNEL_ANSWER``, C ``CHANNEL_ANSWER`` (if C was not answered yet), C ``CHANNEL_BRIDGE``
   (Other-Leg-Unique-ID = L). When the agent hangs up: L ``CHANNEL_HANGUP``, C ``CHANNEL_UNBRIDGE``, L
   ``CHANNEL_HANGUP_COMPLETE``, C ``CHANNEL_HANGUP`` with L's cause (hangup_after_bridge), C
   ``CHANNEL_EXECUTE_COMPLETE`` (bridge), C ``CHANNEL_HANGUP_COMPLETE``; no ``CHANNEL_PARK``. When the caller
   hangs up first: C ``CHANNEL_HANGUP``, C ``CHANNEL_UNBRIDGE``, L ``CHANNEL_HANGUP`` (NORMAL_CLEARING), both
   ``CHANNEL_HANGUP_COMPLETE``.
2. Bridge fails (no answer within ``leg_timeout`` -> NO_ANSWER, USER_BUSY, CALL_REJECTED, USER_NOT_REGISTERED
   with no leg at all, ...): L ``CHANNEL_HANGUP``/``CHANNEL_HANGUP_COMPLETE`` (if L existed), C
   ``CHANNEL_EXECUTE_COMPLETE`` (bridge) carrying ``variable_originate_disposition`` = the cause,
   ``variable_DIALSTATUS`` and ``variable_originate_failed_cause``; C stays up (continue_on_fail), C
   ``CHANNEL_EXECUTE`` (park), C ``CHANNEL_PARK``: the call is back with the controller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ccswitch.errors import UnsafeValueError
from ccswitch.validators import CALLER_ID_MAX_CHARS as CALLER_ID_MAX_CHARS
from ccswitch.validators import CALLER_ID_PUNCTUATION as CALLER_ID_PUNCTUATION
from ccswitch.validators import NAME as _NAME
from ccswitch.validators import VAR_NAME as _VAR_NAME
from ccswitch.validators import DialString as DialString
from ccswitch.validators import caller_id_text as caller_id_text
from ccswitch.validators import chat_address as chat_address
from ccswitch.validators import chat_text as chat_text
from ccswitch.validators import dial_endpoint as dial_endpoint
from ccswitch.validators import dial_string as dial_string
from ccswitch.validators import dialplan_context
from ccswitch.validators import extension as extension
from ccswitch.validators import gateway as gateway
from ccswitch.validators import hangup_cause as hangup_cause
from ccswitch.validators import matching as _matching
from ccswitch.validators import unsafe as _unsafe
from ccswitch.validators import uuid as uuid
from ccswitch.validators import var_name as var_name
from ccswitch.validators import var_value as var_value
from ccswitch.validators import variable_pairs as _var_pairs

_DIGITS = re.compile(r"[0-9*#A-D]{1,64}")
_TERMINATORS = re.compile(r"[0-9*#]{1,12}")
_APP = re.compile(r"[a-z][a-z0-9_]{0,63}")
_PHONE = re.compile(r"\+?[0-9]{3,20}")
_PHONE_ALLOWED = "3-20 digits, optionally after '+'"
_EVENT_NAME = re.compile(r"[A-Za-z0-9_]+(::[A-Za-z0-9_-]+)*")
_CONTROL_CHAR = re.compile(r"[\x00-\x1f\x7f]")
_SEGMENT = r"[A-Za-z0-9_.+@=-]+"
_FILE_PATH = re.compile(rf"/?{_SEGMENT}(/{_SEGMENT})*")
_SOUND_STREAM = re.compile(
    r"local_stream://[A-Za-z0-9_.-]+"
    r"|silence_stream://-?[0-9]{1,7}(,[0-9]{1,5})?"
    r"|tone_stream://[A-Za-z0-9%(),.;=+#*-]{1,256}"
)
_DIGITS_REGEXP = re.compile(r"[0-9*#A-D|()\[\]^.+?{},-]|\\d")  # one token: a char, or the class \d
_MAX_PATH_CHARS = 512

# Variables connect_agent sets itself; extra_vars may not override them.
_CONNECT_AGENT_VARS = frozenset(
    {
        "origination_uuid",
        "leg_timeout",
        "origination_caller_id_name",
        "origination_caller_id_number",
        "ignore_early_media",
        "leg_delay_start",
        "group_confirm_key",
        "group_confirm_file",
        "group_confirm_timeout",
    }
)
_EMPTY_ARG = "''"  # an empty positional argument in a space-split list


# Validators (more in ``ccswitch.validators``, re-exported above)


def digits(value: str, role: str = "DTMF digits") -> str:
    return _matching(_DIGITS, value, role, "1-64 of 0-9 * # A-D")


def sound_path(value: str, role: str = "sound path") -> str:
    """A file path (absolute, or relative to the switch's sound prefix) or a local_/silence_/tone_stream URL.

    No whitespace, quotes, ``{}``, ``$``, ``^``, ``::`` or ``,`` (only ``silence_stream://ms,noise`` and
    ``tone_stream://%(on,off,hz)`` have commas): it is one space-split argument and can be an app argument.
    """
    if (
        isinstance(value, str)
        and len(value) <= _MAX_PATH_CHARS
        and (_SOUND_STREAM.fullmatch(value) or _FILE_PATH.fullmatch(value))
    ):
        return value
    raise _unsafe(
        role,
        value,
        "a file path of letters, digits and _ . + @ = - / or a local_stream://, "
        "silence_stream:// or tone_stream:// URL",
    )


def _file_path(value: str, role: str) -> str:
    if isinstance(value, str) and len(value) <= _MAX_PATH_CHARS and _FILE_PATH.fullmatch(value):
        return value
    raise _unsafe(role, value, "a file path of letters, digits and _ . + @ = - /")






def _one_line(value: str, role: str) -> str:
    """Non-empty text without control characters: it can neither end the command nor add a header line."""
    if not isinstance(value, str) or not value or _CONTROL_CHAR.search(value):  # (a regex: every command passes here)
        raise _unsafe(role, value, "one non-empty line without control characters")
    return value


def _app_arg(value: str, role: str) -> str:
    """An application argument: one header line that variable expansion leaves as it is."""
    _one_line(value, role)
    if "${" in value or value.startswith((" ", "%")):
        raise _unsafe(role, value, "no '${', no leading space or '%'")
    return value


def _blank_arg(value: str, role: str) -> str:
    """One argument of a space-split API command: quoted as a whole when it contains spaces."""
    _one_line(value, role)
    if "'" in value or "\\" in value or value != value.strip(" "):
        raise _unsafe(role, value, "no quotes, backslashes, or leading/trailing spaces")
    return f"'{value}'" if " " in value else value


def _int_in(value: int, low: int, high: int, role: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _unsafe(role, value, f"an integer from {low} to {high}")
    return value


# Connection-level commands


def auth(password: str) -> str:
    return f"auth {_one_line(password, 'ESL password')}"


def event_plain(names: Iterable[str]) -> str:
    """``event plain A B CUSTOM sub::class``; names are single words."""
    words = [_matching(_EVENT_NAME, name, "event name", "NAME or sub::class") for name in names]
    if not words:
        raise UnsafeValueError("event subscription needs at least one event name")
    return "event plain " + " ".join(words)


def api(command: str) -> str:
    return f"api {_one_line(command, 'API command')}"


def bgapi(command: str, job_uuid: str) -> str:
    return f"bgapi {_one_line(command, 'API command')}\nJob-UUID: {uuid(job_uuid, 'job uuid')}"


# API commands: wrap them in api() or bgapi()


def uuid_answer(channel_uuid: str) -> str:
    return f"uuid_answer {uuid(channel_uuid)}"


def uuid_kill(channel_uuid: str, cause: str = "NORMAL_CLEARING") -> str:
    return f"uuid_kill {uuid(channel_uuid)} {hangup_cause(cause)}"


def sched_del(group: str) -> str:
    """Cancel the scheduled tasks of a group. A channel's ``sched_transfer`` tasks are grouped under its uuid
    (switch_ivr_async.c, switch_ivr_schedule_transfer), so ``sched_del <uuid>`` cancels the dialplan's fallback."""
    return f"sched_del {uuid(group, 'scheduler group')}"


def uuid_break(channel_uuid: str) -> str:
    """Stop what the channel plays, and drop media applications queued behind it (``all``)."""
    return f"uuid_break {uuid(channel_uuid)} all"


def uuid_bridge(a_uuid: str, b_uuid: str) -> str:
    return f"uuid_bridge {uuid(a_uuid, 'A-leg uuid')} {uuid(b_uuid, 'B-leg uuid')}"


def uuid_transfer(channel_uuid: str, destination: str, context: str, dialplan: str = "XML") -> str:
    return (
        f"uuid_transfer {uuid(channel_uuid)} {extension(destination, 'transfer destination')} "
        f"{_matching(_NAME, dialplan, 'dialplan', 'a dialplan name')} "
        f"{dialplan_context(context)}"
    )


def uuid_setvar(channel_uuid: str, name: str, value: str | None) -> str:
    """Set (or, with ``value=None``, unset) a channel variable."""
    command = f"uuid_setvar {uuid(channel_uuid)} {var_name(name)}"
    if value is None:
        return command
    return f"{command} {_blank_arg(var_value(value), 'channel variable value')}"


def uuid_getvar(channel_uuid: str, name: str) -> str:
    return f"uuid_getvar {uuid(channel_uuid)} {var_name(name)}"


def uuid_exists(channel_uuid: str) -> str:
    return f"uuid_exists {uuid(channel_uuid)}"


def uuid_broadcast(channel_uuid: str, path: str, leg: str = "aleg") -> str:
    if leg not in ("aleg", "bleg", "both"):
        raise _unsafe("broadcast leg", leg, "aleg, bleg or both")
    return f"uuid_broadcast {uuid(channel_uuid)} {sound_path(path)} {leg}"


def uuid_record(channel_uuid: str, action: str, path: str) -> str:
    if action not in ("start", "stop"):
        raise _unsafe("record action", action, "start or stop")
    return f"uuid_record {uuid(channel_uuid)} {action} {_file_path(path, 'recording path')}"


def show_channels_json() -> str:
    return "show channels as json"


_MODULE = re.compile(r"mod_[a-z0-9_]+")


def module_exists(module: str) -> str:
    """``module_exists mod_x``: answered plain ``true`` or ``false`` (mod_commands.c; trace m)."""
    return f"module_exists {_matching(_MODULE, module, 'module name', 'mod_ and lower-case letters, digits, _')}"


def chat(from_address: str, to_address: str, text: str, content_type: str = "text/plain") -> str:
    """``chat <proto>|<from>|<to>|<message>|[<content-type>]`` (mod_dptools.c chat_api_function): a SIP MESSAGE
    through sofia, proto ``sip``. The argument is split on ``|`` into at most five fields, so a ``|`` in the text
    would cut it short and make its rest the content type: every field is validated. ``to`` names the sofia
    profile (``internal/1000@host``; a bare ``user@host`` is read as profile ``host``). It blocks until the
    endpoint answers (send it with ``bgapi``): ``Sent`` after a 2xx, else ``Error! Message Not Sent``
    (``Invalid`` for fewer than 4 fields; fs-traces o)."""
    if content_type not in ("text/plain", "text/html"):
        raise _unsafe("content type", content_type, "text/plain or text/html")
    return (f"chat sip|{chat_address(from_address, 'chat from')}|{chat_address(to_address, 'chat to')}|"
            f"{chat_text(text)}|{content_type}")


def status() -> str:
    """mod_commands status_function: uptime, sessions now, per second and their limits (``admission.limits_of``)."""
    return "status"




def originate(dial: DialString, app: str, app_arg: str = "") -> str:
    """``originate <dial string> &app(arg)``: the new leg runs ``app`` once answered."""
    app = _matching(_APP, app, "application", "a lower-case application name")
    if app_arg:
        _app_arg(app_arg, "originate application argument")
        # mod_commands.c originate_function: the argument ends at the first ')'
        if "(" in app_arg or ")" in app_arg:
            raise _unsafe("originate application argument", app_arg, "no parentheses")
    dial_arg = _blank_arg(_app_arg(dial, "dial string"), "dial string")
    return f"originate {dial_arg} {_blank_arg(f'&{app}({app_arg})', 'originate application')}"


def _inline_dialplan(apps: Sequence[tuple[str, str]]) -> str:
    """``m:^:app:arg^app`` for the inline dialplan: no ``^`` (the delimiter), quote or backslash in an arg."""
    entries = []
    for app, arg in apps:
        _matching(_APP, app, "application", "a lower-case application name")
        if arg:
            _app_arg(arg, f"{app} argument")
            if "^" in arg or "'" in arg or "\\" in arg:
                raise _unsafe(f"{app} argument", arg, "no ^, quotes or backslashes inside an inline dialplan")
        entries.append(f"{app}:{arg}" if arg else app)
    return "m:^:" + "^".join(entries)


_FEATURE_EXTENSION = re.compile(r"[a-z][a-z0-9_]{0,39}")


def feature_code_vars(extensions: Mapping[str, str], context: str) -> dict[str, str]:
    """Channel variables that give an agent leg its desk-phone feature codes (``ccswitch.feature_codes``): for
    each ``extension`` bound to ``digit``, ``execute_on_answer_<extension>=bind_meta_app <digit> a s
    execute_extension::<extension> XML <context>``.

    - switch_channel.c switch_channel_execute_on runs, when the leg is answered, every variable whose name starts
      with ``execute_on_answer``; switch_channel_execute_on_value splits the value at its first space (a ``::``
      before it would run the app asynchronously) and runs ``bind_meta_app`` with the rest.
    - mod_dptools.c dtmf_bind_function blank-splits that into ``<key> <listen> <run> <app>``, the fourth keeping
      the rest of the line; switch_ivr_async.c switch_ivr_bind_dtmf_meta_session takes keys 0-13, we bind 0-9.
    - switch_ivr_async.c switch_ivr_broadcast splits the bound ``app::arg`` at ``::``; mod_dptools.c
      exe_function blank-splits ``<extension> <dialplan> <context>``.

    The value has spaces and ``:`` but no ``,`` ``'`` ``\\`` ``^`` ``$`` or braces, so ``var_value`` passes it
    into a ``{}``/``[]`` block, a quoted api argument and an ``m:^:`` inline dialplan unchanged.
    """
    context = _matching(_NAME, context, "feature code context", "a context name")
    digits_seen: set[str] = set()
    variables = {}
    for name, digit in extensions.items():
        _matching(_FEATURE_EXTENSION, name, "feature code extension", "1-40 of a-z 0-9 _, starting with a letter")
        if not isinstance(digit, str) or len(digit) != 1 or digit not in "0123456789" or digit in digits_seen:
            raise _unsafe(f"key of {name}", digit, "one digit 0-9, each extension its own")
        digits_seen.add(digit)
        app = f"bind_meta_app {digit} a s execute_extension::{name} XML {context}"
        variables[var_name(f"execute_on_answer_{name}")] = var_value(app, f"{name} feature code")
    return variables


@dataclass(frozen=True, slots=True)
class AgentDial:
    """One agent leg of ``connect_agent``: its endpoint, the uuid it gets, how long after the first leg it starts
    ringing (ring-progressively) and its own channel variables (e.g. ``cc_agent``)."""

    endpoint: str
    leg_uuid: str
    delay_s: int = 0
    variables: Mapping[str, str] = field(default_factory=dict)


def connect_agent(
    call_uuid: str,
    legs: Sequence[AgentDial],
    ring_timeout_s: int,
    caller_id_name: str,
    caller_id_number: str,
    extra_vars: Mapping[str, str],
    ringback: str = "local_stream://moh",
    agent_announcement: str | None = None,
) -> str:
    """Bridge a parked caller to whichever agent answers first, from the caller's own channel (events: see the
    module docstring). Several legs ring at once (``,`` between them), each delayed by ``leg_delay_start``.

    The caller ID arguments are raw caller text: they are sanitised with ``caller_id_text`` and left out when
    nothing survives. ``extra_vars`` (e.g. cc_queue) go to every leg; they are validated config/our values.
    Per-leg variables go in a ``[...]`` block before each endpoint (switch_ivr_originate.c merges it into that
    leg's variables, ``origination_uuid`` included). ``ringback`` is what the (already answered) caller hears
    while the phones ring: an answered A-leg gets ``transfer_ringback`` rather than ``ringback``
    (switch_ivr_originate.c, switch_ivr_originate).

    ``agent_announcement`` (a sound path) is played to the agent who answers before the caller is connected, the
    caller hearing ringback meanwhile: per-leg ``group_confirm_key=exec`` runs ``group_confirm_file`` ("app arg")
    on the answered leg, which wins only once it completes with the agent still there (switch_ivr_originate.c
    check_channel_status, collect_thread_run); ``group_confirm_timeout=0`` lifts the leg's ring timeout meanwhile.
    mod_callcenter plays its ``cc_outbound_announce`` the same way, between the agent's answer and the bridge.
    """
    if not legs:
        raise UnsafeValueError("connect_agent needs at least one agent leg")
    ringback = var_value(sound_path(ringback, "ringback"), "ringback")
    clashing = sorted(_CONNECT_AGENT_VARS.intersection({*extra_vars, *(n for leg in legs for n in leg.variables)}))
    if clashing:
        raise UnsafeValueError(f"extra_vars may not override {', '.join(clashing)}: connect_agent sets them")
    caller_id = {
        "origination_caller_id_name": caller_id_text(caller_id_name),
        "origination_caller_id_number": caller_id_text(caller_id_number),
    }
    shared = {**{name: text for name, text in caller_id.items() if text}, "ignore_early_media": "true", **extra_vars}
    timeout = str(_int_in(ring_timeout_s, 1, 600, "ring timeout (s)"))
    confirm = {} if agent_announcement is None else {
        "group_confirm_key": "exec",
        "group_confirm_file": f"playback {sound_path(agent_announcement, 'agent announcement')}",
        "group_confirm_timeout": "0",
    }
    dials = []
    for leg in legs:
        leg_vars = {"origination_uuid": uuid(leg.leg_uuid, "agent leg uuid"), "leg_timeout": timeout, **confirm}
        if leg.delay_s:
            leg_vars["leg_delay_start"] = str(_int_in(leg.delay_s, 0, 600, "leg delay (s)"))
        dials.append(f"[{_var_pairs({**leg_vars, **leg.variables})}]{dial_endpoint(leg.endpoint)}")
    dial = f"{{{_var_pairs(shared)}}}{','.join(dials)}"
    apps = _inline_dialplan(
        [
            ("multiset", f"continue_on_fail=true hangup_after_bridge=true transfer_ringback={ringback}"),
            ("bridge", dial),
            ("park", ""),
        ]
    )
    return f"uuid_transfer {uuid(call_uuid, 'call uuid')} {_blank_arg(apps, 'inline dialplan')} inline"


# sendmsg: commands for one channel


def sendmsg_execute(
    channel_uuid: str,
    app: str,
    arg: str,
    event_uuid: str | None,
    event_lock: bool = False,
    loops: int | None = None,
) -> str:
    """Run ``app(arg)`` on the channel; ``event_uuid`` returns as ``Application-UUID``; loops=-1 repeats;
    ``event_lock``: nothing else queued on the channel starts while it runs."""
    lines = [
        f"sendmsg {uuid(channel_uuid)}",
        "call-command: execute",
        f"execute-app-name: {_matching(_APP, app, 'application', 'a lower-case application name')}",
    ]
    if arg:
        lines.append(f"execute-app-arg: {_app_arg(arg, f'{app} argument')}")
    if event_uuid is not None:
        lines.append(f"Event-UUID: {uuid(event_uuid, 'event uuid')}")
    if event_lock:
        lines.append("event-lock: true")
    if loops is not None:
        if loops != -1:
            _int_in(loops, 1, 10_000, "loops")
        lines.append(f"loops: {loops}")
    return "\n".join(lines)


def record_arg(path: str, max_s: int) -> str:
    """``record``'s argument: ``<path> <time_limit_secs> <silence_thresh> <silence_hits>`` (mod_dptools.c
    record_function): stop after ``max_s`` or 3 s of silence (energy below 200), as voicemail does."""
    return f"{_file_path(path, 'message path')} {_int_in(max_s, 1, 3600, 'message length (s)')} 200 3"


def file_string(paths: Sequence[str]) -> str:
    """One playable path for several files, played in order: ``file_string://a.wav!b.wav`` (mod_dptools'
    file_string format; ``!`` separates the files, so no path may contain one)."""
    if not paths:
        raise _unsafe("file list", "", "at least one file")
    return "file_string://" + "!".join(_file_path(path, "sound file") for path in paths)


def dial_out_arg(callee_leg: str, gateway_name: str, number: str, caller_id_number: str, ring_timeout_s: int) -> str:
    """``bridge``'s argument to dial ``number`` through a sofia gateway from a parked channel (e.g. the agent's
    leg of a callback). What happens after the bridge (``continue_on_fail``, ``hangup_after_bridge``) is read from
    the dialling channel, so it is set there, not here."""
    variables = {
        "origination_uuid": uuid(callee_leg, "callee leg uuid"),
        "origination_caller_id_number": _matching(_PHONE, caller_id_number, "caller ID number", _PHONE_ALLOWED),
        "originate_timeout": str(_int_in(ring_timeout_s, 1, 600, "ring timeout (s)")),
    }
    endpoint = f"sofia/gateway/{gateway(gateway_name)}/{_matching(_PHONE, number, 'number to dial', _PHONE_ALLOWED)}"
    return f"{{{_var_pairs(variables)}}}{dial_endpoint(endpoint)}"


def sendmsg_hangup(channel_uuid: str, cause: str = "NORMAL_CLEARING") -> str:
    return f"sendmsg {uuid(channel_uuid)}\ncall-command: hangup\nhangup-cause: {hangup_cause(cause)}"


def _digits_regexp(value: str) -> str:
    """A digits regexp for play_and_get_digits: ``\\d`` is the only escape, ``$`` only at the very end."""
    body = value.removesuffix("$") if isinstance(value, str) else ""
    if not body or len(value) > 128 or "".join(_DIGITS_REGEXP.findall(body)) != body:
        raise _unsafe("digits regexp", value, "0-9 * # A-D | ( ) [ ] ^ . + ? { } , - and \\d; '$' at the end")
    return value


def play_and_get_digits_arg(
    *,
    min_digits: int,
    max_digits: int,
    tries: int,
    timeout_ms: int,
    terminators: str,
    file: str,
    invalid_file: str | None,
    var_name: str,
    regexp: str | None,
    digit_timeout_ms: int,
) -> str:
    """The argument of ``play_and_get_digits`` (for ``sendmsg_execute``); the digits land in ``var_name``."""
    _int_in(min_digits, 0, 128, "min digits")
    _int_in(max_digits, max(min_digits, 1), 128, "max digits")
    return " ".join(
        [
            str(min_digits),
            str(max_digits),
            str(_int_in(tries, 1, 100, "tries")),
            str(_int_in(timeout_ms, 1, 600_000, "digit timeout (ms)")),
            _matching(_TERMINATORS, terminators, "terminators", "1-12 of 0-9 * #"),
            sound_path(file, "prompt sound path"),
            _EMPTY_ARG if invalid_file is None else sound_path(invalid_file, "invalid-input sound path"),
            _matching(_VAR_NAME, var_name, "digits variable name", "[A-Za-z_][A-Za-z0-9_]*"),
            _EMPTY_ARG if regexp is None else _digits_regexp(regexp),
            str(_int_in(digit_timeout_ms, 1, 600_000, "inter-digit timeout (ms)")),
        ]
    )


# Live call control: recording, hold, mute, transfers, supervisor monitoring (ccswitch.media decides when)


def uuid_record_start(channel_uuid: str, path: str, stereo: bool) -> str:
    """Record the channel into ``path``; FreeSWITCH creates missing directories itself (switch_ivr_async.c
    switch_ivr_record_session_event, switch_dir_make_recursive).

    mod_commands.c session_record_function: ``<uuid> start <path> [<limit>] [<recording_vars>]``, space-split
    into 5; the ``{...}`` block is only read after a limit (0: none). Its variables win over the channel's
    (switch_ivr_async.c get_recording_var), so the layout never depends on what the channel happens to carry.
    Stereo (``RECORD_STEREO``) puts what the channel reads (its own party) left and what it hears right
    (switch_core_media_bug.c switch_core_media_bug_read).
    """
    layout = "true" if stereo else "false"
    return f"uuid_record {uuid(channel_uuid)} start {_file_path(path, 'recording path')} 0 {{RECORD_STEREO={layout}}}"


def uuid_record_mask(channel_uuid: str, path: str, masked: bool) -> str:
    """Write silence instead of audio while masked (``mask``), real audio again after ``unmask``.

    mod_commands.c session_record_function -> switch_ivr_async.c switch_ivr_record_session_mask sets SMBF_MASK:
    record_callback writes zeroed frames, so the file keeps its length and stereo channels stay aligned
    (``pause`` would drop the time instead and hide that something was cut).
    """
    return f"uuid_record {uuid(channel_uuid)} {'mask' if masked else 'unmask'} {_file_path(path, 'recording path')}"


def uuid_hold(channel_uuid: str, held: bool) -> str:
    """``uuid_hold [off] <uuid>`` (mod_commands.c uuid_hold_function; fs-traces d).

    switch_ivr.c switch_ivr_hold signals hold to *this* channel's phone and plays this channel's ``hold_music``
    to its bridged partner: hold the agent's leg for the caller to hear music. Holding a held channel (or
    releasing one that is not held) answers ``-ERR Operation failed``.
    """
    return f"uuid_hold {uuid(channel_uuid)}" if held else f"uuid_hold off {uuid(channel_uuid)}"


def uuid_audio_mute(channel_uuid: str, muted: bool) -> str:
    """Mute what the channel's phone sends (its read stream) or undo it.

    mod_commands.c session_audio_function: ``<uuid> start read mute <level>`` needs all five words; level 1 zeroes
    the frames (switch_ivr_async.c session_audio_callback: above 1 it would be comfort noise). ``stop`` removes
    the ``audio`` media bug.
    """
    return f"uuid_audio {uuid(channel_uuid)} start read mute 1" if muted else f"uuid_audio {uuid(channel_uuid)} stop"


def uuid_recv_dtmf(channel_uuid: str, dtmf: str) -> str:
    """Queue DTMF as if the channel's phone had sent it (mod_commands.c uuid_recv_dtmf_function ->
    switch_channel_queue_dtmf_string); ``uuid_send_dtmf`` would play it to the phone instead."""
    return f"uuid_recv_dtmf {uuid(channel_uuid)} {digits(dtmf)}"


def uuid_transfer_inline(channel_uuid: str, apps: Sequence[tuple[str, str]]) -> str:
    """Make the channel leave what it does (a bridge, park) and run ``apps`` in order (the inline dialplan).

    A channel taken out of a bridge this way is flagged CF_TRANSFER, so neither side's after-bridge rules hang
    it up; its former partner follows those rules (switch_ivr_bridge.c switch_ivr_multi_threaded_bridge and
    audio_bridge_on_exchange_media).
    """
    if not apps:
        raise UnsafeValueError("an inline dialplan needs at least one application")
    return f"uuid_transfer {uuid(channel_uuid)} {_blank_arg(_inline_dialplan(apps), 'inline dialplan')} inline"
