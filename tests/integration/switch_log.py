"""Every event the simulated switch fires, kept with its time on the switch clock, for tests that check what
happened on the wire and when (the wire's own Event-Date-Timestamp)."""

from __future__ import annotations

from ccswitch.sim import SimSwitch
from ccswitch.sim.wire import SimEvent


class SwitchLog:
    def __init__(self, switch: SimSwitch) -> None:
        self.events: list[SimEvent] = []
        self.unsubscribe = switch.subscribe(self.events.append)

    def of(self, uuid: str, *names: str) -> list[SimEvent]:
        """``uuid``'s own events (all, or those named), in the order fired."""
        return [e for e in list(self.events) if e.get("Unique-ID") == uuid and (not names or e.name in names)]

    def started(self, uuid: str, app: str) -> list[tuple[float, str]]:
        """(switch time, argument) of each run of ``app`` on ``uuid`` (CHANNEL_EXECUTE)."""
        return [(at(e), e.get("Application-Data") or "") for e in self.of(uuid, "CHANNEL_EXECUTE")
                if e.get("Application") == app]

    def outline(self, uuid: str, *names: str) -> list[str]:
        """The names of ``uuid``'s events among ``names``, with the application in brackets."""
        return [e.name + (f"({e.get('Application')})" if e.get("Application") else "") for e in self.of(uuid, *names)]

    def index(self, event: SimEvent) -> int:
        return next(i for i, seen in enumerate(list(self.events)) if seen is event)


def at(event: SimEvent) -> float:
    """When the switch fired ``event``, in its clock's seconds."""
    return int(event.get("Event-Date-Timestamp") or 0) / 1_000_000
