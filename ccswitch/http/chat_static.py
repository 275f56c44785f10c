"""The web-chat widget's files: ``/chat/widget.js`` and ``/chat/widget.css`` (what a site embeds with one script
tag) and ``/chat/demo``, a host page with that tag. Public and static: the widget reads and writes through the
customer routes of ``ccswitch.http.webchat`` with its conversation's token."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from flask import Flask, send_from_directory

WIDGET = Path(__file__).resolve().parent.parent / "web" / "static" / "chat"
_FILES = {"widget.js": "widget.js", "widget.css": "widget.css", "demo": "demo.html"}


def add_widget_routes(app: Flask) -> None:
    for path, file in _FILES.items():
        app.add_url_rule(f"/chat/{path}", f"chat {path}", partial(send_from_directory, WIDGET, file))
