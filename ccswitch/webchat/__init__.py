"""The web chat's shell (``ChatService``), the store of the files sent in conversations (``attachments``), and how a
running controller gets them (``open_chat``)."""

from __future__ import annotations

from ccswitch.controller import Controller
from ccswitch.history.conversations import ConversationLog
from ccswitch.webchat.attachments import AttachmentStore
from ccswitch.webchat.desk import ControllerDesk
from ccswitch.webchat.service import ChatService


def open_chat(controller: Controller) -> tuple[ChatService, ConversationLog] | None:
    """The web chat of the controller's configuration, its conversations kept in the history database (close both
    when done); None when ``chat:`` names no topics. It may be opened before the controller starts: it takes back
    the conversations open before a restart once the controller answers."""
    config = controller.config
    if not config.chat.topics:
        return None
    log = ConversationLog(config.history_url)
    files = (AttachmentStore(config.chat.attachments, config.chat.max_attachment_bytes)
             if config.chat.attachments is not None else None)
    return ChatService(lambda: controller.config, log, ControllerDesk(controller), controller.clock.now, files), log


__all__ = ["ChatService", "open_chat"]
