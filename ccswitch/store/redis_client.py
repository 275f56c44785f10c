"""How the Redis store reaches Redis: one server (``redis://``, ``rediss://``, ``unix://``), or the master of a
service that Redis Sentinel keeps available (``redis+sentinel://…``, ``ccswitch.sentinel_url``), found and
followed through failovers by redis-py's own ``redis.sentinel.Sentinel``.

Neither client re-sends a command whose reply was lost (``ccswitch.store.redis_store`` says why). Behind Sentinel,
two things are safe to do again, and are, for up to the store's timeout, every 0.1 s, so that a failover is a pause
rather than failed store operations:

- connecting, when nothing has been sent yet: while the sentinels name no master (the old one is down and they
  have not yet agreed on a successor) or name one that refuses the connection;
- a command the master refused, which therefore did nothing: ``READONLY`` (it was demoted to a replica) or
  ``NOREPLICAS`` (it has fewer replicas than its ``min-replicas-to-write``: after a promotion, an old master still
  up, or a new master whose replicas have not caught up). The connection is dropped, so that the next one asks
  the sentinels for the master again.

``NOREPLICAS`` comes only from a master set up with ``min-replicas-to-write``: that narrows what a ``SENTINEL
FAILOVER`` of a running master loses (it stops writing once no replica follows it), at the price of a new master
that refuses writes, after a crash, until a replica follows it; the README weighs both. A crash, or ``SHUTDOWN``,
loses nothing either way.

A command in flight when the master dies is not re-sent (its reply is lost, it may have run): ``StoreError``.

A client asked to (``connect(…, report_master_change=True)``: the store, whose owner can write its view through)
also says when its connections reach another master than the one they last reached, for whatever reason they
reconnected (``READONLY`` from a demoted master, a dead socket, a closed one): ``MasterChanged``, raised before the
command is sent, once per change. The old master may have acknowledged writes the new one never got (Redis
replicates asynchronously, and a master that ``SENTINEL FAILOVER`` demoted goes on taking writes until the
sentinels convert it), so what was written there may be behind what this client's user knows: it is told first.
Connections that were in use on the old master meanwhile (another greenlet's) do not go on there: redis-py's pool
drops a connection released to it that is not on the master it names now.
"""

from __future__ import annotations

import time
from typing import Any

import redis
from redis.backoff import ConstantBackoff, NoBackoff
from redis.exceptions import ReadOnlyError
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelManagedConnection

from ccswitch.sentinel_url import is_sentinel_url, parse_sentinel_url

RECONNECT_EVERY_S = 0.1
_NO_REPLICAS = "NOREPLICAS"  # the reply's error code (redis-py has no exception class for it)
SENTINEL_TIMEOUT_S = 1.0  # per sentinel asked: a dead one must not hold up asking the next


class MasterRefused(redis.ConnectionError):
    """The master refused a command (read-only, or too few replicas): it did nothing, and may be sent again to the
    master the sentinels name."""


class MasterChanged(redis.ConnectionError):
    """A connection reached another master than the one this client last reached; the command was not sent."""


Address = tuple[str, int]


class MasterAddress:
    """The master a client's connections last reached, shared by them, so that the first to reach a new one
    reports the change and the others do not."""

    def __init__(self) -> None:
        self.address: Address | None = None

    def reached(self, address: Address) -> Address | None:
        """Note that a connection reached ``address``; the master reached before it, if it was another one."""
        previous, self.address = self.address, address
        return previous if previous is not None and previous != address else None


class _FailoverConnection(SentinelManagedConnection):
    """A connection to the master Sentinel names, patient while a failover is under way, telling (``master``
    given) a change of master (module docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        self._patience_s: float = kwargs.pop("patience_s")
        self._master: MasterAddress | None = kwargs.pop("master")
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped

    def connect(self) -> None:
        if self._sock:  # (redis-py calls this before every command)
            return
        self._connect_patiently()
        previous = None if self._master is None else self._master.reached((self.host, self.port))
        if previous is not None:
            raise MasterChanged(f"the master changed to {self.host}:{self.port} (was {previous[0]}:{previous[1]}): "
                                "not sent; writes the old one took since it last replicated may be lost")

    def _connect_patiently(self) -> None:
        deadline = time.monotonic() + self._patience_s
        while True:
            try:
                super().connect()  # type: ignore[no-untyped-call]
                return
            except redis.AuthenticationError:
                raise  # a wrong password does not get better
            except (redis.ConnectionError, redis.TimeoutError):
                if time.monotonic() + RECONNECT_EVERY_S > deadline:
                    raise
                time.sleep(RECONNECT_EVERY_S)  # gevent-patched in the controller: other greenlets run

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if not self._sock:  # dropped after a refusal: reconnect through the sentinels, as the pool's connect does
            self.connect()
        super().send_packed_command(command, check_health)  # type: ignore[no-untyped-call]

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().read_response(*args, **kwargs)
        except redis.ConnectionError as exc:
            if isinstance(exc.__context__, ReadOnlyError):  # redis-py has disconnected: the next asks the sentinels
                raise MasterRefused(str(exc)) from exc
            raise
        except redis.ResponseError as exc:
            if str(exc).startswith(_NO_REPLICAS):
                self.disconnect()  # type: ignore[no-untyped-call]
                raise MasterRefused(str(exc)) from exc
            raise


def connect(url: str, timeout_s: float, report_master_change: bool = False) -> tuple[redis.Redis, str]:
    """A client for ``url`` with automatic retries off (but for ``MasterRefused``), and where it leads, for
    messages: never the URL itself, which may hold a password. With ``report_master_change``, behind Sentinel, the
    first command to reach a new master raises ``MasterChanged`` (module docstring)."""
    if is_sentinel_url(url):
        target = parse_sentinel_url(url)
        sentinel_timeout_s = min(timeout_s, SENTINEL_TIMEOUT_S)
        sentinel = Sentinel(
            target.sentinels,
            sentinel_kwargs={
                "password": target.sentinel_password,
                "socket_timeout": sentinel_timeout_s,
                "socket_connect_timeout": sentinel_timeout_s,
            },
        )
        client = sentinel.master_for(
            target.service,
            connection_class=_FailoverConnection,
            patience_s=timeout_s,
            master=MasterAddress() if report_master_change else None,
            db=target.db,
            username=target.username,
            password=target.password,
            decode_responses=True,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(ConstantBackoff(RECONNECT_EVERY_S), int(timeout_s / RECONNECT_EVERY_S),
                        supported_errors=(MasterRefused,)),
        )
        return client, target.describe()
    client = redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
    )
    kwargs = client.connection_pool.connection_kwargs
    return client, f"redis {kwargs.get('host', kwargs.get('path', '?'))}:{kwargs.get('port', '')}"
