"""Times for people and for JSON output: always in the configured time zone (``timezone:`` in ccswitch.yaml), never
the host's, so every command shows the same moment as the same clock time. Epoch seconds in, text out."""

from __future__ import annotations

from datetime import datetime, tzinfo

DATE_TIME = "%Y-%m-%d %H:%M:%S"
CLOCK = "%H:%M:%S"


def shown(epoch: float, tz: tzinfo, fmt: str = DATE_TIME) -> str:
    """``epoch`` as a person reads it in ``tz`` (``2026-11-18 14:06:40``; ``fmt`` as for strftime)."""
    return datetime.fromtimestamp(epoch, tz).strftime(fmt)


def iso(epoch: float, tz: tzinfo) -> str:
    """``epoch`` as ISO 8601 in ``tz``, with its offset and milliseconds: ``2026-11-18T14:06:40.000+03:00``."""
    return datetime.fromtimestamp(epoch, tz).isoformat(timespec="milliseconds")


def is_time_key(key: str) -> bool:
    """The naming rule for epoch times in ccswitch's documents: ``at``, ``since`` and ``…_at``."""
    return key in ("at", "since") or key.endswith("_at")


def with_iso_times(document: object, tz: tzinfo) -> object:
    """``document`` (JSON-like: dicts, lists, scalars) with every epoch time under a time key as ISO 8601 in ``tz``;
    an absent time (None) stays null."""
    if isinstance(document, dict):
        return {key: iso(value, tz) if is_time_key(key) and isinstance(value, int | float)
                and not isinstance(value, bool) else with_iso_times(value, tz)
                for key, value in document.items()}
    if isinstance(document, list | tuple):
        return [with_iso_times(item, tz) for item in document]
    return document
