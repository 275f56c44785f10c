"""api commands (mod_commands.c): reply texts as FreeSWITCH writes them (fs-traces f and the scenario
traces)."""

from __future__ import annotations

import json
import time
import uuid as uuid_lib
from collections.abc import Callable

import gevent

from ccswitch.sim.channel import Channel, Message
from ccswitch.sim.core_db import INITIAL_COLUMNS
from ccswitch.sim.dialstring import (
    AppCall,
    parse_app_spec,
    parse_broadcast_path,
    separate_string,
    split_command_args,
    switch_true,
)
from ccswitch.sim.messages import chat
from ccswitch.sim.switch import SimSwitch

Api = Callable[[SimSwitch, str], str]
VERSION = "FreeSWITCH Version 1.11.3-dev+sim~64bit (sim)"
NO_CHANNEL = "-ERR No such channel!\n"
AUDIO_USAGE = "-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n"


def _channel(switch: SimSwitch, uuid: str) -> Channel | None:
    ch = switch.channel(uuid)
    return ch if ch is not None and ch.up else None


def uuid_answer(switch: SimSwitch, args: str) -> str:
    """mod_commands.c uuid_answer_function: ``-ERROR`` for a channel that is gone and for one that could not be
    answered alike (no RTP port: sofia hangs it up, and the hang-up cause tells why)."""
    ch = _channel(switch, args.strip())
    return "+OK\n" if ch is not None and switch.answer(ch) else "-ERROR\n"


def uuid_kill(switch: SimSwitch, args: str) -> str:
    parts = args.split()
    ch = _channel(switch, parts[0]) if parts else None
    if ch is None:
        return NO_CHANNEL
    switch.hangup(ch, parts[1].upper() if len(parts) > 1 else "NORMAL_CLEARING")
    return "+OK\n"


def uuid_exists(switch: SimSwitch, args: str) -> str:
    return "true" if _channel(switch, args.strip()) else "false"


def uuid_break(switch: SimSwitch, args: str) -> str:
    parts = args.split()
    ch = _channel(switch, parts[0]) if parts else None
    if ch is None:
        return NO_CHANNEL
    if "all" in parts[1:]:
        ch.inbox.clear()
    # mod_commands.c break_function: a running sendmsg / broadcast app stops its loops as well
    # (switch_channel_stop_broadcast), anything else only breaks the current app (CF_BREAK).
    switch.stop_broadcast(ch)
    ch.break_requested = True
    ch.wake()
    return "+OK\n"


def uuid_setvar(switch: SimSwitch, args: str) -> str:
    uuid, _, rest = args.strip().partition(" ")
    name, _, value = rest.partition(" ")
    ch = _channel(switch, uuid)
    if ch is None:
        return NO_CHANNEL
    ch.set_var(name, value or None)
    return "+OK\n"


def uuid_getvar(switch: SimSwitch, args: str) -> str:
    uuid, _, name = args.strip().partition(" ")
    ch = _channel(switch, uuid)
    if ch is None:
        return NO_CHANNEL
    return ch.variables.get(name.strip(), "_undef_")


def uuid_broadcast(switch: SimSwitch, args: str) -> str:
    """switch_ivr_broadcast: ``<uuid> <path|app::args> [aleg|bleg|both]``; queued like a sendmsg execute with
    ``event-lock: true`` (switch_ivr_async.c switch_ivr_broadcast adds it)."""
    uuid, _, rest = args.strip().partition(" ")
    ch = _channel(switch, uuid)
    if ch is None:
        return NO_CHANNEL
    path, _, _legs = rest.rpartition(" ") if rest.endswith((" aleg", " bleg", " both")) else (rest, "", "")
    # The switch locks broadcasts; a bridged leg plays it during the bridge (fs-traces l).
    switch.deliver_message(ch, Message("execute", parse_broadcast_path(path), event_lock=True))
    return "+OK Message sent\n"


def uuid_record(switch: SimSwitch, args: str) -> str:
    """mod_commands.c session_record_function: ``<uuid> start|stop|mask|unmask <path> [<limit>] [{vars}]``;
    the ``{...}`` recording variables (RECORD_STEREO) win over the channel's."""
    parts = args.split()
    ch = _channel(switch, parts[0]) if parts else None
    if ch is None or len(parts) < 3:
        return "-ERR Cannot locate session!\n" if ch is None else "-USAGE: <uuid> [start|stop|mask|unmask] <path>\n"
    action, path = parts[1], parts[2]
    if action == "start":
        block = parts[4].removeprefix("{").removesuffix("}") if len(parts) > 4 else ""
        variables = {**ch.variables, **dict(item.partition("=")[::2] for item in separate_string(block, ","))}
        switch.start_record(ch, path)
        ch.recording_stereo = switch_true(variables.get("RECORD_STEREO"))
        ch.recording_masked = False
    elif action == "stop" and ch.recording:
        switch.stop_record(ch, ch.recording)
    elif action in ("mask", "unmask"):
        # switch_ivr_record_session_mask: only a recording of this very path can be masked
        if ch.recording != path:
            return f"-ERR Cannot {action} recording session!\n"
        ch.recording_masked = action == "mask"
    return "+OK Success\n"


