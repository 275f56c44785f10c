"""Where single sign-on flows wait between the log-in and the provider's callback (``ccswitch.auth.oidc``): in the
controller's memory (the memory store), or in Redis with the configured store, so that any controller sharing the
Redis finishes a flow another one started (no sticky sessions behind a load balancer) and a restart in between
loses none: ``ccswitch.store.expiring``'s records of kind ``sso-flow``, keyed by the state's digest, ``{nonce,
verifier, next_path, expires_at}``, living as long as the flow. ``take`` reads and deletes in one step (a
MULTI/EXEC transaction in Redis): of two callbacks with one state, on one controller or two, only one gets the flow.
A Redis that does not answer is a ``StoreError`` (503).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ccswitch.config.model import StoreConfig
from ccswitch.store.expiring import ExpiringRecords, MemoryRecords, open_records


@dataclass(frozen=True, slots=True)
class Flow:
    """What the callback needs of the log-in that started it."""

    nonce: str
    verifier: str  # the PKCE code verifier
    next_path: str
    expires_at: float  # epoch seconds: every controller sharing the store reads the same clock


class Flows:
    def __init__(self, records: ExpiringRecords | None = None) -> None:
        self._records: ExpiringRecords = MemoryRecords() if records is None else records

    def put(self, state: str, flow: Flow, now: float) -> None:
        """Keep ``flow`` under ``state`` until its ``expires_at`` at least (``now``: the time it starts)."""
        self._records.put(state, asdict(flow), flow.expires_at - now)

    def take(self, state: str) -> Flow | None:
        """The flow ``state``, removed at once: whoever takes the same state again finds None."""
        record = self._records.take(state)
        if record is None:
            return None
        return Flow(str(record["nonce"]), str(record["verifier"]), str(record["next_path"]),
                    float(record["expires_at"]))


def open_flows(store: StoreConfig) -> Flows:
    """The single sign-on flows of the configured store: Redis's, or this process's memory."""
    return Flows(open_records(store, "sso-flow", "a single sign-on flow"))
