"""FreeSWITCH simulator: an Event Socket server and a channel model that behave like the real switch on the wire.

``SimSwitch`` holds the channels; ``EslServer(switch).start()`` serves ESL on TCP; ``CallerScript`` / ``AgentPhone``
/ ``GatewayCallee`` describe the simulated people; ``run_load`` / ``poisson_arrivals`` drive scripted traffic;
``switch.place_call`` (from the trunk, or ``from_phone``) and ``switch.place_direct_call`` (a phone's own call to
another phone or out through a gateway) start calls; ``switch.press_keys`` makes the phone behind a channel key
digits (an agent's ``*1`` feature code on their bridged leg, run by the shipped ccswitch-features dialplan that
``switch.dialplan`` holds; ``switch.load_dialplan`` adds contexts); ``switch.blind_refer`` makes the phone behind a
channel send a blind transfer (SIP REFER) to an extension. What happened stays readable after the channels are gone:
``switch.hangups``, ``switch.executed`` / ``switch.apps_on(uuid)`` (applications run per channel) and
``switch.said`` (what each ``say`` spoke), ``switch.heard`` (what was heard of each playback, stretch by stretch, in
the order it was heard).
"""

from ccswitch.sim.channel import Heard
from ccswitch.sim.people import AgentPhone, CallerScript, GatewayCallee, poisson_arrivals, run_load
from ccswitch.sim.say import Said
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import ChannelView, Executed, Hangup, SimSwitch

__all__ = [
    "AgentPhone",
    "CallerScript",
    "ChannelView",
    "EslServer",
    "Executed",
    "GatewayCallee",
    "Hangup",
    "Heard",
    "Said",
    "SimSwitch",
    "poisson_arrivals",
    "run_load",
]