def uuid_audio(switch: SimSwitch, args: str) -> str:
    """mod_commands.c session_audio_function: ``<uuid> start read|write mute|level <n>`` or ``<uuid> stop``. The
    simulator models muting the read stream (what the channel's phone sends) as an ``audio`` media bug."""
    parts = args.split()
    if len(parts) < 2:
        return AUDIO_USAGE
    ch = _channel(switch, parts[0])
    if ch is None:
        return NO_CHANNEL
    if parts[1] == "stop":
        muted = False
    elif parts[1] == "start" and len(parts) >= 5 and parts[2] in ("read", "write") and parts[3] in ("mute", "level"):
        level = int(parts[4]) if parts[4].lstrip("-").isdigit() else 0  # atoi
        muted = level != 0 if (parts[2], parts[3]) == ("read", "mute") else ch.read_muted
    else:
        return AUDIO_USAGE
    bug = [("Media-Bug-Function", "audio"), ("Media-Bug-Target", "mute")]
    if muted != ch.read_muted:
        switch.fire_channel(ch, "MEDIA_BUG_START" if muted else "MEDIA_BUG_STOP", pre=bug)
    ch.read_muted = muted
    return "+OK\n"


def uuid_recv_dtmf(switch: SimSwitch, args: str) -> str:
    """mod_commands.c uuid_recv_dtmf_function: queue digits as if the channel's phone had sent them."""
    parts = args.split()
    if len(parts) < 2:
        return "-USAGE: <uuid> <dtmf_data>\n"
    ch = _channel(switch, parts[0])
    if ch is None:
        return "-ERR Cannot locate session!\n"
    switch.receive_dtmf(ch, parts[1], source="APP")
    return f"+OK {ch.uuid} received DTMF {parts[1]}.\n"


def uuid_hold(switch: SimSwitch, args: str) -> str:
    """fs-traces d: CHANNEL_CALLSTATE HELD + CHANNEL_HOLD; off: UNHELD + CHANNEL_UNHOLD, then ACTIVE."""
    parts = args.split()
    off = bool(parts) and parts[0] == "off"
    ch = _channel(switch, parts[-1]) if parts else None
    if ch is None:
        return NO_CHANNEL
    if off and ch.held:
        ch.held = False
        switch.set_call_state(ch, "UNHELD")
        switch.fire_channel(ch, "CHANNEL_UNHOLD")
        switch.after(0, switch.set_call_state, ch, "ACTIVE")
    elif not off and not ch.held:
        ch.held = True
        switch.set_call_state(ch, "HELD")
        switch.fire_channel(ch, "CHANNEL_HOLD")
    return "+OK Success\n"


def uuid_bridge(switch: SimSwitch, args: str) -> str:
    """switch_ivr_uuid_bridge: both channels leave their apps, then A runs the bridge (fs-traces b)."""
    parts = args.split()
    a = _channel(switch, parts[0]) if parts else None
    b = _channel(switch, parts[1]) if len(parts) > 1 else None
    if a is None or b is None:
        return f"-ERR Invalid uuid {parts[1] if a else parts[0] if parts else ''}\n"
    b_ready = gevent.event.Event()
    switch.pair(a, b)
    for ch, peer in ((a, b), (b, a)):
        ch.profile.profile_index += 1
        ch.profile.transfer_source = f"{int(switch.clock.now())}:{uuid_lib.uuid4()}:uuid_br:{peer.uuid}"

    def soft_execute(ch: Channel) -> None:
        for state in ("CS_HIBERNATE", "CS_RESET", "CS_SOFT_EXECUTE"):
            switch.enter_state(ch, state)

    def originator() -> None:
        soft_execute(a)
        b_ready.wait()
        for ch, peer, line in ((a, b, 1236), (b, a, 1243)):
            if ch is b:
                b.set_var("call_uuid", a.uuid)  # the originatee joins the originator's call
            switch.fire_channel(
                ch,
                "CHANNEL_EXECUTE",
                post=[("Application", "uuid_bridge"), ("Application-Data", peer.uuid)],
                calling=("switch_ivr_bridge.c", "uuid_bridge_on_soft_execute", line),
            )
        switch.enter_state(b, "CS_CONSUME_MEDIA")
        switch.bridge(a, b)
        if a.redirect is not None:  # transferred again (another uuid_bridge): the new plan runs next
            return
        if a.up and a.variables.get("park_after_bridge") == "true":
            a.extension = [AppCall("park", "")]
        elif a.up:
            switch.hangup(a, b.hangup_cause or "NORMAL_CLEARING")

    def originatee() -> None:
        soft_execute(b)
        b_ready.set()
        switch.wait([b], None, lambda: not b.up or b.redirect is not None)

    a.redirect, b.redirect = originator, originatee
    a.wake()
    b.wake()
    return f"+OK {b.uuid}\n"


