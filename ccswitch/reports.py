"""Reports from history records: pure aggregation, then CSV, charts (matplotlib) and terminal tables.

Figures are counted by ``ccswitch.stats.QueueFigures``, the same rules as the live figures (README, "how the
figures are counted"): a contact counts as offered in its queue when its queue outcome is known (answered,
abandoned, overflowed); an abandoned contact whose ``wait_s`` is under the short-abandon threshold is a short
abandon; service level = answered within the threshold (inclusive) / offered, and its two variants / (offered -
short abandons) and / answered; ASA = mean wait of answered contacts. AHT (average handle time) = mean of talk +
wrap-up of answered contacts. The interval report puts a contact in the interval in which it entered the queue.

Channels: every contact record has its ``channel`` (voice, chat …). A contact is measured against its channel's
service-level threshold (chat: ``chat.service_level_s``; voice: the queue's; ``stats.service_level_threshold``).
The interval report takes one channel or all of them together; the queue report has a row per queue and channel.

The agent report takes time by state from agent-state intervals (clipped to the window), plus the state each agent
is still in, counted from its start up to the end of the window or now, whichever comes first; calls and AHT from
contacts answered in the window.

The campaign report counts a dialler campaign's calls (``contacts.campaign``: one record per call placed, see
``ccswitch.dialer.runner``) that started in the window, by campaign or by hour. Dialled = every call; machine, busy,
no answer, failed = its outcome; person answered = any other outcome (a person was on the line); connected = bridged
to an agent (``answered_at``); abandoned = a person answered and left the campaign's queue with no agent (outcome
abandoned or overflowed: no agent within 2 s, or hung up waiting), as the dialler's ledger counts it. Abandon rate =
abandoned / person answered; answer rate = person answered / dialled; talk = talk time of connected calls, average
talk = talk / connected.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from ccswitch.acd.agents import AgentState
from ccswitch.acd.capacity import Channel
from ccswitch.history.model import (
    NO_PERSON_OUTCOMES,
    QUEUE_OUTCOMES,
    AgentStateRecord,
    ContactRecord,
    OpenAgentState,
    Outcome,
)
from ccswitch.history.storage import History
from ccswitch.stats import DEFAULT_SHORT_ABANDON_S, QueueFigures, Stats, service_level_threshold
from ccswitch.times import shown

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INTERVAL_MINUTES = (15, 30, 60)
CHART_FORMATS = ("png", "svg")
HOUR_S = 3600

_Row = TypeVar("_Row")


@dataclass(frozen=True, slots=True)
class IntervalRow:
    start: datetime  # local time, aware
    end: datetime
    offered: int
    answered: int
    abandoned: int
    overflowed: int
    answered_within_sl: int
    service_level: float | None  # 0..1; None when nothing was offered
    asa_s: float | None
    aht_s: float | None
    abandon_rate: float | None
    short_abandoned: int  # also counted in ``abandoned``
    service_level_excluding_short_abandons: float | None  # None when everything offered was a short abandon
    service_level_of_answered: float | None  # None when nothing was answered


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One queue's contacts of one channel over the report's window, and the threshold they were measured against."""

    queue: str
    channel: Channel
    service_level_s: float
    figures: QueueFigures


@dataclass(frozen=True, slots=True)
class AgentRow:
    agent: str
    seconds_by_state: dict[str, float]  # AgentState value → seconds within the window
    calls: int  # contacts answered, of every channel
    talk_s: float
    aht_s: float | None
    chats: int = 0  # of ``calls``, the text contacts
    peak_held: int = 0  # the most contacts handled at once
    mean_held: float | None = None  # contacts handled at once, on average over the time at least one was


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """A campaign's calls that started in [start, end): a whole window, or one hour of it."""

    campaign: str
    start: datetime  # local time, aware
    end: datetime
    dialled: int  # every call placed
    person_answered: int  # a person was on the line: connected, abandoned, or (blast) a prompt or menu
    connected: int  # bridged to an agent
    abandoned: int  # a person answered and left the queue without an agent
    machine: int
    busy: int
    no_answer: int  # rang out, or hung up while we listened for a machine
    failed: int  # the gateway or the network could not place it
    talk_s: float  # of the connected calls

    @property
    def abandon_rate(self) -> float | None:
        """abandoned / person answered (None when no person answered), as the dialler's ledger counts it."""
        return self.abandoned / self.person_answered if self.person_answered else None

    @property
    def answer_rate(self) -> float | None:
        """person answered / dialled (None when nothing was dialled)."""
        return self.person_answered / self.dialled if self.dialled else None

    @property
    def average_talk_s(self) -> float | None:
        return self.talk_s / self.connected if self.connected else None


