"""The JSON shapes of a message and a customer that the routes answer and the streams send (documented in
``ccswitch/openapi.json``)."""

from __future__ import annotations

from collections.abc import Callable

from ccswitch.chat.messages import Customer, Message, Sender


def message_view(message: Message, agent_name: Callable[[str], str]) -> dict[str, object]:
    """``agent_name``: an agent's name as customers see it (a message keeps the agent's id, for the record)."""
    attachment = message.attachment
    author = agent_name(message.author) if message.sender is Sender.AGENT else message.author
    return {"seq": message.seq, "at": message.at, "sender": message.sender.value, "author": author,
            "text": message.text,
            "attachment": None if attachment is None else {"id": attachment.id, "name": attachment.name,
                                                           "media_type": attachment.media_type,
                                                           "size": attachment.size}}


def customer_view(customer: Customer) -> dict[str, str]:
    return {"name": customer.name, "email": customer.email, "phone": customer.phone}