def uuid_transfer(switch: SimSwitch, args: str) -> str:
    """``<uuid> [-bleg|-both] <dest> [dialplan] [context]`` (mod_commands.c transfer_function ->
    switch_ivr_session_transfer, ``CallSwitch.transfer``)."""
    parts = split_command_args(args)
    if len(parts) < 2:
        return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
    uuid, rest = parts[0], parts[1:]
    legs = rest.pop(0) if rest[0] in ("-bleg", "-both") else ""
    ch = _channel(switch, uuid)
    if ch is None:
        return NO_CHANNEL
    destination = rest[0]
    dialplan = rest[1] if len(rest) > 1 else None
    context = rest[2] if len(rest) > 2 else None
    targets = [ch]
    peer = switch.channel(ch.bridged_with) if ch.bridged_with else None
    if peer is not None and legs:
        targets = [peer] if legs == "-bleg" else [ch, peer]
    for target in targets:
        switch.transfer(target, destination, dialplan, context)
    return "+OK\n"


def originate(switch: SimSwitch, args: str) -> str:
    """``<dialstring> <&app(args)|exten> [dialplan] [context] [cid name] [cid num] [timeout]`` (traces b, c)."""
    parts = split_command_args(args)
    if len(parts) < 2:
        return "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] ...\n"
    dial, target = parts[0], parts[1]
    timeout = float(parts[6]) if len(parts) > 6 and parts[6].isdigit() else None
    leg, cause = switch.originate(dial, timeout_s=timeout)
    if leg is None:
        return f"-ERR {cause}\n"
    if target.startswith("&"):
        extension = [parse_app_spec(target)]
    else:
        dialplan = parts[2] if len(parts) > 2 else "XML"
        extension = switch.extension_for(target, dialplan, parts[3] if len(parts) > 3 else "default")
    switch.start_leg_session(leg, extension)
    return f"+OK {leg.uuid}\n"


def show(switch: SimSwitch, args: str) -> str:
    words = args.split()
    as_json = words[-2:] == ["as", "json"]
    rows = [_channel_row(switch, ch) for ch in switch.live_channels() if ch.up] if words[:1] == ["channels"] else []
    if as_json:
        if not rows:
            return '{"row_count": 0}\n'
        return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":")) + "\n"
    if not rows:
        return "\n0 total.\n"
    header = ",".join(rows[0])
    lines = [",".join(row.values()) for row in rows]
    return header + "\n" + "\n".join(lines) + f"\n\n{len(rows)} total.\n"


def _channel_row(switch: SimSwitch, ch: Channel) -> dict[str, str]:
    """A row of the core's channels table (switch_core_sqldb.c ``create_channels_sql``), columns in its order: the
    event-kept ones from ``switch.channels_table`` (``ccswitch.sim.core_db``), the rest from the channel now."""
    created = ch.profile.created_us / 1_000_000
    kept = switch.channels_table.row(ch.uuid)
    media = ch.media_up or ch.direction == "inbound"  # an inbound call's codec is chosen from its INVITE's SDP
    return {
        "uuid": ch.uuid,
        "direction": ch.direction,
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created)),
        "created_epoch": str(int(created)),
        "name": ch.name,
        "state": ch.running_state,
        "cid_name": ch.profile.caller_id_name,
        "cid_num": ch.profile.caller_id_number,
        "ip_addr": ch.profile.network_addr,
        "dest": ch.profile.destination_number,
        "application": kept["application"],
        "application_data": kept["application_data"],
        "dialplan": ch.profile.dialplan,
        "context": ch.profile.context,
        "read_codec": "PCMU" if media else "",
        "read_rate": "8000" if media else "",
        "read_bit_rate": "64000" if media else "",
        "write_codec": "PCMU" if media else "",
        "write_rate": "8000" if media else "",
        "write_bit_rate": "64000" if media else "",
        "secure": "",
        "hostname": switch.hostname,
        "presence_id": ch.presence_id,
        "presence_data": "",
        "accountcode": "",
        "callstate": ch.call_state,
        "callee_name": kept["callee_name"],
        "callee_num": kept["callee_num"],
        "callee_direction": kept["callee_direction"],
        "call_uuid": kept["call_uuid"],
        "sent_callee_name": kept["sent_callee_name"],
        "sent_callee_num": kept["sent_callee_num"],
        **{column: kept[column] for column in INITIAL_COLUMNS},
    }