def day_bounds(day: date, tz: tzinfo) -> tuple[float, float]:
    """Epoch seconds of local midnight at the start and the end of ``day`` (23 or 25 hours apart on DST days)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.timestamp(), end.timestamp()


def interval_report(records: Iterable[ContactRecord], day: date, tz: tzinfo, minutes: int = 15,
                    queue: str | None = None, service_level_s: float = 20.0,
                    short_abandon_s: float = DEFAULT_SHORT_ABANDON_S, channel: Channel | None = None,
                    channel_thresholds: Mapping[Channel, float] | None = None) -> list[IntervalRow]:
    """Every ``minutes`` interval of the local ``day`` (empty ones included), for one queue or all of them, one
    channel or all of them; a contact of a channel in ``channel_thresholds`` is measured against its threshold."""
    if minutes not in INTERVAL_MINUTES:
        raise ValueError(f"interval must be one of {INTERVAL_MINUTES} minutes, not {minutes}")
    day_start, day_end = day_bounds(day, tz)
    step = minutes * 60
    count = math.ceil((day_end - day_start) / step)
    figures = [QueueFigures() for _ in range(count)]
    handle_s = [0.0] * count
    for record in records:
        if record.outcome not in QUEUE_OUTCOMES or record.queue is None or record.enqueued_at is None:
            continue
        if (queue is not None and record.queue != queue) or not day_start <= record.enqueued_at < day_end:
            continue
        if channel is not None and record.channel is not channel:
            continue
        index = int((record.enqueued_at - day_start) // step)
        threshold = service_level_threshold(service_level_s, record.channel, channel_thresholds or {})
        _count(figures[index], record, threshold, short_abandon_s)
        if record.outcome == "answered":
            handle_s[index] += record.talk_s + record.wrap_up_s
    return [
        IntervalRow(
            start=datetime.fromtimestamp(day_start + index * step, tz),
            end=datetime.fromtimestamp(min(day_start + (index + 1) * step, day_end), tz),
            offered=f.offered,
            answered=f.answered,
            abandoned=f.abandoned,
            overflowed=f.overflowed,
            answered_within_sl=f.answered_within_sl,
            service_level=f.service_level,
            asa_s=f.asa,
            aht_s=handle_s[index] / f.answered if f.answered else None,
            abandon_rate=f.abandon_rate,
            short_abandoned=f.short_abandoned,
            service_level_excluding_short_abandons=f.service_level_excluding_short_abandons,
            service_level_of_answered=f.service_level_of_answered,
        )
        for index, f in enumerate(figures)
    ]


def _count(figures: QueueFigures, record: ContactRecord, service_level_s: float, short_abandon_s: float) -> None:
    if record.outcome == "overflowed":
        figures.record_overflow()
    elif record.wait_s is None:
        raise ValueError(f"{record.outcome} contact {record.call_uuid} has no wait_s")
    elif record.outcome == "answered":
        figures.record_answer(record.wait_s, service_level_s)
    else:
        figures.record_abandon(record.wait_s, short_abandon_s)


def queue_report(records: Iterable[ContactRecord], start: float, end: float, thresholds: Stats,
                 channel: Channel | None = None) -> list[QueueRow]:
    """Per queue and channel (of one channel, or every one), the contacts that entered the queue in [start, end),
    each measured against the thresholds of ``thresholds`` (``Stats.for_config``: its figures are not touched) as
    the live figures are. Queues and channels that had no contact have no row."""
    figures: defaultdict[tuple[str, Channel], QueueFigures] = defaultdict(QueueFigures)
    for record in records:
        if record.outcome not in QUEUE_OUTCOMES or record.queue is None or record.enqueued_at is None:
            continue
        if not start <= record.enqueued_at < end or (channel is not None and record.channel is not channel):
            continue
        counted = figures[record.queue, record.channel]
        _count(counted, record, thresholds.service_level_threshold(record.queue, record.channel),
               thresholds.short_abandon_threshold(record.queue))
        if record.outcome == "answered":
            counted.record_handle(record.talk_s + record.wrap_up_s)
        if record.first_response_s is not None:
            counted.record_first_response(record.first_response_s)
    return [QueueRow(queue, each, thresholds.service_level_threshold(queue, each), figures[queue, each])
            for queue, each in sorted(figures, key=lambda key: (key[0], list(Channel).index(key[1])))]


def busy_span(rows: Sequence[IntervalRow]) -> list[IntervalRow]:
    """The rows from the first to the last interval that offered anything (all rows if none did)."""
    return _trimmed(rows, lambda row: row.offered > 0)


def busy_hours(rows: Sequence[CampaignRow]) -> list[CampaignRow]:
    """The rows from the first to the last hour that dialled anything (all rows if none did)."""
    return _trimmed(rows, lambda row: row.dialled > 0)


def _trimmed(rows: Sequence[_Row], busy: Callable[[_Row], bool]) -> list[_Row]:
    marked = [index for index, row in enumerate(rows) if busy(row)]
    return list(rows[marked[0]:marked[-1] + 1]) if marked else list(rows)


def agent_report(contacts: Iterable[ContactRecord], states: Iterable[AgentStateRecord], start: float,
                 end: float, open_states: Iterable[OpenAgentState] = (), now: float | None = None) -> list[AgentRow]:
    """Per agent: seconds in each state within [start, end), the state still open counted up to ``end`` or ``now``
    (whichever is first); calls answered in the window, their talk time and AHT."""
    seconds: defaultdict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
    until = end if now is None else min(end, now)
    for interval in [*states, *(AgentStateRecord(o.agent, o.state, o.started_at, until) for o in open_states)]:
        overlap = min(interval.ended_at, end) - max(interval.started_at, start)
        if overlap > 0:
            seconds[interval.agent][interval.state] += overlap
    calls: defaultdict[str, list[ContactRecord]] = defaultdict(list)
    for contact in contacts:
        if (contact.outcome == "answered" and contact.agent is not None and contact.answered_at is not None
                and start <= contact.answered_at < end):
            calls[contact.agent].append(contact)
    rows = []
    for agent in sorted(seconds.keys() | calls.keys()):
        answered = calls[agent]
        handle_s = sum(c.talk_s + c.wrap_up_s for c in answered)
        peak, mean = concurrency([(c.answered_at, c.answered_at + c.talk_s) for c in answered
                                  if c.answered_at is not None])
        rows.append(AgentRow(
            agent=agent,
            seconds_by_state={state.value: seconds[agent][state.value] for state in AgentState},
            calls=len(answered),
            talk_s=sum(c.talk_s for c in answered),
            aht_s=handle_s / len(answered) if answered else None,
            chats=sum(1 for c in answered if c.channel is not Channel.VOICE),
            peak_held=peak,
            mean_held=mean,
        ))
    return rows


def concurrency(spans: Iterable[tuple[float, float]]) -> tuple[int, float | None]:
    """The most of ``spans`` (start, end) open at once, and how many were open on average over the time at least one
    was (None if none lasted). A span ending when another starts does not overlap it."""
    edges = sorted([edge for start, end in spans if end > start for edge in ((start, 1), (end, -1))])
    held = peak = 0
    busy = weighted = 0.0
    last = 0.0
    for at, change in edges:
        if held:
            busy += at - last
            weighted += held * (at - last)
        held += change
        peak = max(peak, held)
        last = at
    return peak, weighted / busy if busy else None


# A person who left the campaign's queue without an agent: no agent within 2 s (overflowed to the abandon
# message), or hung up while waiting.
_LEFT_WITHOUT_AGENT: frozenset[Outcome] = frozenset({"abandoned", "overflowed"})


@dataclass(slots=True)
class _CampaignCount:
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    connected: int = 0
    abandoned: int = 0
    talk_s: float = 0.0

    def add(self, record: ContactRecord) -> None:
        self.outcomes[record.outcome] += 1
        if record.outcome in NO_PERSON_OUTCOMES:
            return
        if record.answered_at is not None:
            self.connected += 1
            self.talk_s += record.talk_s
        elif record.outcome in _LEFT_WITHOUT_AGENT:
            self.abandoned += 1

    def row(self, campaign: str, start: datetime, end: datetime) -> CampaignRow:
        dialled = self.outcomes.total()
        unanswered = sum(self.outcomes[outcome] for outcome in NO_PERSON_OUTCOMES)
        return CampaignRow(campaign, start, end, dialled, dialled - unanswered, self.connected, self.abandoned,
                           self.outcomes["machine"], self.outcomes["busy"], self.outcomes["no_answer"],
                           self.outcomes["failed"], self.talk_s)


def campaign_report(records: Iterable[ContactRecord], start: datetime, end: datetime) -> list[CampaignRow]:
    """Per campaign (by name), its calls that started in [start, end) (aware datetimes); campaigns that placed
    none are not there."""
    low, high = start.timestamp(), end.timestamp()
    counts: defaultdict[str, _CampaignCount] = defaultdict(_CampaignCount)
    for record in records:
        if record.campaign is not None and low <= record.started_at < high:
            counts[record.campaign].add(record)
    return [counts[name].row(name, start, end) for name in sorted(counts)]


def campaign_hours(records: Iterable[ContactRecord], day: date, tz: tzinfo, campaign: str) -> list[CampaignRow]:
    """One campaign's calls by the local hour they started in: every hour of ``day`` (23 or 25 on DST days), empty
    ones included."""
    day_start, day_end = day_bounds(day, tz)
    count = math.ceil((day_end - day_start) / HOUR_S)
    counts = [_CampaignCount() for _ in range(count)]
    for record in records:
        if record.campaign == campaign and day_start <= record.started_at < day_end:
            counts[int((record.started_at - day_start) // HOUR_S)].add(record)
    return [
        hour.row(campaign, datetime.fromtimestamp(day_start + index * HOUR_S, tz),
                 datetime.fromtimestamp(min(day_start + (index + 1) * HOUR_S, day_end), tz))
        for index, hour in enumerate(counts)
    ]


def load_interval_report(history: History, day: date, tz: tzinfo, minutes: int = 15, queue: str | None = None,
                         service_level_s: float = 20.0, short_abandon_s: float = DEFAULT_SHORT_ABANDON_S,
                         channel: Channel | None = None,
                         channel_thresholds: Mapping[Channel, float] | None = None) -> list[IntervalRow]:
    start, end = day_bounds(day, tz)
    return interval_report(history.contacts_between(start, end, queue), day, tz, minutes, queue, service_level_s,
                           short_abandon_s, channel, channel_thresholds)


def load_queue_report(history: History, day: date, tz: tzinfo, thresholds: Stats,
                      channel: Channel | None = None) -> list[QueueRow]:
    start, end = day_bounds(day, tz)
    return queue_report(history.contacts_between(start, end), start, end, thresholds, channel)


def load_agent_report(history: History, day: date, tz: tzinfo, now: float) -> list[AgentRow]:
    """The local ``day``'s agent report; the states agents are still in count up to ``now``."""
    start, end = day_bounds(day, tz)
    return agent_report(history.contacts_between(start, end), history.agent_states_between(start, end), start, end,
                        history.open_agent_states(end), now)


