"""``show channels`` in the simulator against the real switch's rows in each state (fs-traces l): a parked caller,
one in endless music, one in play_and_get_digits, and a caller bridged to a registered user's phone, before and
during a ``uuid_broadcast`` to the bridged caller. Every column, value for value, except the creation times and the
channel names (the SIP ports of the capture)."""

from __future__ import annotations

import json

from ccswitch.sim.people import AgentPhone, CallerScript
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import TRACES, RawClient, frames_of, wait_until

TRACE = "l_show_channels_states.recv.raw"
# The capture's channels (its README), by the role each plays in the scenario.
REAL_UUIDS = {
    "92d4d048-2c20-4fc0-9c16-67cfe35043e0": "parked",
    "56542923-a581-46f7-bd09-d84f1e3a5e56": "music",
    "45e7e67b-b9a0-4daa-b253-6aef4090d9db": "digits",
    "1713aa48-4664-46f9-b51b-f98334083c58": "bridged-caller",
    "67f0862e-4763-4d9d-bafd-1babfbf18d36": "agent-leg",
}
NOT_COMPARED = ("created", "created_epoch", "name")


def by_role(listing: bytes, roles: dict[str, str]) -> dict[str, dict[str, str]]:
    """The rows of a ``show channels as json`` reply, keyed by role, every uuid in them replaced by its role."""
    text = listing.decode()
    for uuid, role in roles.items():
        text = text.replace(uuid, role)
    return {row["uuid"]: row for row in json.loads(text)["rows"]}


def real_listings() -> list[bytes]:
    replies = [f.body for f in frames_of((TRACES / TRACE).read_bytes()) if f.content_type == "api/response"]
    return [body for body in replies if body.startswith(b'{"row_count":5,')]  # snapshots A and B


def sendmsg(client: RawClient, uuid: str, app: str, arg: str, loops: str | None = None) -> None:
    lines = [f"sendmsg {uuid}", "call-command: execute", f"execute-app-name: {app}", f"execute-app-arg: {arg}"]
    client.command("\n".join(lines + ([f"loops: {loops}"] if loops else [])))


def test_show_channels_rows_match_trace_l_in_every_state(server: EslServer, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=0.2, talk_s=600))
    client = RawClient(server.port).login()
    script = CallerScript(caller_name="SIPp Caller", destination="88005550558", patience_s=600)
    parked, music, digits, bridged = (switch.place_call(script) for _ in range(4))
    for uuid in (parked, music, digits, bridged):
        wait_until(lambda uuid=uuid: switch.channels[uuid].parked)
    client.command(f"api uuid_answer {music}")
    sendmsg(client, music, "playback", "/tmp/tr-sounds/music.wav", loops="-1")
    client.command(f"api uuid_answer {digits}")
    sendmsg(client, digits, "play_and_get_digits",
            "1 4 3 10000 # /tmp/tr-sounds/B.wav /tmp/tr-sounds/C.wav pagd_digits \\d+")
    client.command(f"api uuid_answer {bridged}")
    client.command(f"api uuid_transfer {bridged} 'm:^:bridge:user/1000@127.0.0.1' inline")
    client.wait_event("CHANNEL_BRIDGE")
    client.wait_event("CHANNEL_EXECUTE", Application="play_and_get_digits")
    agent_leg = switch.channels[bridged].bridged_with
    assert agent_leg is not None
    before = client.command("api show channels as json").body
    client.command(f"api uuid_broadcast {bridged} /tmp/tr-sounds/A.wav aleg")
    client.wait_event("CHANNEL_EXECUTE", Application="playback", Unique_ID=bridged)
    during = client.command("api show channels as json").body

    roles = {parked: "parked", music: "music", digits: "digits", bridged: "bridged-caller", agent_leg: "agent-leg"}
    for real_listing, sim_listing in zip(real_listings(), (before, during), strict=True):
        real, sim = by_role(real_listing, REAL_UUIDS), by_role(sim_listing, roles)
        assert sorted(sim) == sorted(real)
        for role, real_row in real.items():
            assert list(sim[role]) == list(real_row), role  # the same columns in the same order
            differences = {column: (sim[role][column], value) for column, value in real_row.items()
                           if column not in NOT_COMPARED and sim[role][column] != value}
            assert differences == {}, f"{role}: (sim, real) {differences}"
    # What a controller must not be misled by: the bridged caller's application says playback, not bridge.
    assert by_role(during, roles)["bridged-caller"]["application"] == "playback"
    assert by_role(during, roles)["bridged-caller"]["call_uuid"] == "bridged-caller"