def status(switch: SimSwitch, args: str) -> str:
    up = max(0.0, switch.clock.now() - switch.started_at)
    minutes, seconds = divmod(int(up), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    millis = int((up - int(up)) * 1000)
    live = sum(1 for ch in switch.live_channels() if ch.up)
    resources = switch.resources
    lines = [
        f"UP 0 years, {days} days, {hours} hours, {minutes} minutes, {seconds} seconds, {millis} milliseconds, "
        "0 microseconds",
        "FreeSWITCH (Version 1.11.3-dev sim) is ready",
        f"{switch.sessions_since_startup} session(s) since startup",
        f"{live} session(s) - peak {live}, last 5min {live} ",
        f"{resources.last_second_created} session(s) per Sec out of max {resources.limits.sessions_per_second}, "
        f"peak {resources.peak_per_second}, last 5min {resources.peak_per_second} ",
        f"{resources.limits.max_sessions} session(s) max",
        "min idle cpu 0.00/99.00",
        "Current Stack Size/Max 240K/8192K",
    ]
    return "\n".join(lines) + "\n"


def global_getvar(switch: SimSwitch, args: str) -> str:
    return switch.global_variables.get(args.strip(), "")


def sched_del(switch: SimSwitch, args: str) -> str:
    """mod_commands sched_del_function. The simulator's dialplan schedules nothing, so nothing is deleted."""
    if not args.strip():
        return "-ERR Invalid syntax\n"
    return "+OK Deleted: 0\n"


def module_exists(switch: SimSwitch, args: str) -> str:
    """mod_commands.c module_exists_function: plain ``true`` / ``false``, no newline (trace m)."""
    return "true" if args.strip() in switch.modules else "false"


def load(switch: SimSwitch, args: str) -> str:
    """mod_commands.c load_function: the XML is reloaded first, then the module loaded (trace m)."""
    module = args.strip()
    if module in switch.modules:
        return "+OK Reloading XML\n-ERR [Module already loaded]\n"
    switch.modules.add(module)
    return "+OK Reloading XML\n+OK\n"


def unload(switch: SimSwitch, args: str) -> str:
    """mod_commands.c unload_function (trace m)."""
    module = args.strip()
    if module not in switch.modules:
        return "-ERR [No such module!]\n"
    switch.modules.discard(module)
    return "+OK\n"


def version(switch: SimSwitch, args: str) -> str:
    return VERSION + "\n"


APIS: dict[str, Api] = {
    "uuid_answer": uuid_answer,
    "uuid_kill": uuid_kill,
    "uuid_exists": uuid_exists,
    "uuid_break": uuid_break,
    "uuid_setvar": uuid_setvar,
    "uuid_getvar": uuid_getvar,
    "uuid_broadcast": uuid_broadcast,
    "uuid_record": uuid_record,
    "uuid_audio": uuid_audio,
    "uuid_recv_dtmf": uuid_recv_dtmf,
    "uuid_hold": uuid_hold,
    "uuid_bridge": uuid_bridge,
    "uuid_transfer": uuid_transfer,
    "originate": originate,
    "show": show,
    "status": status,
    "global_getvar": global_getvar,
    "version": version,
    "sched_del": sched_del,
    "module_exists": module_exists,
    "load": load,
    "unload": unload,
    "chat": chat,
}


def execute_api(switch: SimSwitch, command: str, args: str) -> str:
    """switch_api_execute: run the command, then fire the API event (after the command's own events)."""
    handler = APIS.get(command)
    reply = handler(switch, args) if handler else f"-ERR {command} Command not found!\n"
    fields = [("API-Command", command)] + ([("API-Command-Argument", args)] if args else [])
    switch.fire("API", fields)
    return reply


def new_job_uuid() -> str:
    return str(uuid_lib.uuid4())