def load_campaign_report(history: History, day: date, tz: tzinfo) -> list[CampaignRow]:
    """Every campaign that placed calls on the local ``day``, the day as the window."""
    start, end = day_bounds(day, tz)
    return campaign_report(history.campaign_contacts_started(start, end), datetime.fromtimestamp(start, tz),
                           datetime.fromtimestamp(end, tz))


def load_campaign_hours(history: History, day: date, tz: tzinfo, campaign: str) -> list[CampaignRow]:
    start, end = day_bounds(day, tz)
    return campaign_hours(history.campaign_contacts_started(start, end, campaign), day, tz, campaign)


# --------------------------------------------------------------------- CSV
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def spreadsheet_safe(cell: object) -> object:
    """A cell a spreadsheet shows as text: a string that would start a formula (``=``, ``+``, ``-``, ``@``, tab,
    carriage return: CSV injection, OWASP) gets a leading apostrophe, unless it is a plain number."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


class _SafeWriter:
    """csv.writer whose text cells cannot run as formulas (names in a report can come from imported files)."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([spreadsheet_safe(cell) for cell in row])


def write_interval_csv(rows: Iterable[IntervalRow], out: TextIO) -> None:
    """One line per interval; rates as percentages with one decimal, seconds with one; empty when undefined.
    The service-level variants come last, so the earlier columns keep their places."""
    writer = _SafeWriter(out)
    writer.writerow(["interval_start", "interval_end", "offered", "answered", "abandoned", "overflowed",
                     "answered_within_sl", "service_level_pct", "asa_s", "aht_s", "abandon_rate_pct",
                     "short_abandoned", "service_level_excl_short_abandons_pct", "service_level_of_answered_pct"])
    for row in rows:
        writer.writerow([row.start.isoformat(), row.end.isoformat(), row.offered, row.answered, row.abandoned,
                         row.overflowed, row.answered_within_sl, _percent(row.service_level), _number(row.asa_s),
                         _number(row.aht_s), _percent(row.abandon_rate), row.short_abandoned,
                         _percent(row.service_level_excluding_short_abandons),
                         _percent(row.service_level_of_answered)])


