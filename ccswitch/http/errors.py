"""The API's refusals as JSON ``{"error": <stable id>, "message": ...}`` with their HTTP status, and the handlers
Flask calls for them (ours, werkzeug's, and a fault of ours)."""

from __future__ import annotations

import json
import logging

import werkzeug.exceptions
from flask import Response, request
from werkzeug.exceptions import HTTPException

from ccswitch.auth.gate import Forbidden, NotAuthenticated, TooManyAttempts
from ccswitch.documents import DocumentRefused
from ccswitch.errors import CcswitchError, DataFileError, UnknownChoiceError, UnsafeValueError
from ccswitch.media.monitor import NotAuthorised

log = logging.getLogger("ccswitch.http")


class BadRequest(CcswitchError):
    error_id = "bad_request"


class NotFound(CcswitchError):
    error_id = "not_found"


class MethodNotAllowed(CcswitchError):
    error_id = "method_not_allowed"

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__(f"this route takes {', '.join(allowed)}")
        self.allowed = allowed


class BodyTooLarge(CcswitchError):
    error_id = "body_too_large"


class UnsupportedMediaType(CcswitchError):
    error_id = "unsupported_media_type"


_STATUS = {"config_invalid": 422, "unknown_name": 404, "invalid_transition": 409, "bad_request": 400,
           "not_found": 404, "method_not_allowed": 405, "body_too_large": 413, "unsupported_media_type": 415,
           UnsafeValueError.error_id: 400, NotAuthorised.error_id: 403, DataFileError.error_id: 422,
           NotAuthenticated.error_id: 401, Forbidden.error_id: 403, TooManyAttempts.error_id: 429,
           DocumentRefused.error_id: 409}


def status_of(exc: CcswitchError) -> int:
    """The HTTP status of an error (503 for the store's and the switch's failures, and anything unlisted)."""
    return 422 if isinstance(exc, UnknownChoiceError) else _STATUS.get(exc.error_id, 503)


def json_response(status: int, document: object, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(json.dumps(document), status, [("X-Content-Type-Options", "nosniff"), *(headers or [])],
                    mimetype="application/json")


def error_response(exc: CcswitchError) -> Response:
    headers = []
    if isinstance(exc, MethodNotAllowed):
        headers.append(("Allow", ", ".join(exc.allowed)))
    elif isinstance(exc, NotAuthenticated):
        headers.append(("WWW-Authenticate", 'Bearer realm="ccswitch"'))
    elif isinstance(exc, TooManyAttempts):
        headers.append(("Retry-After", str(exc.retry_after)))
    return json_response(status_of(exc), {"error": exc.error_id, "message": str(exc)}, headers)


def http_error(exc: HTTPException) -> Response:
    """Werkzeug's refusals (no such route, a method the route does not take) in the API's JSON with stable ids."""
    methods = sorted(set(getattr(exc, "valid_methods", None) or ()) - {"HEAD", "OPTIONS"})
    if isinstance(exc, werkzeug.exceptions.MethodNotAllowed) and methods:
        return error_response(MethodNotAllowed(tuple(methods)))
    # A path only the web chat's CORS preflight (OPTIONS /chat/api/…) takes is no resource.
    if isinstance(exc, werkzeug.exceptions.NotFound | werkzeug.exceptions.MethodNotAllowed):
        if request.path.startswith("/api/"):
            return error_response(NotFound("no such API route"))
        return error_response(NotFound("no such path (the API is under /api/, metrics at /metrics)"))
    return error_response(BadRequest("the request is malformed"))


def internal_error(exc: Exception) -> Response:
    """A fault of ours: logged with its traceback, answered in the API's JSON without any detail."""
    log.error("HTTP %s %s failed", request.method, request.path[:200], exc_info=exc)
    return json_response(500, {"error": "internal_error", "message": "the controller failed on this request (logged)"})
