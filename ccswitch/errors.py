"""One exception tree for ccswitch.

Every error carries a stable machine-readable ``error_id`` (the HTTP API and logs expose it) so callers can react
to the kind of failure without parsing messages.
"""

from __future__ import annotations


class CcswitchError(Exception):
    """Root of every error ccswitch raises on purpose."""

    error_id = "ccswitch_error"


class ConfigError(CcswitchError):
    """A YAML file is wrong. ``str()`` reads ``file: key.path: problem``."""

    error_id = "config_invalid"

    def __init__(self, file: str, key_path: str, problem: str) -> None:
        self.file = file
        self.key_path = key_path
        self.problem = problem
        where = f"{file}: {key_path}" if key_path else file
        super().__init__(f"{where}: {problem}")


class DataFileError(CcswitchError):
    """A leads CSV or a do-not-call list has bad lines. ``problems`` are ``(line, problem)`` pairs (line 0: the
    whole file); ``str()`` reads ``file: line N: problem``, one a line."""

    error_id = "data_file_invalid"

    def __init__(self, file: str, problems: list[tuple[int, str]]) -> None:
        self.file = file
        self.problems = tuple(problems)
        super().__init__(
            "\n".join(f"{file}: line {line}: {problem}" if line else f"{file}: {problem}" for line, problem in problems)
        )


class EslError(CcswitchError):
    """Base for Event Socket failures."""

    error_id = "esl_error"


class EslProtocolError(EslError):
    """FreeSWITCH (or something pretending to be it) sent bytes that are not valid ESL."""

    error_id = "esl_protocol"


class EslConnectionError(EslError):
    """The socket is down, authentication failed, or a command got no reply in time."""

    error_id = "esl_connection"


class EslCommandError(EslError):
    """FreeSWITCH answered a command with ``-ERR``."""

    error_id = "esl_command_failed"


class UnsafeValueError(CcswitchError):
    """A value cannot be placed into an ESL command safely (it would change the command's meaning)."""

    error_id = "unsafe_value"


class InvalidTransition(CcswitchError):
    """A state machine was asked for a transition its table does not allow: a bug in the caller."""

    error_id = "invalid_transition"


class UnknownNameError(CcswitchError):
    """A queue, agent, menu or campaign name that is not configured."""

    error_id = "unknown_name"


class UnknownChoiceError(UnknownNameError):
    """A value a request gives (a break reason, a queue to log in to or transfer to, a disposition) is none of
    the configured choices: the request is understood but cannot be carried out (HTTP 422), unlike a name in the
    path that names nothing (404). Same error id."""


class StoreError(CcswitchError):
    """The shared-state store failed (Redis went away, a script failed)."""

    error_id = "store_unavailable"


class ListenError(CcswitchError):
    """A server socket cannot be opened (the port is taken, a privileged port, an address not on this host).
    ``str()`` is one line naming the setting, the address and why."""

    error_id = "cannot_listen"

    def __init__(self, setting: str, host: str, port: int, reason: str) -> None:
        self.setting = setting
        self.host = host
        self.port = port
        super().__init__(f"{setting}: cannot listen on {host}:{port}: {reason}")


class StoreUnavailable(StoreError):
    """The store cannot be reached at all (connection refused or lost, a timeout): an outage, not a bad answer."""