def write_queue_csv(rows: Iterable[QueueRow], out: TextIO) -> None:
    """One line per queue and channel, with the service-level threshold its contacts were measured against."""
    writer = _SafeWriter(out)
    writer.writerow(["queue", "channel", "service_level_s", "offered", "answered", "abandoned", "overflowed",
                     "answered_within_sl", "service_level_pct", "asa_s", "aht_s", "abandon_rate_pct",
                     "short_abandoned", "service_level_excl_short_abandons_pct", "service_level_of_answered_pct",
                     "first_response_s"])
    for row in rows:
        f = row.figures
        writer.writerow([row.queue, row.channel.value, f"{row.service_level_s:g}", f.offered, f.answered,
                         f.abandoned, f.overflowed, f.answered_within_sl, _percent(f.service_level), _number(f.asa),
                         _number(f.aht), _percent(f.abandon_rate), f.short_abandoned,
                         _percent(f.service_level_excluding_short_abandons), _percent(f.service_level_of_answered),
                         _number(f.average_first_response)])


def write_agent_csv(rows: Iterable[AgentRow], out: TextIO) -> None:
    writer = _SafeWriter(out)
    writer.writerow(["agent", *(f"{state.value}_s" for state in AgentState), "calls", "talk_s", "aht_s", "chats",
                     "peak_held", "mean_held"])
    for row in rows:
        writer.writerow([row.agent, *(_number(row.seconds_by_state[state.value]) for state in AgentState),
                         row.calls, _number(row.talk_s), _number(row.aht_s), row.chats, row.peak_held,
                         "" if row.mean_held is None else f"{row.mean_held:.2f}"])


