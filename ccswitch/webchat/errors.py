"""What the web chat refuses, each with the HTTP API's stable error id."""

from __future__ import annotations

from ccswitch.auth.gate import TooManyAttempts
from ccswitch.errors import CcswitchError


class ChatInputError(CcswitchError):
    """A request the chat cannot take: the message says what to change."""

    error_id = "bad_request"


class ChatAccessError(CcswitchError):
    """A token that is not the conversation's, or no such conversation: the same 404, so a guess learns nothing."""

    error_id = "not_found"


class TooManyConversations(TooManyAttempts):
    def __init__(self, retry_after: float) -> None:
        CcswitchError.__init__(self, f"too many conversations from this address: try again in "
                                     f"{int(retry_after) + 1} s")
        self.retry_after = int(retry_after) + 1
