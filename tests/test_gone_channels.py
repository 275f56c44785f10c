"""No command for a channel the switch has said hung up."""

from __future__ import annotations

from ccswitch.effects import BridgeLegs, ConnectAgent, Hangup, HangupLeg, Originate, StartMusic
from ccswitch.gone_channels import GoneChannels, channels_of

CALLER, AGENT_LEG, NEW_LEG = "caller-1", "agent-leg-1", "new-leg-1"


def connect() -> ConnectAgent:
    return ConnectAgent(CALLER, (), 15, "support", "79161234567", "Ivan", "local_stream://moh")


def test_effects_name_the_channels_their_commands_act_on() -> None:
    assert channels_of(connect()) == (CALLER,)
    assert channels_of(HangupLeg(CALLER, AGENT_LEG)) == (AGENT_LEG,)
    assert channels_of(BridgeLegs(CALLER, CALLER, AGENT_LEG)) == (CALLER, AGENT_LEG)
    assert channels_of(Originate(CALLER, NEW_LEG, "user/1004", (), "park", "")) == ()


def test_given_the_caller_hung_up_then_what_was_decided_for_it_is_not_sent() -> None:
    gone = GoneChannels()
    gone.hung_up(CALLER, 100.0)
    kept, dropped = gone.split([connect(), StartMusic(CALLER, "moh"), HangupLeg(CALLER, AGENT_LEG),
                                Originate(CALLER, NEW_LEG, "user/1004", (), "park", "")])
    assert [type(e) for e in kept] == [HangupLeg, Originate]  # the agent's leg is still up; a new leg is new
    assert [type(e) for e in dropped] == [ConnectAgent, StartMusic]


def test_channels_are_forgotten_after_keep_s() -> None:
    gone = GoneChannels(keep_s=60)
    gone.hung_up(CALLER, 100.0)
    gone.hung_up(AGENT_LEG, 150.0)
    assert CALLER in gone
    gone.hung_up("later", 161.0)
    assert CALLER not in gone and AGENT_LEG in gone
    assert gone.split([Hangup(CALLER)]) == ([Hangup(CALLER)], [])
