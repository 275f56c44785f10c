"""Start and stop a private ``redis-server`` for tests."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers_ping(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


class RedisServer:
    """One ``redis-server`` process of our own; ``stop()`` kills it (tests may call it early), ``start()`` starts
    it again on the same port, empty (no persistence): a Redis restarted after a crash."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not answers_ping(self.url):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.01)

    def hang(self) -> None:
        """Freeze the process (SIGSTOP): connections stay open and nothing answers, as with a Redis stuck on a
        slow disk or a host that stopped responding."""
        self._process.send_signal(signal.SIGSTOP)

    def wake(self) -> None:
        """Let a hung process go on (SIGCONT), with its data."""
        self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self._process.poll() is None:
            self.wake()  # (a frozen process dies of SIGKILL too, but may keep its port until reaped)
            self._process.kill()
            self._process.wait(timeout=10)


def has_redis_server() -> bool:
    return shutil.which("redis-server") is not None