def write_campaign_csv(rows: Iterable[CampaignRow], out: TextIO) -> None:
    """One line per campaign or per hour; rates as percentages with one decimal, empty when undefined; talk in
    minutes and the average in seconds, one decimal."""
    writer = _SafeWriter(out)
    writer.writerow(["campaign", "start", "end", "dialled", "person_answered", "connected", "abandoned",
                     "abandon_rate_pct", "machine", "busy", "no_answer", "failed", "answer_rate_pct", "talk_min",
                     "avg_talk_s"])
    for row in rows:
        writer.writerow([row.campaign, row.start.isoformat(), row.end.isoformat(), row.dialled, row.person_answered,
                         row.connected, row.abandoned, _percent(row.abandon_rate), row.machine, row.busy,
                         row.no_answer, row.failed, _percent(row.answer_rate), _number(row.talk_s / 60),
                         _number(row.average_talk_s)])


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


# --------------------------------------------------------------------- charts
def write_interval_chart(rows: Sequence[IntervalRow], path: Path, fmt: str, title: str,
                         service_level_s: float, sl_target: float = 0.8) -> None:
    """Bars: offered, answered, abandoned per interval; line: service level against its target (right axis)."""
    _bars_and_rate(
        rows, path, fmt, title, "contacts",
        [("offered", [row.offered for row in rows], "#4c72b0"), ("answered", [row.answered for row in rows], "#55a868"),
         ("abandoned", [row.abandoned for row in rows], "#c44e52")],
        ([row.service_level for row in rows], f"SL {service_level_s:g}s"),
        (sl_target, f"SL target {sl_target * 100:g}%"), "service level, %", top=100.0)


