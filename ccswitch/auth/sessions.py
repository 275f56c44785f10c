"""Where logged-in browsers' sessions are kept: in the controller's memory (the memory store: a restart logs
everyone out), or in Redis with the configured store (they survive a controller restart, and every controller
sharing the Redis knows them): ``ccswitch.store.expiring``'s records of kind ``session``, keyed by the session id's
digest, ``{user, csrf, expires_at}``, with the session's remaining life as their time to live.

Logging out deletes the record at once; a removed user's session is refused and deleted on its next use
(``ccswitch.auth.gate``). A Redis that does not answer is a ``StoreError`` (503): a session is never taken on trust.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccswitch.config.model import StoreConfig
from ccswitch.store.expiring import ExpiringRecords, MemoryRecords, open_records


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    user: str
    csrf: str
    expires_at: float


class Sessions:
    def __init__(self, records: ExpiringRecords | None = None) -> None:
        self._records: ExpiringRecords = MemoryRecords() if records is None else records

    def put(self, session: Session, ttl_s: float) -> None:
        """Keep ``session`` for ``ttl_s`` seconds at least (its expiry is ``expires_at``, checked by the gate)."""
        self._records.put(session.id, {"user": session.user, "csrf": session.csrf,
                                       "expires_at": session.expires_at}, ttl_s)

    def get(self, session_id: str) -> Session | None:
        record = self._records.get(session_id)
        if record is None:
            return None
        return Session(session_id, str(record["user"]), str(record["csrf"]), float(record["expires_at"]))

    def delete(self, session_id: str) -> None:
        self._records.delete(session_id)


def open_sessions(store: StoreConfig) -> Sessions:
    """The sessions of the configured store: Redis's, or this process's memory."""
    return Sessions(open_records(store, "session", "a session"))
