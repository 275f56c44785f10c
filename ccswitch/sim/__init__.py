"""FreeSWITCH simulator: an Event Socket server and a channel model that behave like the real switch on the wire.

``SimSwitch`` holds the channels; ``EslServer(switch).start()`` serves ESL on TCP; ``CallerScript`` / ``AgentPhone``
/ ``GatewayCallee`` describe the simulated people; ``run_load`` / ``poisson_arrivals`` drive scripted traffic.
"""

from ccswitch.sim.people import AgentPhone, CallerScript, GatewayCallee, poisson_arrivals, run_load
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import ChannelView, Hangup, SimSwitch

__all__ = [
    "AgentPhone",
    "CallerScript",
    "ChannelView",
    "EslServer",
    "GatewayCallee",
    "Hangup",
    "SimSwitch",
    "poisson_arrivals",
    "run_load",
]