def write_agent_chart(rows: Sequence[AgentRow], path: Path, fmt: str, title: str) -> None:
    """One horizontal bar per agent, split into minutes by state."""
    figure, axes = _figure()
    left = [0.0] * len(rows)
    names = [row.agent for row in rows]
    for state in AgentState:
        minutes = [row.seconds_by_state[state.value] / 60 for row in rows]
        axes.barh(names, minutes, left=left, label=state.value, color=_STATE_COLOURS[state])
        left = [a + b for a, b in zip(left, minutes, strict=True)]
    axes.set_xlabel("minutes")
    axes.invert_yaxis()
    figure.legend(loc="outside lower center", ncols=len(AgentState), fontsize="small")
    axes.set_title(title)
    _save(figure, path, fmt)


def write_campaign_chart(rows: Sequence[CampaignRow], path: Path, fmt: str, title: str,
                         abandon_limit: float | None = None) -> None:
    """Bars: dialled, person answered, abandoned per hour; line: the hour's abandon rate against the campaign's
    limit (right axis; the dialler holds the limit over its rolling window, an hour may go above it)."""
    _bars_and_rate(
        rows, path, fmt, title, "calls",
        [("dialled", [row.dialled for row in rows], "#4c72b0"),
         ("person answered", [row.person_answered for row in rows], "#55a868"),
         ("abandoned", [row.abandoned for row in rows], "#c44e52")],
        ([row.abandon_rate for row in rows], "abandon rate"),
        (abandon_limit, f"limit {(abandon_limit or 0) * 100:g}%"), "abandoned / person answered, %")


