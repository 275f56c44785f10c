"""A real Redis Sentinel set-up on loopback for tests: a master, two replicas and three sentinels, each a private
``redis-server`` process on a free port with its files in a temporary directory; ``stop()`` ends them all.

Set up with a password (``requirepass``, ``masterauth``, ``sentinel auth-pass``). Sentinel cannot be given port 0
(it announces its port to the others), so free ports are picked first. The sentinels judge a master down after
``DOWN_AFTER_MS`` and agree with a quorum of two.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import redis

from .redis_server import answers_ping, free_port

SERVICE = "ccs"
PASSWORD = "s3cret:/@pw"  # needs percent-encoding in a URL
DOWN_AFTER_MS = 1000
QUORUM = 2


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


class SentinelCluster:
    def __init__(self, replicas: int = 2, sentinels: int = 3) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="ccswitch-sentinel-")
        self._processes: dict[int, subprocess.Popen[bytes]] = {}
        try:
            self.master_port = self._start_server()
            self.replica_ports = [self._start_server("--replicaof", "127.0.0.1", str(self.master_port))
                                  for _ in range(replicas)]
            for port in self.replica_ports:
                wait_for(lambda p=port: self._info(p, "replication").get("master_link_status") == "up", 10,
                         "a replica to sync")
            self.sentinel_ports = [self._start_sentinel() for _ in range(sentinels)]
            wait_for(self._sentinels_agree, 20, "the sentinels to see the replica and each other")
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://:{quote(PASSWORD, safe='')}@{hosts}/{SERVICE}/0"

    def master(self) -> int:
        """The port the sentinels name as master now."""
        address = self.sentinel(self.sentinel_ports[0]).sentinel_get_master_addr_by_name(SERVICE)
        return int(address[1])

    def sentinel(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2, decode_responses=True)

    def server(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, password=PASSWORD, socket_timeout=2, decode_responses=True)

    def kill(self, port: int) -> None:
        """kill -9 one process (the master, say)."""
        process = self._processes[port]
        process.kill()
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self._processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        self._dir.cleanup()

    def _start_server(self, *options: str) -> int:
        port = free_port()
        self._spawn(port, ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                           "--appendonly", "no", "--dir", self._dir.name, "--requirepass", PASSWORD,
                           "--masterauth", PASSWORD, *options])
        wait_for(lambda: answers_ping(f"redis://:{quote(PASSWORD, safe='')}@127.0.0.1:{port}"), 10,
                 f"redis-server on port {port}")
        return port

    def _start_sentinel(self) -> int:
        port = free_port()
        config = Path(self._dir.name) / f"sentinel-{port}.conf"  # sentinel rewrites its file: one each
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {self._dir.name}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.master_port} {QUORUM}\n"
            f'sentinel auth-pass {SERVICE} "{PASSWORD}"\n'
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} 10000\n"
        )
        self._spawn(port, ["redis-server", str(config), "--sentinel"])
        wait_for(lambda: answers_ping(f"redis://127.0.0.1:{port}"), 10, f"sentinel on port {port}")
        return port

    def _spawn(self, port: int, argv: list[str]) -> None:
        self._processes[port] = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _sentinels_agree(self) -> bool:
        for port in self.sentinel_ports:
            state = self.sentinel(port).sentinel_master(SERVICE)
            others = len(self.sentinel_ports) - 1
            if int(state["num-slaves"]) < len(self.replica_ports) or int(state["num-other-sentinels"]) < others:
                return False
        return True

    def _info(self, port: int, section: str) -> dict[str, object]:
        info: dict[str, object] = self.server(port).info(section)
        return info
