"""What the operations API shows of the dialler: a leads import's result and progress, a campaign's status."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from ccswitch.dialer.pacing import AbandonBudget


@dataclass(frozen=True, slots=True)
class LoadResult:
    campaign: str
    added: int  # leads new to the store
    total: int  # leads the campaign has now
    do_not_call: int  # of the file's leads, on a do-not-call list
    duplicates: int = 0  # lines of the file whose number an earlier line has: skipped
    unchanged_since: float | None = None  # the file was not read again: imported then, unchanged since


class ImportState(enum.Enum):
    CHECKING = "checking"  # pass 1: every line read and checked, nothing stored
    IMPORTING = "importing"  # pass 2: leads stored a batch at a time
    DONE = "done"
    FAILED = "failed"  # bad lines (nothing stored), or the store or the file failed mid-import


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """A campaign's leads file import, running or the last one (``ccswitch.lead_import``)."""

    file: str
    state: ImportState
    started_at: float
    rows_read: int = 0  # data rows read so far in the current pass
    rows: int | None = None  # the file's data rows, once checked
    added: int = 0  # leads stored so far
    finished_at: float | None = None
    error: str | None = None  # FAILED: why
    unchanged_since: float | None = None  # DONE without importing: the file is the one imported then


@dataclass(frozen=True, slots=True)
class CampaignStatus:
    name: str
    mode: str
    queue: str
    state: str  # a RunState value, or "not_loaded"
    since: float | None
    leads: Mapping[str, int]  # LeadState value -> count
    lines: Mapping[str, int]  # LineState value -> count
    lines_in_flight: int
    dialled: int  # outcomes over the abandon window
    answer_ratio: float | None  # person answered (connected or abandoned) / dialled, over the window
    machine_ratio: float | None
    lost_ratio: float | None  # people the lines given up would have brought / person answered (None: too few yet)
    abandon: AbandonBudget  # over the window, against the limit
    abandon_window_s: int
    outcomes: Mapping[str, int]  # DialOutcome value -> count since this controller started
    lead_import: ImportProgress | None = None  # the leads file import running, or the last one