def _bars_and_rate(rows: Sequence[IntervalRow] | Sequence[CampaignRow], path: Path, fmt: str, title: str,
                   bar_label: str, bars: Sequence[tuple[str, Sequence[int], str]],
                   rate: tuple[Sequence[float | None], str], target: tuple[float | None, str], rate_label: str,
                   top: float | None = None) -> None:
    """Three bars per interval (counts, left axis) and a rate with its target (percent, right axis). Without a
    fixed ``top`` the right axis fits what is drawn (abandon rates are a few percent)."""
    figure, axes = _figure()
    positions = range(len(rows))
    width = 0.27
    for shift, (name, values, colour) in zip((-width, 0.0, width), bars, strict=True):
        axes.bar([p + shift for p in positions], values, width, label=name, color=colour)
    axes.set_ylabel(bar_label)
    axes.set_xticks(list(positions), [row.start.strftime("%H:%M") for row in rows],
                    rotation=90 if len(rows) > 24 else 0)
    rate_axes = axes.twinx()
    rates, rate_name = rate
    points = [(p, value * 100) for p, value in zip(positions, rates, strict=True) if value is not None]
    if points:
        rate_axes.plot(*zip(*points, strict=True), color="black", marker="o", label=rate_name)
    level, level_name = target
    if level is not None:
        rate_axes.axhline(level * 100, color="grey", linestyle="--", label=level_name)
    highest = top if top is not None else max([value for _, value in points] + [(level or 0.0) * 100, 5.0]) * 1.15
    rate_axes.set_ylim(0, highest + 5 if top is not None else highest)
    rate_axes.set_ylabel(rate_label)
    handles, names = axes.get_legend_handles_labels()
    rate_handles, rate_names = rate_axes.get_legend_handles_labels()
    figure.legend(handles + rate_handles, names + rate_names, loc="outside lower center", ncols=5, fontsize="small")
    axes.set_title(title)
    _save(figure, path, fmt)


_STATE_COLOURS = {
    AgentState.LOGGED_OUT: "#bbbbbb",
    AgentState.AVAILABLE: "#55a868",
    AgentState.ON_BREAK: "#c44e52",
    AgentState.RESERVED: "#dd8452",
    AgentState.ON_CALL: "#4c72b0",
    AgentState.WRAP_UP: "#8172b3",
}


def _figure() -> tuple[Figure, Axes]:
    # Imported here: matplotlib takes about half a second to import and only charts need it. Figure without
    # pyplot: no global state and no GUI backend, just Agg/SVG canvases.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 5), layout="constrained")
    return figure, figure.add_subplot()


def _save(figure: Figure, path: Path, fmt: str) -> None:
    if fmt not in CHART_FORMATS:
        raise ValueError(f"chart format must be one of {CHART_FORMATS}, not {fmt!r}")
    # No creation date in the file, so the same report makes the same chart.
    metadata = {"Date": None} if fmt == "svg" else {}
    figure.savefig(path, format=fmt, metadata=metadata)


# --------------------------------------------------------------------- terminal
def history_table(records: Iterable[ContactRecord], tz: tzinfo) -> list[str]:
    """``ccswitch history`` lines: a header, then one contact a line in the order given, local time."""
    header = ("started", "channel", "from", "ivr", "queue", "wait", "agent", "talk", "outcome", "notes")
    rows = []
    for r in records:
        notes = [f"{name} {value}" for name, value in (("disposition", r.disposition), ("to", r.transferred_to),
                                                        ("recording", r.recording_path)) if value]
        if r.callback:
            notes.append("callback")
        rows.append((shown(r.started_at, tz), r.channel, r.caller_number,
                     " ".join(r.ivr_path) or "-", r.queue or "-", _clock(r.wait_s), r.agent or "-",
                     _clock(r.talk_s if r.answered_at is not None else None), r.outcome, ", ".join(notes)))
    return _table(header, rows, right_aligned={"wait", "talk"})


def recordings_table(records: Iterable[ContactRecord], tz: tzinfo) -> list[str]:
    """``ccswitch recordings list`` lines: a header, then one recording a line in the order given, local time."""
    header = ("started", "queue", "agent", "caller", "length", "path")
    rows = [(shown(r.recording_started_at or r.started_at, tz),
             r.queue or "-", r.agent or "-", r.caller_number, _clock(r.recording_s), r.recording_path or "-")
            for r in records]
    return _table(header, rows, right_aligned={"length"})


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right_aligned: set[str]) -> list[str]:
    widths = [max(map(len, column)) for column in zip(header, *rows, strict=True)]
    return [" ".join(cell.rjust(width) if name in right_aligned else cell.ljust(width)
                     for name, cell, width in zip(header, row, widths, strict=True)).rstrip()
            for row in (header, *rows)]


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"
