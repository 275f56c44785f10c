"""JSON Schemas of the YAML files a user edits, for editors (YAML language server) and scripts.

The loader (``ccswitch.config.loader``) stays the authority: it also checks what a schema cannot say (names used
in one file and defined in another, prompt files, time zones). tests/config/test_schemas.py holds these files to
the loader. ``common.schema.json`` has the definitions the others share (steps, prompts, calendar conditions).
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
# The file each schema describes (``common`` is shared definitions, not a file of its own).
NAMES = ("ccswitch", "dialplan", "ivr", "queues", "agents", "supervisors", "campaigns", "users", "chatbots", "common")


def schema_path(name: str) -> Path:
    """The file of schema ``name`` (one of ``NAMES``)."""
    if name not in NAMES:
        raise ValueError(f"no schema {name!r} (known: {', '.join(NAMES)})")
    return FOLDER / f"{name}.schema.json"


__all__ = ["FOLDER", "NAMES", "schema_path"]
