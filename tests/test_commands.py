"""ESL command builders: exact text, and no caller-supplied text can change a command's structure.

The injection suite parses every produced command back with a small model of FreeSWITCH's own parsing
(mod_event_socket.c read_packet, switch_utils.c switch_separate_string / cleanup_separated_string /
switch_find_end_paren, switch_event.c switch_event_create_brackets, mod_dptools.c inline_dialplan_hunt) and
checks that it has exactly the intended commands, headers, arguments, apps and variables.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

import pytest

from ccswitch.errors import UnsafeValueError
from ccswitch.esl import commands as c

CALL = "5de5ae67-f1bb-41e9-88d3-ef5467ae5aec"
LEG = "097a1df0-6ac5-44b0-921d-2fb249db963c"
JOB = "46cb5f2f-8b1c-4606-9244-40f4287f540c"


# A model of FreeSWITCH's parsing


def read_packets(wire: str) -> list[list[str]]:
    """mod_event_socket.c read_packet: a command ends at two LFs (CRs ignored); leading blank lines go."""
    packets: list[list[str]] = []
    current, newlines = "", 0
    for char in wire:
        if not current and char in "\r\n":
            continue
        current += char
        newlines = newlines + 1 if char == "\n" else newlines if char == "\r" else 0
        if newlines == 2:
            packets.append([line for line in re.split(r"[\r\n]+", current) if line])
            current, newlines = "", 0
    assert not current, f"unterminated command {current!r}"
    return packets


def cleanup(part: str, delim: str) -> str:
    """switch_utils.c cleanup_separated_string: drop matching quotes, unescape, trim spaces."""
    unescape = {"n": "\n", "r": "\r", "t": "\t", "s": " "}
    out: list[str] = []
    end = 0
    inside = False
    i = len(part) - len(part.lstrip(" "))
    while i < len(part):
        char = part[i]
        nxt = part[i + 1] if i + 1 < len(part) else ""
        if char == "\\" and nxt and (nxt in "'\"\\" or nxt == delim or nxt in unescape):
            out.append(unescape.get(nxt, nxt))
            end = len(out)
            i += 2
            continue
        if char == "'" and (inside or "'" in part[i + 1 :]):
            inside = not inside
            if inside:
                end = len(out)
        else:
            out.append(char)
            if char != " " or inside:
                end = len(out)
        i += 1
    return "".join(out[:end])


def separate(buf: str, delim: str, arraylen: int = 1024) -> list[str]:
    """switch_utils.c switch_separate_string (blank and char delimiters, ``^^<c>`` prefix)."""
    if buf.startswith("^^") and len(buf) >= 4:
        delim, buf = buf[2], buf[3:]
    parts: list[str] = []
    start: int | None = None
    inside = False
    i = 0
    while i < len(buf) and (len(parts) < arraylen or start is not None):
        if start is None:
            if delim == " " and buf[i] == " ":
                i += 1
                continue
            if len(parts) == arraylen - 1:
                parts.append(buf[i:])
                break
            start = i
        char = buf[i]
        if char == "\\":
            i += 1
        elif char == "'" and (delim == " " or inside or "'" in buf[i + 1 :]):
            inside = not inside
        elif char == delim and not inside:
            parts.append(buf[start:i])
            start = None
        i += 1
    else:
        if start is not None:
            parts.append(buf[start:])
    return [cleanup(part, "" if delim == " " else delim) for part in parts]


def find_end_paren(text: str, open_: str, close: str) -> int:
    depth = 0
    for i, char in enumerate(text):
        if char == open_:
            depth += 1
        elif char == close:
            depth -= 1
            if depth == 0:
                return i
    return -1


def parse_dial_string(dial: str) -> tuple[list[tuple[str, str]], str]:
    """switch_ivr_originate + switch_event_create_brackets: ``{...}`` blocks, then the endpoint(s)."""
    assert ":_:" not in dial, "would be an enterprise originate"
    variables: list[tuple[str, str]] = []
    while dial.startswith("{"):
        variables += parse_block(dial, "{", "}")
        dial = dial[find_end_paren(dial, "{", "}") + 1 :]
    return variables, dial


def parse_block(text: str, open_char: str, close_char: str) -> list[tuple[str, str]]:
    """The ``name=value`` pairs of the block ``text`` starts with."""
    end = find_end_paren(text, open_char, close_char)
    assert end > 0, f"unbalanced block in {text!r}"
    pairs = []
    for var in separate(text[1:end], ","):
        name_value = separate(var, "=", 2)
        if len(name_value) == 2:
            pairs.append((name_value[0], name_value[1]))
    return pairs


def parse_legs(endpoints: str) -> list[tuple[list[tuple[str, str]], str]]:
    """Simultaneous legs split on ``,`` outside ``[...]``, each with its ``[...]`` variables and its endpoint."""
    assert "|" not in endpoints, "a | would add a failover leg"
    legs = []
    while endpoints:
        assert endpoints.startswith("["), endpoints
        variables = parse_block(endpoints, "[", "]")
        endpoint, _, endpoints = endpoints[find_end_paren(endpoints, "[", "]") + 1 :].partition(",")
        legs.append((variables, endpoint))
    return legs


def parse_inline(target: str) -> list[tuple[str, str]]:
    """mod_dptools.c inline_dialplan_hunt."""
    delim = ","
    if target[:2] == "m:" and target[3:4] == ":":
        delim, target = target[2], target[4:]
    apps = []
    for entry in separate(target, delim, 128):
        app, _, arg = entry.partition(":")
        apps.append((app.lstrip(" "), arg))
    return apps


def single_api(wire_command: str) -> tuple[str, str]:
    """The one api command in ``wire_command``: (name, argument)."""
    packets = read_packets(wire_command + "\n\n")
    assert len(packets) == 1 and len(packets[0]) == 1, packets
    verb, _, rest = packets[0][0].partition(" ")
    assert verb == "api"
    name, _, arg = rest.partition(" ")
    return name, arg


# The model itself catches injections (so the suite below can fail)


def test_model_sees_what_a_naive_builder_would_let_through() -> None:
    naive = "{origination_caller_id_name=" + "a,cc_agent=9999}user/6666" + "}user/1000"
    variables, endpoint = parse_dial_string(naive)
    assert variables == [("origination_caller_id_name", "a"), ("cc_agent", "9999")]
    assert endpoint == "user/6666}user/1000"
    assert len(read_packets("api uuid_kill x\n\napi system rm\n\n")) == 2
    assert separate("uuid 'a b' ' c' d e f", " ", 5) == ["uuid", "a b", " c", "d", "e f"]
    assert parse_inline("m:^:set:a=1^bridge:{x='1,2'}user/1^park") == [
        ("set", "a=1"), ("bridge", "{x=1,2}user/1"), ("park", "")]


# Exact text


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (lambda: c.auth("ClueCon"), "auth ClueCon"),
        (lambda: c.event_plain(["CHANNEL_PARK", "CUSTOM", "callcenter::info"]),
         "event plain CHANNEL_PARK CUSTOM callcenter::info"),
        (lambda: c.api("status"), "api status"),
        (lambda: c.bgapi("status", JOB), f"bgapi status\nJob-UUID: {JOB}"),
        (lambda: c.uuid_answer(CALL), f"uuid_answer {CALL}"),
        (lambda: c.uuid_kill(CALL), f"uuid_kill {CALL} NORMAL_CLEARING"),
        (lambda: c.uuid_kill(CALL, "USER_BUSY"), f"uuid_kill {CALL} USER_BUSY"),
        (lambda: c.uuid_break(CALL), f"uuid_break {CALL} all"),
        (lambda: c.uuid_bridge(CALL, LEG), f"uuid_bridge {CALL} {LEG}"),
        (lambda: c.uuid_transfer(CALL, "9998", "default"), f"uuid_transfer {CALL} 9998 XML default"),
        (lambda: c.uuid_setvar(CALL, "cc_queue", "support line"),
         f"uuid_setvar {CALL} cc_queue 'support line'"),
        (lambda: c.uuid_setvar(CALL, "cc_queue", None), f"uuid_setvar {CALL} cc_queue"),
        (lambda: c.uuid_getvar(CALL, "sip_from_user"), f"uuid_getvar {CALL} sip_from_user"),
        (lambda: c.uuid_exists(CALL), f"uuid_exists {CALL}"),
        (lambda: c.uuid_broadcast(CALL, "tone_stream://%(500,500,440)"),
         f"uuid_broadcast {CALL} tone_stream://%(500,500,440) aleg"),
        (lambda: c.uuid_record(CALL, "start", f"/tmp/rec-{CALL}.wav"),
         f"uuid_record {CALL} start /tmp/rec-{CALL}.wav"),
        (lambda: c.show_channels_json(), "show channels as json"),
        (lambda: c.dial_string("user/1000@127.0.0.1", {}), "user/1000@127.0.0.1"),
        (lambda: c.originate(c.dial_string("sofia/external/2002@127.0.0.1:5090", {"origination_uuid": LEG}),
                             "park"),
         f"originate {{origination_uuid={LEG}}}sofia/external/2002@127.0.0.1:5090 &park()"),
        (lambda: c.originate(c.dial_string("user/1000", {"cc_queue": "support line"}), "playback", "a.wav"),
         "originate '{cc_queue=support line}user/1000' &playback(a.wav)"),
        (lambda: c.sendmsg_execute(CALL, "answer", "", event_uuid=None),
         f"sendmsg {CALL}\ncall-command: execute\nexecute-app-name: answer"),
        (lambda: c.sendmsg_execute(CALL, "playback", "local_stream://moh", JOB, event_lock=True, loops=-1),
         f"sendmsg {CALL}\ncall-command: execute\nexecute-app-name: playback\n"
         f"execute-app-arg: local_stream://moh\nEvent-UUID: {JOB}\nevent-lock: true\nloops: -1"),
        (lambda: c.sendmsg_hangup(CALL, "USER_BUSY"),
         f"sendmsg {CALL}\ncall-command: hangup\nhangup-cause: USER_BUSY"),
        (lambda: c.play_and_get_digits_arg(
            min_digits=1, max_digits=4, tries=3, timeout_ms=5000, terminators="#", file="ivr/menu.wav",
            invalid_file="ivr/invalid.wav", var_name="cc_digits", regexp=r"^\d+$", digit_timeout_ms=3000),
         r"1 4 3 5000 # ivr/menu.wav ivr/invalid.wav cc_digits ^\d+$ 3000"),
        (lambda: c.play_and_get_digits_arg(
            min_digits=1, max_digits=1, tries=1, timeout_ms=5000, terminators="#", file="silence_stream://250",
            invalid_file=None, var_name="cc_digits", regexp=None, digit_timeout_ms=3000),
         "1 1 1 5000 # silence_stream://250 '' cc_digits '' 3000"),
    ],
)
def test_builder_text(built: Callable[[], str], expected: str) -> None:
    assert built() == expected


def one_leg(endpoint: str = "user/1000") -> list[c.AgentDial]:
    return [c.AgentDial(endpoint, LEG, 0, {"cc_agent": "1000"})]


def test_connect_agent_exact_command() -> None:
    command = c.connect_agent(
        call_uuid=CALL, legs=one_leg("user/1000@127.0.0.1"), ring_timeout_s=20,
        caller_id_name="Zoë O'Brien, Jr.", caller_id_number="+79161234567", extra_vars={"cc_queue": "support"},
    )
    assert command == (
        f"uuid_transfer {CALL} 'm:^:multiset:continue_on_fail=true hangup_after_bridge=true"
        " transfer_ringback=local_stream://moh"
        "^bridge:{origination_caller_id_name=Zoë OBrien Jr.,origination_caller_id_number=+79161234567,"
        f"ignore_early_media=true,cc_queue=support}}[origination_uuid={LEG},leg_timeout=20,cc_agent=1000]"
        "user/1000@127.0.0.1^park' inline"
    )


def test_connect_agent_rings_several_agents_at_once_each_with_its_own_uuid_and_delay() -> None:
    other = "a-1f2e3d4c-0002"
    command = c.connect_agent(
        CALL, [c.AgentDial("user/1000", LEG), c.AgentDial("user/1001", other, 10, {"cc_agent": "1001"})],
        15, "Ivan", "79161234567", {}, ringback="local_stream://queue",
    )
    apps = parse_inline(separate(single_api(c.api(command))[1], " ", 5)[1])
    shared, endpoints = parse_dial_string(apps[1][1])
    assert shared == [("origination_caller_id_name", "Ivan"), ("origination_caller_id_number", "79161234567"),
                      ("ignore_early_media", "true")]
    assert parse_legs(endpoints) == [
        ([("origination_uuid", LEG), ("leg_timeout", "15")], "user/1000"),
        ([("origination_uuid", other), ("leg_timeout", "15"), ("leg_delay_start", "10"), ("cc_agent", "1001")],
         "user/1001"),
    ]
    assert "transfer_ringback=local_stream://queue" in apps[0][1]


def test_connect_agent_leaves_out_caller_id_that_did_not_survive() -> None:
    command = c.connect_agent(CALL, one_leg(), 20, "${}", "", {})
    assert "origination_caller_id" not in command


def test_connect_agent_refuses_extra_vars_that_override_its_own() -> None:
    with pytest.raises(UnsafeValueError, match="origination_uuid"):
        c.connect_agent(CALL, one_leg(), 20, "a", "1", {"origination_uuid": CALL})


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("John  Smith", "John Smith"),
        ("  Zoë\tO'Brien,\r\nJr. ", "Zoë OBrien Jr."),
        ("x%0AUnique-ID%3A%20victim-uuid", "x0AUnique-ID3A20victim-uuid"),
        ("${system(rm -rf /)}", "systemrm -rf"),
        ("Иван Петров 📞", "Иван Петров"),
        ("+7 (916) 123-45-67", "+7 916 123-45-67"),
        ("a" * 100, "a" * c.CALLER_ID_MAX_CHARS),
        ("", ""),
    ],
)
def test_caller_id_text(raw: str, clean: str) -> None:
    assert c.caller_id_text(raw) == clean


# Validators reject, naming the role


def digits_arg(**changes: Any) -> str:
    args: dict[str, Any] = {
        "min_digits": 1, "max_digits": 1, "tries": 1, "timeout_ms": 5000, "terminators": "#", "file": "a.wav",
        "invalid_file": None, "var_name": "d", "regexp": None, "digit_timeout_ms": 3000,
    }
    return c.play_and_get_digits_arg(**(args | changes))



@pytest.mark.parametrize(
    ("call", "role"),
    [
        (lambda: c.uuid("a b"), "channel uuid"),
        (lambda: c.uuid("x" * 37), "channel uuid"),
        (lambda: c.uuid("-bleg"), "channel uuid"),
        (lambda: c.digits("12 3"), "DTMF digits"),
        (lambda: c.extension("-both"), "extension"),
        (lambda: c.gateway("trunk/1"), "gateway"),
        (lambda: c.gateway(".hidden"), "gateway"),
        (lambda: c.gateway("my gw"), "gateway"),
        (lambda: c.sound_path("/tmp/a b.wav"), "sound path"),
        (lambda: c.sound_path("$${sounds_dir}/a.wav"), "sound path"),
        (lambda: c.sound_path("{loops=2}a.wav"), "sound path"),
        (lambda: c.sound_path("playback::/tmp/a.wav"), "sound path"),
        (lambda: c.sound_path("http://example.com/a.wav"), "sound path"),
        (lambda: c.var_name("1abc"), "channel variable name"),
        (lambda: c.var_value("a,b"), "channel variable value"),
        (lambda: c.var_value("a:_:b"), "channel variable value"),
        (lambda: c.var_value(" padded"), "channel variable value"),
        (lambda: c.dial_endpoint("user/1000|user/1001"), "dial endpoint"),
        (lambda: c.dial_endpoint("[leg_timeout=1]user/1000"), "dial endpoint"),
        (lambda: c.hangup_cause("normal clearing"), "hangup cause"),
        (lambda: c.api("status\nconsole_execute: true"), "API command"),
        (lambda: c.bgapi("status", "job\nx"), "job uuid"),
        (lambda: c.auth(""), "ESL password"),
        (lambda: c.event_plain(["CHANNEL_PARK\n\nexit"]), "event name"),
        (lambda: c.uuid_broadcast(CALL, "a.wav", "aleg bleg"), "broadcast leg"),
        (lambda: c.uuid_record(CALL, "start", "tone_stream://%(1,1,1)"), "recording path"),
        (lambda: c.sendmsg_execute(CALL, "playback", "${system(rm)}", None), "playback argument"),
        (lambda: c.sendmsg_execute(CALL, "set", "%[a=1]x", None), "set argument"),
        (lambda: c.sendmsg_execute(CALL, "play back", "a.wav", None), "application"),
        (lambda: c.sendmsg_execute(CALL, "playback", "a.wav", None, loops=0), "loops"),
        (lambda: c.originate(c.DialString("user/1000"), "playback", "tone_stream://%(1,1,1)"),
         "originate application argument"),
        (lambda: c.connect_agent(CALL, one_leg(), 0, "a", "1", {}), "ring timeout"),
        (lambda: c.connect_agent(CALL, one_leg(), 20, "a", "1", {"cc_queue": "a^park"}),
         "cc_queue value"),
        (lambda: digits_arg(terminators=""), "terminators"),
        (lambda: digits_arg(regexp="1${x}"), "digits regexp"),
        (lambda: digits_arg(regexp="\\s"), "digits regexp"),
        (lambda: digits_arg(min_digits=3, max_digits=2), "max digits"),
        (lambda: digits_arg(file="a b.wav"), "prompt sound path"),
    ],
)
def test_validators_reject_naming_the_role(call: Callable[[], object], role: str) -> None:
    with pytest.raises(UnsafeValueError, match=role.replace("(", r"\(")):
        call()


@pytest.mark.parametrize(
    "endpoint",
    ["user/1000", "user/1000@10.0.0.1", "sofia/gateway/trunk-1/+79161234567",
     "sofia/external/2000@127.0.0.1:5090", "loopback/9999/default/XML", "error/USER_BUSY"],
)
def test_dial_endpoints_accepted(endpoint: str) -> None:
    assert c.dial_endpoint(endpoint) == endpoint


@pytest.mark.parametrize("name", ["trunk", "trunk-1", "sip.example.com", "gw_2"])
def test_gateway_names_accepted(name: str) -> None:
    assert c.gateway(name) == name
    assert c.dial_endpoint(f"sofia/gateway/{name}/+79161234567")


@pytest.mark.parametrize(
    "path",
    ["/usr/share/sounds/ivr/welcome.wav", "ivr/ivr-welcome.wav", "local_stream://moh", "silence_stream://250",
     "silence_stream://-1,1400", "tone_stream://%(2000,4000,440,480);loops=-1", "tone_stream://v=-7;%(100,0,941)"],
)
def test_sound_paths_accepted(path: str) -> None:
    assert c.sound_path(path) == path


# Injection: hostile values either raise or leave the structure intact

HOSTILE = [
    "\n", "\r\n\r\n", " ", "  ", "{", "}", ",", "'", '"', "${system(rm)}", "$${x}", "^", "^^|", "|", ":",
    ":_:", "%0A", "%[", "\\", "\\,", "\\'", "=", "[", "]", "<", ">", "(", ")", "&", ";", "\t", "\x00", "\x7f",
    "é", "Ж", "你好", "📞", "\u2028", "\u00a0", "-bleg", "m:^:", "Job-UUID: x", "\nEvent-UUID: x", "a" * 300,
]
ALPHABET = [*HOSTILE, "a", "B", "7", "+", "@", ".", "-", "_", "/"]


def hostile_strings(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    generated = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 8))) for _ in range(count)]
    return HOSTILE + generated


def assert_no_expansion(text: str) -> None:
    assert "${" not in text, text


@pytest.mark.parametrize("seed", range(3))
def test_connect_agent_keeps_its_shape_whatever_the_caller_sends(seed: int) -> None:
    rng = random.Random(seed)
    for name in hostile_strings(300, seed):
        number = rng.choice(hostile_strings(0, seed)) + name[::-1]
        wire = c.api(c.connect_agent(CALL, one_leg("user/1000@dom"), 20, name, number, {"cc_queue": "support"}))
        command, arg = single_api(wire)
        call, inline_target, dialplan = separate(arg, " ", 5)
        assert (command, call, dialplan) == ("uuid_transfer", CALL, "inline")
        apps = parse_inline(inline_target)
        assert [app for app, _ in apps] == ["multiset", "bridge", "park"]
        assert separate(apps[0][1], " ") == [
            "continue_on_fail=true", "hangup_after_bridge=true", "transfer_ringback=local_stream://moh"
        ]
        for _, app_arg in apps:
            assert_no_expansion(app_arg)
        variables, endpoints = parse_dial_string(apps[1][1])
        expected = [("origination_caller_id_name", c.caller_id_text(name)),
                    ("origination_caller_id_number", c.caller_id_text(number)),
                    ("ignore_early_media", "true"), ("cc_queue", "support")]
        assert variables == [(key, value) for key, value in expected if value]
        assert parse_legs(endpoints) == [([("origination_uuid", LEG), ("leg_timeout", "20"), ("cc_agent", "1000")],
                                          "user/1000@dom")]


def attempt(build: Callable[..., str], *args: Any) -> str | None:
    try:
        return build(*args)
    except UnsafeValueError:
        return None


@pytest.mark.parametrize("seed", range(3))
def test_validated_values_cannot_change_a_command(seed: int) -> None:
    for value in hostile_strings(300, seed):
        if (text := attempt(c.digits, value)) is not None:
            assert set(text) <= set("0123456789*#ABCD")

        if (text := attempt(c.uuid_setvar, CALL, "cc_note", value)) is not None:
            command, arg = single_api(c.api(text))
            assert (command, separate(arg, " ", 3)) == ("uuid_setvar", [CALL, "cc_note", value])

        if (text := attempt(c.uuid_transfer, CALL, value, "default")) is not None:
            command, arg = single_api(c.api(text))
            assert (command, separate(arg, " ", 5)) == ("uuid_transfer", [CALL, value, "XML", "default"])
            assert not value.startswith("-"), "mod_commands.c transfer_function reads it as -bleg/-both"

        if (text := attempt(c.uuid_broadcast, CALL, value)) is not None:
            command, arg = single_api(c.api(text))
            assert (command, separate(arg, " ", 4)) == ("uuid_broadcast", [CALL, value, "aleg"])
            assert "::" not in value

        dial = attempt(c.dial_string, "user/1000", {"cc_note": value})
        if dial is not None:
            command, arg = single_api(c.api(c.originate(c.DialString(dial), "park")))
            parts = separate(arg, " ", 10)
            assert command == "originate" and len(parts) == 2 and parts[1] == "&park()"
            assert parse_dial_string(parts[0]) == ([("cc_note", value)], "user/1000")
            assert_no_expansion(parts[0])

        if (text := attempt(c.dial_endpoint, value)) is not None:
            variables, endpoint = parse_dial_string(c.dial_string(text, {}))
            assert (variables, separate(endpoint, "|"), separate(endpoint, ",")) == ([], [value], [value])

        for app_arg in (value, attempt(c.sound_path, value)):
            if app_arg and (text := attempt(c.sendmsg_execute, CALL, "playback", app_arg, JOB)) is not None:
                packets = read_packets(text + "\n\n")
                assert packets == [[f"sendmsg {CALL}", "call-command: execute", "execute-app-name: playback",
                                    f"execute-app-arg: {app_arg}", f"Event-UUID: {JOB}"]]
                assert_no_expansion(app_arg)
                assert not app_arg.startswith(("%", " ")), "scoped variables / header value trimmed"


@pytest.mark.parametrize("seed", range(3))
def test_command_lines_never_carry_a_second_line(seed: int) -> None:
    for value in hostile_strings(200, seed):
        for text in (attempt(c.api, value), attempt(c.bgapi, value, JOB), attempt(c.auth, value)):
            if text is not None:
                packets = read_packets(text + "\n\n")
                assert len(packets) == 1 and len(packets[0]) == (2 if text.startswith("bgapi") else 1)


def test_sched_del_cancels_the_channels_fallback_group() -> None:
    assert c.sched_del(CALL) == f"sched_del {CALL}"
    with pytest.raises(UnsafeValueError):
        c.sched_del(f"{CALL} 1")


# Live call control builders (ccswitch.media)


@pytest.mark.parametrize(
    ("built", "expected", "argv_size", "argv"),
    [
        # mod_commands.c session_record_function: argv[5]
        (lambda: c.uuid_record_start(CALL, "/r/2026/support/a.wav", stereo=True),
         f"uuid_record {CALL} start /r/2026/support/a.wav 0 {{RECORD_STEREO=true}}", 5,
         [CALL, "start", "/r/2026/support/a.wav", "0", "{RECORD_STEREO=true}"]),
        (lambda: c.uuid_record_start(CALL, "/r/a.wav", stereo=False),
         f"uuid_record {CALL} start /r/a.wav 0 {{RECORD_STEREO=false}}", 5,
         [CALL, "start", "/r/a.wav", "0", "{RECORD_STEREO=false}"]),
        (lambda: c.uuid_record_mask(CALL, "/r/a.wav", True), f"uuid_record {CALL} mask /r/a.wav", 5,
         [CALL, "mask", "/r/a.wav"]),
        (lambda: c.uuid_record_mask(CALL, "/r/a.wav", False), f"uuid_record {CALL} unmask /r/a.wav", 5,
         [CALL, "unmask", "/r/a.wav"]),
        # uuid_hold_function: argv[4], "off" first
        (lambda: c.uuid_hold(LEG, True), f"uuid_hold {LEG}", 4, [LEG]),
        (lambda: c.uuid_hold(LEG, False), f"uuid_hold off {LEG}", 4, ["off", LEG]),
        # session_audio_function: argv[5] (switch_split)
        (lambda: c.uuid_audio_mute(LEG, True), f"uuid_audio {LEG} start read mute 1", 5,
         [LEG, "start", "read", "mute", "1"]),
        (lambda: c.uuid_audio_mute(LEG, False), f"uuid_audio {LEG} stop", 5, [LEG, "stop"]),
        # uuid_recv_dtmf_function: argv[2]
        (lambda: c.uuid_recv_dtmf(LEG, "2"), f"uuid_recv_dtmf {LEG} 2", 2, [LEG, "2"]),
        # transfer_function: argv[5]
        (lambda: c.uuid_transfer_inline(CALL, [("park", "")]), f"uuid_transfer {CALL} m:^:park inline", 5,
         [CALL, "m:^:park", "inline"]),
    ],
)
def test_call_control_builder_text(
    built: Callable[[], str], expected: str, argv_size: int, argv: list[str]
) -> None:
    command = built()
    assert command == expected
    name, arg = single_api(c.api(command))
    assert [name, *separate(arg, " ", argv_size)] == [command.split(" ")[0], *argv]


def test_consult_inline_transfer_keeps_the_dial_string_whole() -> None:
    dial = c.dial_string("user/1001", {"origination_uuid": LEG, "leg_timeout": "15"})
    command = c.uuid_transfer_inline(CALL, [("bridge", dial), ("park", "")])
    assert command == f"uuid_transfer {CALL} m:^:bridge:{{origination_uuid={LEG},leg_timeout=15}}user/1001^park inline"
    _, arg = single_api(c.api(command))
    uuid_, inline, dialplan = separate(arg, " ", 5)
    assert (uuid_, dialplan) == (CALL, "inline")
    assert parse_inline(inline) == [("bridge", dial), ("park", "")]
    assert parse_dial_string(dial) == ([("origination_uuid", LEG), ("leg_timeout", "15")], "user/1001")


@pytest.mark.parametrize(
    ("call", "role"),
    [
        (lambda: c.uuid_record_start(CALL, "/r/a.wav 0 {RECORD_STEREO=true}", True), "recording path"),
        (lambda: c.uuid_record_mask(CALL, "/r/${x}.wav", True), "recording path"),
        (lambda: c.uuid_hold("off " + LEG, True), "channel uuid"),
        (lambda: c.uuid_audio_mute(f"{LEG} stop", True), "channel uuid"),
        (lambda: c.uuid_recv_dtmf(LEG, "2 3"), "DTMF digits"),
        (lambda: c.uuid_transfer_inline(CALL, [("park", "x^hangup")]), "park argument"),
        (lambda: c.uuid_transfer_inline(CALL, [("three_way", "${system(x)}")]), "three_way argument"),
        (lambda: c.uuid_transfer_inline(CALL, []), "at least one application"),
    ],
)
def test_call_control_builders_refuse_unsafe_values(call: Callable[[], object], role: str) -> None:
    with pytest.raises(UnsafeValueError, match=re.escape(role)):
        call()


def test_file_string_plays_files_in_order_and_refuses_a_path_that_could_split_the_list() -> None:
    assert c.file_string(["/s/numbers/en/digits/20.wav", "/s/numbers/en/digits/1.wav"]) == (
        "file_string:///s/numbers/en/digits/20.wav!/s/numbers/en/digits/1.wav")
    for paths in (["/s/a.wav!/etc/passwd"], ["/s/a b.wav"], ["/s/${x}.wav"], []):
        with pytest.raises(UnsafeValueError):
            c.file_string(paths)


@pytest.mark.parametrize("char", [chr(code) for code in (*range(0x20), 0x7F)])
def test_a_control_character_anywhere_in_an_api_command_is_refused(char: str) -> None:
    for command in (f"{char}status", f"status{char}", f"uuid_kill {CALL}{char}x"):
        with pytest.raises(UnsafeValueError, match="API command"):
            c.api(command)
        with pytest.raises(UnsafeValueError, match="API command"):
            c.bgapi(command, JOB)


def test_spaces_and_other_scripts_pass_through_an_api_command_unchanged() -> None:
    assert c.api("uuid_setvar x caller Иван Петров ~ü") == "api uuid_setvar x caller Иван Петров ~ü"
