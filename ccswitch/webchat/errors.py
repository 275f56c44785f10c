"""What the web chat refuses, each with the HTTP API's stable error id."""

from __future__ import annotations

from ccswitch.errors import CcswitchError


class ChatInputError(CcswitchError):
    """A request the chat cannot take: the message says what to change."""

    error_id = "bad_request"


class ChatAccessError(CcswitchError):
    """A token that is not the conversation's, or no such conversation: the same 404, so a guess learns nothing."""

    error_id = "not_found"

