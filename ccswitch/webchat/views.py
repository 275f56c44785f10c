"""The JSON shapes of a message and a customer that the routes answer and the streams send (documented in
``ccswitch/openapi.json``)."""

from __future__ import annotations

from ccswitch.chat.messages import Customer, Message


def message_view(message: Message) -> dict[str, object]:
    attachment = message.attachment
    return {"seq": message.seq, "at": message.at, "sender": message.sender.value, "author": message.author,
            "text": message.text,
            "attachment": None if attachment is None else {"id": attachment.id, "name": attachment.name,
                                                           "media_type": attachment.media_type,
                                                           "size": attachment.size}}


def customer_view(customer: Customer) -> dict[str, str]:
    return {"name": customer.name, "email": customer.email, "phone": customer.phone}
