"""Where a blocking database call runs without stopping the gevent loop.

SQLite's driver is C code that gevent cannot switch out of (and a commit waits for an fsync), so its calls run in
one worker thread of a private ``ThreadPool(1)``: the loop keeps running meanwhile, and the one thread keeps its
connection to one user at a time. psycopg waits in gevent's patched ``poll`` under monkey patching, so PostgreSQL's
calls run in the calling greenlet itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from gevent.threadpool import ThreadPool

P = ParamSpec("P")
T = TypeVar("T")


class Offload:
    def __init__(self, blocks_event_loop: bool) -> None:
        self._pool = ThreadPool(1) if blocks_event_loop else None

    def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``function(*args, **kwargs)``, in the worker thread if there is one; the calling greenlet waits for it
        while the others run."""
        if self._pool is None:
            return function(*args, **kwargs)
        result: T = self._pool.apply(function, args, kwargs)
        return result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.kill()
