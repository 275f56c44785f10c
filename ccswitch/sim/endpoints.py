"""Where an originate / bridge endpoint string leads: a registered agent phone, a gateway callee, or an
error."""

from __future__ import annotations

from dataclasses import dataclass

from ccswitch.sim.core import SwitchCore
from ccswitch.sim.people import Behaviour


@dataclass(frozen=True)
class Endpoint:
    destination: str
    channel_name: str
    presence_id: str
    behaviour: Behaviour
    callee: str | None = None  # a gateway callee: person, machine, busy or no_answer (the amd application asks)


def resolve(switch: SwitchCore, endpoint: str) -> Endpoint | str:
    """The endpoint to ring, or the hang-up cause that fails the leg at once."""
    kind, _, rest = endpoint.partition("/")
    if kind == "error":
        return rest.upper() or "DESTINATION_OUT_OF_ORDER"
    if kind == "user":
        extension, _, domain = rest.partition("@")
        phone = switch.phone(extension)
        if phone is None or phone.behaviour == "unregistered":
            return "USER_NOT_REGISTERED"
        return Endpoint(
            extension,
            f"sofia/internal/{extension}@{switch.domain}:5060",
            f"{extension}@{domain or switch.domain}",
            Behaviour.of_phone(phone),
        )
    if endpoint.startswith("sofia/gateway/"):
        number = endpoint.rsplit("/", 1)[-1]
        callee = switch.gateway_callee
        outcome = callee.outcome(switch.rng, number)
        return Endpoint(number, endpoint, "", Behaviour.of_callee(callee, outcome), outcome)
    if kind == "loopback":
        # loopback/<ext>[/<context>[/<dialplan>]]: the extension goes through the dialplan; here an agent's
        # extension rings their phone (as the default context's user/ bridge would), anything else answers.
        extension = rest.split("/", 1)[0]
        rung = resolve(switch, f"user/{extension}")
        behaviour = rung.behaviour if isinstance(rung, Endpoint) else Behaviour("answer", 0.0, 0.0, 3600.0)
        return Endpoint(extension, f"loopback/{extension}-a", "", behaviour)
    if kind == "sofia":
        number = rest.rsplit("/", 1)[-1].split("@")[0]
        return Endpoint(number, endpoint, "", Behaviour("answer", 0.0, 0.0, 3600.0))
    return "CHAN_NOT_IMPLEMENTED"
