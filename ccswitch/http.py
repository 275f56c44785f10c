"""The controller's HTTP server (gevent): ``/metrics`` for Prometheus and ``/healthz`` for load balancers."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from gevent.pywsgi import WSGIServer
from prometheus_client import make_wsgi_app

from ccswitch.metrics import Metrics

log = logging.getLogger(__name__)


def make_app(metrics: Metrics) -> WSGIApplication:
    metrics_app = make_wsgi_app(metrics.registry)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body: Iterable[bytes] = metrics_app(environ, start_response)
            return body
        if path == "/healthz":
            return _health(metrics, start_response)
        return _reply(start_response, "404 Not Found", {"error": "not_found", "path": path})

    return app


def serve_http(metrics: Metrics, host: str, port: int) -> WSGIServer:
    """Start serving in the background; ``port`` 0 picks a free port (read it from ``server.server_port``).
    Stop with ``server.stop()``."""
    server = WSGIServer((host, port), make_app(metrics), log=None, error_log=log)
    server.start()
    log.info("HTTP on %s:%d (/metrics, /healthz)", host, server.server_port)
    return server


def _health(metrics: Metrics, start_response: StartResponse) -> Iterable[bytes]:
    """200 while every FreeSWITCH node's event socket is up, 503 otherwise; the body says which."""
    esl = dict(metrics.esl_up)
    healthy = all(esl.values())
    status = "200 OK" if healthy else "503 Service Unavailable"
    return _reply(start_response, status, {"status": "ok" if healthy else "degraded", "esl_connected": esl})


def _reply(start_response: StartResponse, status: str, document: object) -> list[bytes]:
    body = json.dumps(document).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
