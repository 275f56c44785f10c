"""The dialler: runs outbound campaigns against the engine's agents, a line at a time.

Theory of operation
-------------------
The controller greenlet owns a ``Dialer`` as it owns the engine: every event, tick and reconcile goes to the engine
first and then to the dialler, with the same ``now``; the dialler reads the engine's agents and waiting calls
(never changes them), hands answered people to it (``Engine.take_outbound``), and emits its own effects through
the same executor. No sockets, no clock reads.

Each tick, for every RUNNING campaign, it works out how many lines to launch, picks that many leads
(``campaign.next_leads``: retries due first, DNC, calling window and the 72-hour rule applied), moves each lead to
DIALLING with the store's compare-and-set (so no two controllers dial one lead for one attempt) and originates::

    bgapi originate {origination_uuid=<line>,origination_caller_id_number=<campaign number>,
        origination_caller_id_name=<campaign name>,originate_timeout=<ring_timeout_s + 2>,ignore_early_media=true,
        cc_campaign=<name>,cc_lead=<phone>}sofia/gateway/<gateway>/<phone> &park()

How many: *progressive* one per free agent of the campaign's queue not already held by a line ringing or being
classified, or by an inbound call waiting for them (blended agents: inbound goes first); *predictive* what the pacer
says (``pacing.lines_to_dial``, spending the campaign's ``AbandonLedger``), at least the progressive number and at
most ``max_lines_per_agent`` lines in flight per staffed agent; *blast* ``max_lines_per_agent`` lines per staffed
agent of its queue, none while calls wait there; *preview* none: agents dial the leads they are shown.

Cancelling (predictive, and only when the campaign's lines ring longer than its minimum, ``pacing_policy``; paused
or stopped campaigns too, while their lines ring): before launching, the pacer may hang up lines that rang
``min_ring_s`` (plus call set-up) and that it expects no agent to be free for (``pacing.lines_to_cancel``);
``Hangup(ORIGINATOR_CANCEL)``, then the leg's hang-up settles the lead as no answer (retried later). Nobody
answered, so it is no abandoned call; the estimators count what it would have been (``pacing.unseen_outcome``).

Preview: an available agent of the campaign's queue asks for a lead (``preview``): the next dialable one not shown
to anyone else, and they are reserved for it (``Engine.preview``: no queue call is offered to them meanwhile). They
dial it (``dial``; or it is dialled by itself after ``preview_dial_after_s``) or skip it (``skip``: not shown again
for ``PREVIEW_SKIP_S``). Dialling is a callback's: the agent's phone first (``sip_auto_answer``), then the lead from
it through the gateway (``Engine.dial_preview``); the line's uuid is the lead's leg. Bridged: answered by a person
(no detection, no ledger: nobody can be abandoned); not reached: busy / no answer / failed from the cause, as any
line (a phone of the agent's that does not answer fails the attempt). Which lead an agent previews is kept in
memory: after a restart the agent asks again.

A line moves along one table (``_LINE_MOVES``); anything else raises ``InvalidTransition``::

    RINGING --answered (CHANNEL_PARK)--> DETECTING --person--> WAITING --connected (CHANNEL_BRIDGE)--> CONNECTED
       |                                    |  \\--machine message / blast prompt--> MESSAGE --played--> (over)
       \\--ended (-ERR, hang-up, timeout)    \\--ended (machine hung up on, gone)    WAITING --abandoned--> (over)
    RINGING --connected (a preview: bridged from the agent's phone)--> CONNECTED
    RINGING --cancelled (rang the minimum, no agent expected)--> CANCELLING --ended (its hang-up)--> (over)

*Answered*: the callee picked up and the leg parked; mod_amd's ``amd`` runs on it (``DetectMachine``).
``ignore_early_media=true`` matters: without it originate succeeds on early media (a 183 from the network,
switch_ivr_originate.c ``early_ok``) and the line would park while it still rings. *Person* (HUMAN, and NOTSURE:
a person hung up on by mistake would be an abandoned call): the engine queues them ahead of everyone and must
connect an agent within ``CONNECT_WITHIN_S`` (2 s, counted from the end of detection, i.e. of the person's
greeting, as the US TSR counts it), otherwise it plays the campaign's abandon message. The dialler decides
connected / abandoned from the same events and ticks as the engine, so they always agree: CHANNEL_BRIDGE before
the deadline's tick is connected, anything else is abandoned (also a person who hangs up while waiting). Both go
into the campaign's ledger; blast and machine calls do not. *Machine*: the campaign's message is played, then the
line is hung up, or it is hung up at once; it never reaches an agent.

Lead outcomes follow ``campaign.on_outcome``: the -ERR cause of the originate (or the leg's hang-up cause) gives
busy / no answer / failed, detection gives machine, the connect deadline answered or abandoned; agents set the
disposition afterwards (``dispose``). A line with no outcome in time (a lost event, a command that never left) is
taken back: hung up, and its lead FAILED.

History: every line leaves one contact record (``record``, the history writer's ``submit``: never blocks). A person
handed to the engine is the engine's to record (answered, overflowed = abandoned by the deadline, abandoned = hung
up waiting, or where a blast menu led them). A line that ends here is recorded here (``history_outcome``): busy, no
answer or failed from the cause, no answer when hung up during detection, machine, and ``announced`` for a blast
person who heard the prompt and was not sent to a menu; it runs from the originate to the line's end.

Restart: runs, leads and their progress live in the store. After every node has reported its live channels, a
lead left DIALLING whose call no node has is FAILED (retried per the campaign's rules); a call still up is followed
again (parked: detection is started again; talking to an agent: answered). DONE and DNC leads are never dialled.
The ledger's answers are also written to the store (``add_answer``, once per call; trimmed to the window once a
minute), and a (re)started controller reads the window back, so a restart forgets no abandon. Each controller
paces from the answers it saw itself since it started, plus those stored before: two controllers dialling one
campaign at once do not see each other's answers until one restarts.

Modules: a campaign that detects machines needs mod_amd on the switch. The controller asks each node at connect
(``modules_missing``): while a node lacks it such a campaign is paused and may not be started, with an error that
names the module. A line whose ``amd`` the switch hung up DESTINATION_OUT_OF_ORDER within ``MISSING_APP_WINDOW_S``
(FreeSWITCH's "Invalid Application": the module went away after the check, trace m) is not "a person who hung up
during detection": it is logged as an error, counted (``applications_missing``), the lead FAILED, and the module is
taken as missing on that node.

A blast person whose campaign names an IVR menu is handed to the engine with ``Engine.take_outbound_step(node,
uuid, number, name, campaign, ToIvr(menu), now)`` once the prompt has played; without a menu the call ends.
"""

from __future__ import annotations

import enum
import logging
import math
import uuid as uuidlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from ccswitch.acd.agents import Agent, AgentState
from ccswitch.acd.capacity import Channel
from ccswitch.calls import DialOutPlan
from ccswitch.channel_events import AmdCompleted, AppCompleted, Bridged, ChannelEvent, HungUp, JobFailed, Parked
from ccswitch.config import Config
from ccswitch.config.model import CampaignConfig
from ccswitch.dialer.campaign import (
    CampaignRun,
    RunCommand,
    RunState,
    admit,
    apply_command,
    dialable,
    new_run,
    next_leads,
    on_dial,
    on_disposition,
    on_outcome,
)
from ccswitch.dialer.leads import DialOutcome, Lead, LeadState, normalise_phone
from ccswitch.dialer.pacing import (
    ABANDON_GRACE_SECONDS,
    AbandonBudget,
    AbandonLedger,
    DelayDistribution,
    DelayEstimator,
    LogNormal,
    PacerInput,
    PacingPolicy,
    RateEstimator,
    TalkTimeEstimator,
    lines_to_cancel,
    lines_to_dial,
    progressive_lines,
    unseen_outcome,
)
from ccswitch.effects import DetectMachine, Effect, Hangup, Originate, Play
from ccswitch.engine import Engine, Record
from ccswitch.errors import CcswitchError, InvalidTransition, UnknownNameError
from ccswitch.history.model import ContactRecord, DispositionRecord, Outcome
from ccswitch.routing.steps import ToAnnouncement, ToIvr
from ccswitch.store.base import Store
from ccswitch.switch_modules import AMD_MODULE, Requirement, required_modules

log = logging.getLogger(__name__)

Emit = Callable[[str, Sequence[Effect]], None]

CONNECT_WITHIN_S = ABANDON_GRACE_SECONDS  # a person answered must have an agent by then, else the abandon message
RING_SETUP_S = 2  # originate_timeout runs from the INVITE; the phone starts ringing a moment later
LINE_GRACE_S = 30.0  # beyond the ring timeout, before a line with no outcome is taken back
DETECTION_TIMEOUT_S = 10.0  # mod_amd decides within its total_analysis_time (5 s by default)
MESSAGE_TIMEOUT_S = 300.0  # a message or blast prompt that never reports its end is cut off
ESTIMATES_REFRESH_S = 60.0  # the pacer's delay and talk-time snapshots are rebuilt this often (they key its caches)
PICK_IDLE_S = 5.0  # a pick that found fewer leads than lines wanted is not tried again before this (it reads all)
PREVIEW_SKIP_S = 600.0  # a lead an agent skipped is not shown again before this
# FreeSWITCH hangs a channel up ~20 ms after being told to run an application it does not have (trace m).
MISSING_APP_WINDOW_S = 1.0
DETECTION_APP = "amd"

# How a line that was never answered ended: the originate's -ERR cause or the leg's hang-up cause.
_BUSY_CAUSES = frozenset({"USER_BUSY", "CALL_REJECTED"})
_NO_ANSWER_CAUSES = frozenset(
    {"NO_ANSWER", "NO_USER_RESPONSE", "ALLOTTED_TIMEOUT", "RECOVERY_ON_TIMER_EXPIRE", "ORIGINATOR_CANCEL"}
)


def outcome_of_cause(cause: str) -> DialOutcome:
    """What a failed originate means for its lead: busy, no answer, or failed (the network refused)."""
    cause = cause.strip().upper()
    if cause in _BUSY_CAUSES:
        return DialOutcome.BUSY
    if cause in _NO_ANSWER_CAUSES:
        return DialOutcome.NO_ANSWER
    return DialOutcome.FAILED


_UNANSWERED_OUTCOMES: Mapping[DialOutcome, Outcome] = MappingProxyType(
    {DialOutcome.BUSY: "busy", DialOutcome.NO_ANSWER: "no_answer", DialOutcome.FAILED: "failed"}
)


# -- lines -------------------------------------------------------------------------------------------------------


class LineState(enum.Enum):
    RINGING = "ringing"  # originated, not answered yet
    DETECTING = "detecting"  # answered and parked: machine or person?
    WAITING = "waiting"  # a person, handed to the engine: an agent within CONNECT_WITHIN_S, or the abandon message
    CONNECTED = "connected"  # talking to an agent
    MESSAGE = "message"  # a machine hears the campaign's message, or a person the blast prompt
    CANCELLING = "cancelling"  # rang the minimum, hung up by the pacer (no agent for it): waiting for its end


class LineEvent(enum.Enum):
    ANSWERED = "answered"
    TO_AGENT = "to_agent"
    TO_MESSAGE = "to_message"
    HANDED_OVER = "handed_over"  # a blast person goes to an IVR menu: the engine's from here
    CONNECTED = "connected"
    ABANDONED = "abandoned"
    PLAYED = "played"
    CANCELLED = "cancelled"  # the pacer hangs up a line that rang the minimum before anyone answered
    ENDED = "ended"  # failed, hung up, gone, or hung up on


_OVER = None  # the line is finished: the dialler forgets it
_LINE_MOVES: Mapping[tuple[LineState, LineEvent], LineState | None] = MappingProxyType(
    {
        (LineState.RINGING, LineEvent.ANSWERED): LineState.DETECTING,
        (LineState.RINGING, LineEvent.ENDED): _OVER,
        (LineState.RINGING, LineEvent.CONNECTED): LineState.CONNECTED,  # a preview: the agent's phone dialled it
        (LineState.RINGING, LineEvent.CANCELLED): LineState.CANCELLING,
        (LineState.CANCELLING, LineEvent.ENDED): _OVER,
        (LineState.DETECTING, LineEvent.TO_AGENT): LineState.WAITING,
        (LineState.DETECTING, LineEvent.TO_MESSAGE): LineState.MESSAGE,
        (LineState.DETECTING, LineEvent.HANDED_OVER): _OVER,
        (LineState.DETECTING, LineEvent.ENDED): _OVER,
        (LineState.WAITING, LineEvent.CONNECTED): LineState.CONNECTED,
        (LineState.WAITING, LineEvent.ABANDONED): _OVER,
        (LineState.CONNECTED, LineEvent.ENDED): _OVER,
        (LineState.MESSAGE, LineEvent.PLAYED): _OVER,
        (LineState.MESSAGE, LineEvent.ENDED): _OVER,
    }
)

# Lines whose outcome for the pacer is still open: they may yet need an agent.
_IN_FLIGHT = frozenset({LineState.RINGING, LineState.DETECTING, LineState.WAITING, LineState.MESSAGE})


@dataclass(frozen=True, slots=True)
class Line:
    """One outbound call of a campaign; ``uuid`` is its channel (and the originate's Job-UUID)."""

    uuid: str
    node: str
    campaign: str
    phone: str
    state: LineState
    dialled_at: float
    answered_at: float | None = None
    handed_at: float | None = None  # to the engine, as a person
    connected_at: float | None = None
    tag: str | None = None  # the Event-UUID of the application whose end we wait for (amd, a message)
    person: bool | None = None  # what detection said (NOTSURE counts as a person)


def move(line: Line, event: LineEvent, **changes: object) -> Line | None:
    """``line`` after ``event`` (None: it is over); ``InvalidTransition`` when the table has no such move."""
    if (line.state, event) not in _LINE_MOVES:
        raise InvalidTransition(f"line {line.uuid} of campaign {line.campaign}: no {event.value} while "
                                f"{line.state.value}")
    state = _LINE_MOVES[(line.state, event)]
    return None if state is None else replace(line, state=state, **changes)  # type: ignore[arg-type]


def history_outcome(line: Line, cause: str) -> Outcome:
    """The history outcome of a line that ends in the dialler, never handed to the engine: from the cause while it
    rang; no answer if hung up before detection said anything; then machine, or a blast person's prompt."""
    if line.state is LineState.RINGING:
        return _UNANSWERED_OUTCOMES[outcome_of_cause(cause)]
    if line.state is LineState.CANCELLING:
        return "no_answer" if line.answered_at is None else "abandoned"
    if line.person is None:
        return "no_answer"
    return "announced" if line.person else "machine"


# -- what the dialler sees of the agents ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentSupply:
    """The agents of a campaign's queue now, as the pacer needs them."""

    free: int  # can take a call now
    talking_for: tuple[float, ...]  # per agent on a call: seconds so far
    wrap_up_left: tuple[float, ...]  # per agent in wrap-up: seconds left
    staffed: int  # logged in to the queue and not on break
    held_by_inbound: int  # free agents whom calls already waiting in their queues will take first


def agent_supply(agents: Mapping[str, Agent], members: Mapping[str, Sequence[str]], waiting: Mapping[str, int],
                 queue: str, now: float) -> AgentSupply:
    """The agents of ``queue`` (``members``: the agent ids of every queue; ``waiting``: calls waiting per queue).

    A free agent is held by inbound when a call waits in any queue they serve: each waiting call holds one such
    agent, queues taken in name order, agents in the queue's order (blended agents serve inbound first)."""
    serving = [agents[agent_id] for agent_id in members[queue] if agent_id in agents and agents[agent_id].serves(queue)]
    free = [agent for agent in serving if agent.can_take_calls(now)]
    talking = tuple(now - agent.since for agent in serving if agent.state is AgentState.ON_CALL)
    wrapping = tuple(max(0.0, (agent.wrap_until or now) - now) for agent in serving
                     if agent.state is AgentState.WRAP_UP)
    staffed = sum(1 for agent in serving if agent.state not in (AgentState.LOGGED_OUT, AgentState.ON_BREAK))
    unheld = {agent.id for agent in free}
    held = 0
    for name in sorted(waiting):
        calls = waiting[name]
        for agent_id in members.get(name, ()):
            if calls <= 0:
                break
            if agent_id in unheld and agents[agent_id].serves(name):
                unheld.discard(agent_id)
                held += 1
                calls -= 1
    return AgentSupply(len(free), talking, wrapping, staffed, held)


# -- per-campaign figures ------------------------------------------------------------------------------------------


class OutcomeWindow:
    """Dial outcomes over a rolling window, in one-minute buckets (bounded memory, whatever the dial rate)."""

    BUCKET_S = 60.0

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._buckets: deque[tuple[float, Counter[DialOutcome]]] = deque()

    def record(self, at: float, outcome: DialOutcome) -> None:
        start = at - at % self.BUCKET_S
        if not self._buckets or self._buckets[-1][0] < start:
            self._buckets.append((start, Counter()))
        self._buckets[-1][1][outcome] += 1

    def counts(self, now: float) -> Counter[DialOutcome]:
        while self._buckets and self._buckets[0][0] + self.BUCKET_S <= now - self.window_s:
            self._buckets.popleft()
        total: Counter[DialOutcome] = Counter()
        for _, counts in self._buckets:
            total.update(counts)
        return total


@dataclass
class _Estimates:
    """The pacer's view of one campaign, updated as lines end (priors: conservative first minutes)."""

    person: RateEstimator
    machine: RateEstimator
    delay: DelayEstimator
    talk: TalkTimeEstimator
    delay_now: DelayDistribution
    talk_now: LogNormal
    refreshed_at: float

    @classmethod
    def new(cls, ring_s: int, now: float) -> _Estimates:
        delay = DelayEstimator(prior=DelayDistribution.uniform(0, ring_s), prior_weight=20.0, updated_at=now)
        talk = TalkTimeEstimator(prior=LogNormal.from_mean(180.0, 0.8), prior_weight=30.0, updated_at=now)
        return cls(RateEstimator(prior_rate=0.5, prior_weight=50.0, updated_at=now),
                   RateEstimator(prior_rate=0.2, prior_weight=50.0, updated_at=now),
                   delay, talk, delay.distribution(now), talk.distribution(now), now)

    def refresh(self, now: float) -> bool:
        """Rebuild the snapshots if they are due; whether they were."""
        if now - self.refreshed_at < ESTIMATES_REFRESH_S:
            return False
        self.delay_now, self.talk_now = self.delay.distribution(now), self.talk.distribution(now)
        self.refreshed_at = now
        return True


@dataclass(frozen=True, slots=True)
class Preview:
    """A lead shown to an agent, not dialled yet; ``call`` is the uuid its leg will have."""

    agent: str
    campaign: str
    phone: str
    call: str
    since: float


@dataclass
class _Campaign:
    config: CampaignConfig
    run: CampaignRun | None
    leads: dict[str, Lead]  # phone -> lead, as last read or written: changed through ``keep``
    ledger: AbandonLedger
    estimates: _Estimates
    window: OutcomeWindow
    totals: Counter[DialOutcome] = field(default_factory=Counter)  # since this controller started
    ledger_at: float = 0.0  # the ledger takes records in time order
    idle_until: float = 0.0  # no lead was left to dial: not looked for again before this
    skipped: dict[str, float] = field(default_factory=dict)  # phone -> not previewed again before this
    by_state: Counter[LeadState] = field(default_factory=Counter)  # ``leads`` counted: status walks no million leads

    def __post_init__(self) -> None:
        self.by_state.update(lead.state for lead in self.leads.values())

    def keep(self, lead: Lead) -> None:
        """``lead`` as last read or written."""
        old = self.leads.get(lead.phone)
        if old is not None:
            self.by_state[old.state] -= 1
        self.by_state[lead.state] += 1
        self.leads[lead.phone] = lead

    @property
    def ring_s(self) -> int:
        return ring_seconds(self.config)

    @property
    def running(self) -> bool:
        return self.run is not None and self.run.state is RunState.RUNNING


def ring_seconds(campaign: CampaignConfig) -> int:
    """``originate_timeout``: the campaign's ring timeout plus call set-up."""
    return campaign.ring_timeout_s + RING_SETUP_S


def pacing_policy(campaign: CampaignConfig) -> PacingPolicy:
    """The predictive pacer for ``campaign``: the cancelling one (``PacingPolicy.cancelling``) when its lines ring
    longer than the minimum, so that a line may be hung up once it rang that long, else the plain one.

    The minimum counts from the INVITE plus call set-up, as ``originate_timeout`` does. A campaign whose
    ``ring_timeout_s`` is its ``min_ring_s`` cancels nothing: the switch gives up on the line at that moment.
    """
    ring = float(ring_seconds(campaign))
    cancel_after = float(campaign.min_ring_s + RING_SETUP_S)
    if cancel_after >= ring:
        return PacingPolicy(ring_timeout=ring)
    return PacingPolicy.cancelling(ring_timeout=ring, min_ring=cancel_after)


# -- what the operations API shows ---------------------------------------------------------------------------------


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
    abandon: AbandonBudget  # over the window, against the limit
    abandon_window_s: int
    outcomes: Mapping[str, int]  # DialOutcome value -> count since this controller started
    lead_import: ImportProgress | None = None  # the leads file import running, or the last one


# -- the dialler -------------------------------------------------------------------------------------------------------


class Dialer:
    def __init__(self, config: Config, store: Store, engine: Engine, emit: Emit, record: Record | None = None) -> None:
        self.config = config
        self.store = store
        self.engine = engine
        self.emit = emit
        self.record: Record = record or (lambda _record: None)  # the history writer's submit: never blocks
        self.lines: dict[str, Line] = {}  # channel uuid -> line
        self.previews: dict[str, Preview] = {}  # agent id -> the lead they are shown
        engine.preview_ended = self._preview_ended
        self.campaigns: dict[str, _Campaign] = {}
        self._unreconciled = {node.name for node in config.nodes}
        self._started = False
        self.missing_modules: dict[str, set[str]] = {}  # node -> required modules it does not have
        self.applications_missing: Counter[tuple[str, str]] = Counter()  # (node, application) -> calls lost

    # ----------------------------------------------------------------- start-up, configuration
    def start(self, now: float) -> None:
        """Read every configured campaign's run and leads from the store."""
        for name, campaign in self.config.campaigns.items():
            self.campaigns[name] = self._fresh(campaign, now)
        self._started = True
        running = [name for name, campaign in self.campaigns.items() if campaign.running]
        log.info("dialler started: %d campaigns (%s running)", len(self.campaigns), ", ".join(running) or "none")

    def _fresh(self, campaign: CampaignConfig, now: float) -> _Campaign:
        """A campaign as the store has it: run, leads, and the answers of the abandon window so far."""
        leads = {lead.phone: lead for lead in self.store.leads(campaign.name)}
        ledger = AbandonLedger(campaign.abandon_window_s, campaign.abandon_limit)
        ledger_at = 0.0
        for at, abandoned in self.store.answers(campaign.name, now - campaign.abandon_window_s):
            ledger_at = max(ledger_at, at)
            ledger.record(ledger_at, answered_person=True, abandoned=abandoned)
        return _Campaign(campaign, self.store.get_campaign_run(campaign.name), leads, ledger,
                         _Estimates.new(ring_seconds(campaign), now), OutcomeWindow(campaign.abandon_window_s),
                         ledger_at=ledger_at)

    def reload(self, config: Config, now: float) -> None:
        """New campaign settings (lists, windows, retries, limits); a campaign's figures and lines carry on."""
        self.config = config
        for name, campaign in config.campaigns.items():
            known = self.campaigns.get(name)
            if known is None:
                self.campaigns[name] = self._fresh(campaign, now)
            else:
                known.config = campaign
                known.ledger.window_seconds, known.ledger.limit = campaign.abandon_window_s, campaign.abandon_limit
                known.window.window_s = campaign.abandon_window_s
        for name in [name for name in self.campaigns if name not in config.campaigns]:
            if not any(line.campaign == name for line in self.lines.values()):
                del self.campaigns[name]

    def _campaign(self, name: str) -> _Campaign:
        campaign = self.campaigns.get(name)
        if campaign is None or name not in self.config.campaigns:
            known = ", ".join(sorted(self.config.campaigns)) or "none"
            raise UnknownNameError(f"unknown campaign '{name}' (known: {known})")
        return campaign

    # ----------------------------------------------------------------- operations
    def load(self, name: str, leads: Sequence[Lead], now: float) -> LoadResult:
        """Import leads (those already stored keep their progress): idempotent. Numbers on a do-not-call list are
        stored as DNC. The run is created (LOADED) if the campaign has none."""
        loaded = self.add_leads(name, leads, now)
        log.info("campaign %s: %d leads added (%d in all, %d on a do-not-call list)", name, loaded.added,
                 loaded.total, loaded.do_not_call)
        return loaded

    def add_leads(self, name: str, leads: Sequence[Lead], now: float) -> LoadResult:
        """``load`` without its log line: one batch of a file's import (``ccswitch.lead_import``), whose work is in
        proportion to the batch, however many leads the campaign has."""
        campaign = self._campaign(name)
        admitted = admit(campaign.config, leads)
        added = self.store.put_leads(name, admitted)
        for lead in added:
            campaign.keep(lead)
        campaign.idle_until = 0.0
        if campaign.run is None:
            first = new_run(name, now)
            self._set_run(campaign, first, first)
        dnc = sum(1 for lead in admitted if lead.state is LeadState.DNC)
        return LoadResult(name, len(added), len(campaign.leads), dnc)

    def command(self, name: str, command: RunCommand, now: float) -> CampaignRun:
        """Start, pause, resume or stop a campaign (``start`` on a paused one resumes it). Lines already out finish;
        a stopped or paused campaign launches no new ones."""
        campaign = self._campaign(name)
        if campaign.run is None:
            first = new_run(name, now)
            self._set_run(campaign, first, first)
        run = campaign.run
        assert run is not None
        if command is RunCommand.START and run.state is RunState.PAUSED:
            command = RunCommand.RESUME
        missing = self._missing_for(name)
        if command in (RunCommand.START, RunCommand.RESUME) and missing:
            log.error("campaign %s not started: %s", name, missing)
            raise InvalidTransition(f"campaign {name} cannot run: {missing}")
        stored = self._set_run(campaign, run, apply_command(run, command, now))
        campaign.idle_until = 0.0
        log.info("campaign %s: %s -> %s", name, command.value, stored.state.value)
        return stored

    # ----------------------------------------------------------------- switch modules
    def modules_missing(self, node: str, missing: Sequence[Requirement], now: float) -> None:
        """What ``node`` said at connect: the required modules it lacks (``switch_modules``). A running campaign
        that needs one of them is paused."""
        self.missing_modules[node] = {requirement.module for requirement in missing}
        self._pause_blocked(now)

    def _missing_for(self, name: str) -> str:
        """Why campaign ``name`` cannot run now (a module a node lacks), or ""."""
        needs = {r.module: r.feature for r in required_modules(self.config) if r.campaign == name}
        lacking = [f"FreeSWITCH node {node} does not have {module} (needed for {needs[module]})"
                   for node, modules in sorted(self.missing_modules.items()) for module in sorted(modules)
                   if module in needs]
        return "; ".join(lacking)

    def _pause_blocked(self, now: float) -> None:
        for name, campaign in self.campaigns.items():
            missing = self._missing_for(name)
            if missing and campaign.run is not None and campaign.run.state is RunState.RUNNING:
                log.error("campaign %s paused: %s", name, missing)
                try:
                    self._set_run(campaign, campaign.run, apply_command(campaign.run, RunCommand.PAUSE, now))
                except InvalidTransition:
                    log.exception("campaign %s: could not pause it", name)

    def _set_run(self, campaign: _Campaign, old: CampaignRun, new: CampaignRun) -> CampaignRun:
        """Compare-and-set the run (``old`` = ``new`` of version 0 creates it)."""
        stored = self.store.update_campaign_run(old, new)
        if stored is None:  # another controller changed it: take theirs and let the caller ask again
            campaign.run = self.store.get_campaign_run(new.campaign)
            raise InvalidTransition(f"campaign {new.campaign} was changed by another controller at the same "
                                    "moment; try again")
        campaign.run = stored
        return stored

    def preview(self, name: str, agent_id: str, now: float) -> Lead:
        """Show ``agent_id`` the next lead of preview campaign ``name`` and reserve them for it (the lead they
        already preview, if any). InvalidTransition: not a running preview campaign, no lead to show now, the
        agent not free or previewing another campaign's lead; UnknownNameError: campaign or agent."""
        campaign = self._campaign(name)
        config = campaign.config
        if config.mode != "preview":
            raise InvalidTransition(f"campaign {name} dials {config.mode}: only a preview campaign shows leads")
        if not campaign.running:
            state = campaign.run.state.value if campaign.run else "not loaded"
            raise InvalidTransition(f"campaign {name} is {state}: start it first")
        shown = self.previews.get(agent_id)
        if shown is not None:
            if shown.campaign != name:
                raise InvalidTransition(f"agent {agent_id} previews a lead of campaign {shown.campaign}: dial or skip "
                                        "it first")
            return campaign.leads[shown.phone]
        held = {p.phone for p in self.previews.values() if p.campaign == name}
        candidates = (lead for lead in campaign.leads.values()
                      if lead.phone not in held and campaign.skipped.get(lead.phone, 0.0) <= now)
        picked = next_leads(config, candidates, now, 1, agent_reserved=True)
        if not picked:
            raise InvalidTransition(f"campaign {name} has no lead to show now (the rest wait for a retry, their "
                                    "calling window, or another agent)")
        (lead,) = picked
        preview = Preview(agent_id, name, lead.phone, str(uuidlib.uuid4()), now)
        plan = DialOutPlan(lead.phone, config.gateway, config.caller_id_number, campaign.ring_s)
        self.engine.preview(self._quietest_node(), agent_id, preview.call, plan, lead.name, name, now)
        self.previews[agent_id] = preview
        return lead

    def dial(self, name: str, agent_id: str, now: float) -> Lead:
        """The agent dials the lead they preview. InvalidTransition: no such preview, or the lead may no longer be
        dialled (a do-not-call list, its calling window, another controller): then the preview ends."""
        preview = self._preview_of(name, agent_id)
        campaign = self.campaigns[name]
        lead = self._stored_lead(campaign, preview.phone)
        if not dialable(campaign.config, lead, now, agent_reserved=True):
            self._end_preview(preview, now)
            raise InvalidTransition(f"lead {lead.phone} may no longer be dialled ({lead.state.value}, on a do-not-call "
                                    "list or outside its calling window): preview another")
        dialled = self._write_lead(campaign, lead, on_dial(lead, preview.call))
        if dialled is None:
            self._end_preview(preview, now)
            raise InvalidTransition(f"lead {lead.phone} was dialled by another controller: preview another")
        del self.previews[agent_id]
        node = self.engine.calls[preview.call].node
        self.lines[preview.call] = Line(preview.call, node, name, lead.phone, LineState.RINGING, now)
        log.info("campaign %s: agent %s dials %s (attempt %d) as line %s", name, agent_id, lead.phone,
                 dialled.attempts, preview.call)
        self.engine.dial_preview(preview.call, now)
        return dialled

    def skip(self, name: str, agent_id: str, now: float) -> Lead:
        """The agent skips the lead they preview: not dialled, not shown again for ``PREVIEW_SKIP_S``."""
        preview = self._preview_of(name, agent_id)
        campaign = self.campaigns[name]
        self._end_preview(preview, now)
        campaign.skipped[preview.phone] = now + PREVIEW_SKIP_S
        log.info("campaign %s: agent %s skipped %s", name, agent_id, preview.phone)
        return campaign.leads[preview.phone]

    def _preview_of(self, name: str, agent_id: str) -> Preview:
        self._campaign(name)
        preview = self.previews.get(agent_id)
        if preview is None or preview.campaign != name:
            raise InvalidTransition(f"agent {agent_id} previews no lead of campaign {name} (ask for one first)")
        return preview

    def _end_preview(self, preview: Preview, now: float) -> None:
        del self.previews[preview.agent]
        self.engine.end_preview(preview.call, now)

    def _preview_ended(self, call: str, cause: str, now: float) -> None:
        """The engine's word that a preview's lead was not reached (its leg may never have existed)."""
        line = self.lines.get(call)
        if line is not None and line.state is LineState.RINGING:
            self._gone(line, cause, now)

    def dispose(self, name: str, phone: str, disposition: str, now: float) -> Lead:
        """An agent's disposition for a lead they talked to: final, a retry, or do-not-call (the campaign's list)."""
        campaign = self._campaign(name)
        lead = self._stored_lead(campaign, phone)
        updated = self._write_lead(campaign, lead, on_disposition(campaign.config, lead, disposition, now))
        if updated is None:
            raise InvalidTransition(f"lead {phone} of campaign {name} was changed by another controller; try again")
        if lead.call is not None:  # the call's contact record, already written, shows it from now on
            self.record(DispositionRecord(lead.call, disposition, now))
        log.info("campaign %s: lead %s disposed %s -> %s", name, phone, disposition, updated.state.value)
        return updated

    def _stored_lead(self, campaign: _Campaign, phone: str) -> Lead:
        """The lead of ``phone`` however it is written (``+44 7700 900001``, ``447700900001``)."""
        try:
            number = normalise_phone(phone)
        except ValueError as exc:
            raise UnknownNameError(f"campaign {campaign.config.name} has no lead {phone}: {exc}") from exc
        name = campaign.config.name
        lead = self.store.get_lead(name, number) or self.store.get_lead(name, f"+{number.removeprefix('+')}") \
            or self.store.get_lead(name, number.removeprefix("+"))
        if lead is None:
            raise UnknownNameError(f"campaign {campaign.config.name} has no lead {phone}")
        campaign.keep(lead)
        return lead

    def status(self, name: str, now: float) -> CampaignStatus:
        campaign = self._campaign(name)
        leads = campaign.by_state
        lines = Counter(line.state.value for line in self.lines.values() if line.campaign == name)
        window = campaign.window.counts(now)
        dialled = sum(window.values())
        persons = window[DialOutcome.PERSON_ANSWERED] + window[DialOutcome.ABANDONED]
        run = campaign.run
        return CampaignStatus(
            name=name, mode=campaign.config.mode, queue=campaign.config.queue,
            state=run.state.value if run else "not_loaded", since=run.since if run else None,
            leads={state.value: leads.get(state, 0) for state in LeadState},
            lines={state.value: lines.get(state.value, 0) for state in LineState},
            lines_in_flight=self.lines_in_flight(name),
            dialled=dialled,
            answer_ratio=persons / dialled if dialled else None,
            machine_ratio=window[DialOutcome.MACHINE] / dialled if dialled else None,
            abandon=campaign.ledger.budget(now),
            abandon_window_s=campaign.config.abandon_window_s,
            outcomes={outcome.value: campaign.totals.get(outcome, 0) for outcome in DialOutcome},
        )

    def lines_in_flight(self, name: str) -> int:
        """Lines of the campaign dialled and not yet done: ringing, being classified, waiting for an agent, or
        hearing a message (talking to an agent is the agent's)."""
        return sum(1 for line in self.lines.values() if line.campaign == name and line.state in _IN_FLIGHT)

    # ----------------------------------------------------------------- events
    def handle(self, node: str, event: ChannelEvent, now: float) -> None:
        if isinstance(event, Parked):
            line = self.lines.get(event.uuid)
            if line is not None and line.state is LineState.RINGING:
                self._answered(line, now)
            elif line is not None and line.state is LineState.CANCELLING:  # picked up as our hang-up went out
                self._replace(replace(line, answered_at=now))
        elif isinstance(event, AmdCompleted):
            line = self.lines.get(event.uuid)
            if line is not None and line.state is LineState.DETECTING and line.tag == event.tag:
                log.info("line %s (%s): detection %s (%s)", line.uuid, line.phone, event.result, event.cause)
                self._detected(line, event.result, now)
        elif isinstance(event, AppCompleted):
            line = self.lines.get(event.uuid)
            if line is not None and line.state is LineState.MESSAGE and event.tag == line.tag:
                self._played(line, now)
        elif isinstance(event, Bridged):
            line = self.lines.get(event.uuid) or self.lines.get(event.other_leg)
            if line is not None and (line.state is LineState.WAITING or (
                    line.state is LineState.RINGING and self.campaigns[line.campaign].config.mode == "preview")):
                self._connected(line, now)
        elif isinstance(event, HungUp):
            line = self.lines.get(event.uuid)
            if line is not None:
                self._gone(line, event.cause, now)
        elif isinstance(event, JobFailed):
            line = self.lines.get(event.job)
            if line is not None and line.state in (LineState.RINGING, LineState.CANCELLING):
                self._gone(line, event.reason, now)

    def _answered(self, line: Line, now: float) -> None:
        campaign = self.campaigns[line.campaign]
        estimates = campaign.estimates
        estimates.delay = estimates.delay.record(now, now - line.dialled_at)
        tag = str(uuidlib.uuid4())
        self._replace(move(line, LineEvent.ANSWERED, answered_at=now, tag=tag))
        self.emit(line.node, [DetectMachine(line.uuid, tag)])

    def _detected(self, line: Line, result: str, now: float) -> None:
        """HUMAN or NOTSURE: a person (a person taken for a machine and hung up on would be an abandoned call);
        MACHINE: the campaign's message, or a hang-up."""
        campaign = self.campaigns[line.campaign]
        config = campaign.config
        machine = result == "MACHINE"
        line = replace(line, person=not machine)
        self.lines[line.uuid] = line
        estimates = campaign.estimates
        estimates.person = estimates.person.record(now, not machine)
        estimates.machine = estimates.machine.record(now, machine)
        if machine:
            self._lead_outcome(campaign, line, DialOutcome.MACHINE, now)
            if config.machine_message is not None:
                self._play(line, config.machine_message)
            else:
                self._hang_up(line, LineEvent.ENDED, now)
        elif config.mode == "blast":
            self._lead_outcome(campaign, line, DialOutcome.PERSON_ANSWERED, now)
            blast = config.blast
            if blast is not None and blast.prompt is not None:
                self._play(line, blast.prompt)
            else:
                self._after_blast_prompt(line, now, LineEvent.HANDED_OVER)
        else:
            assert config.abandon_message is not None  # required by the config unless blast
            lead = campaign.leads.get(line.phone)
            self._replace(move(line, LineEvent.TO_AGENT, handed_at=now, tag=None))
            try:
                self.engine.take_outbound(line.node, line.uuid, line.phone, lead.name if lead else "", config.queue,
                                          config.name, CONNECT_WITHIN_S, ToAnnouncement(config.abandon_message),
                                          now)
            except CcswitchError:
                log.exception("line %s (%s): the engine refused the person: hanging up", line.uuid, line.phone)
                hangup = Hangup(line.uuid)
                self.emit(line.node, [hangup])
                waiting = self.lines[line.uuid]
                self._abandoned(waiting, now, "the engine refused the call")
                if line.uuid not in self.engine.calls:  # else the engine has it, and records it
                    self.record(self._contact(waiting, "abandoned", hangup.cause, now))

    def _play(self, line: Line, prompt: str) -> None:
        tag = str(uuidlib.uuid4())
        self._replace(move(line, LineEvent.TO_MESSAGE, tag=tag))
        self.emit(line.node, [Play(line.uuid, self.config.prompt_path(prompt), tag)])

    def _played(self, line: Line, now: float) -> None:
        if self.campaigns[line.campaign].config.mode == "blast" and line.person:
            self._after_blast_prompt(line, now, LineEvent.PLAYED)
        else:
            self._hang_up(line, LineEvent.PLAYED, now)

    def _after_blast_prompt(self, line: Line, now: float, event: LineEvent) -> None:
        """A blast person has heard the prompt (if any): into the campaign's IVR menu, if it has one, else the call
        ends."""
        campaign = self.campaigns[line.campaign]
        config = campaign.config
        menu = config.blast.ivr if config.blast is not None else None
        if menu is None:
            self._hang_up(line, event, now)
            return
        self._end(line, event, [])
        lead = campaign.leads.get(line.phone)
        self.engine.take_outbound_step(line.node, line.uuid, line.phone, lead.name if lead else "", config.name,
                                       ToIvr(menu), now)

    def _connected(self, line: Line, now: float) -> None:
        campaign = self.campaigns[line.campaign]
        if campaign.config.mode != "preview":  # (a preview call cannot be abandoned: not in the ledger)
            self._ledger(campaign, line, now, abandoned=False)
        self._lead_outcome(campaign, line, DialOutcome.PERSON_ANSWERED, now)
        self._replace(move(line, LineEvent.CONNECTED, connected_at=now))

    def _abandoned(self, line: Line, now: float, why: str) -> None:
        campaign = self.campaigns[line.campaign]
        log.info("line %s (%s): abandoned: %s", line.uuid, line.phone, why)
        self._ledger(campaign, line, now, abandoned=True)
        self._lead_outcome(campaign, line, DialOutcome.ABANDONED, now)
        self._end(line, LineEvent.ABANDONED, [])

    def _gone(self, line: Line, cause: str, now: float) -> None:
        """The line's channel ended (or the originate failed, or we lost it): what that means depends on where
        the line was."""
        campaign = self.campaigns[line.campaign]
        if line.state is LineState.RINGING:
            outcome = outcome_of_cause(cause)
            estimates = campaign.estimates
            estimates.person = estimates.person.record(now, False)
            estimates.machine = estimates.machine.record(now, False)
            log.info("line %s (%s): not answered: %s (%s)", line.uuid, line.phone, cause, outcome.value)
            self._lead_outcome(campaign, line, outcome, now)
        elif line.state is LineState.CANCELLING and line.answered_at is not None:
            # Answered in the instant our hang-up was on its way: a person hung up on, which counts as abandoned
            # (in the ledger, and the 72-hour rule), though nobody can tell a person from a machine now.
            log.info("line %s (%s): answered as it was cancelled: counted abandoned", line.uuid, line.phone)
            self._ledger(campaign, line, now, abandoned=True)
            self._lead_outcome(campaign, line, DialOutcome.ABANDONED, now)
        elif line.state is LineState.CANCELLING:
            # We hung it up unanswered: a no-answer for the lead; the estimators took its expected outcome when we
            # hung it up (had it rung on, it might have been answered; counted as a no-answer, the answer rate
            # would lean low).
            log.info("line %s (%s): cancelled after the minimum ring (%s)", line.uuid, line.phone, cause)
            self._lead_outcome(campaign, line, DialOutcome.NO_ANSWER, now)
        elif line.state is LineState.DETECTING and cause == "DESTINATION_OUT_OF_ORDER" \
                and line.answered_at is not None and now - line.answered_at <= MISSING_APP_WINDOW_S:
            self._application_missing(campaign, line, cause, now)
            return
        elif line.state is LineState.DETECTING:
            # Hung up while we listened: most likely a person who heard silence, or a machine cut short. Not
            # countable as either: dialled again after the no-answer delay.
            log.info("line %s (%s): hung up during detection (%s)", line.uuid, line.phone, cause)
            self._lead_outcome(campaign, line, DialOutcome.NO_ANSWER, now)
        elif line.state is LineState.WAITING:
            self._abandoned(line, now, f"hung up before an agent was connected ({cause})")
            return
        elif line.state is LineState.CONNECTED:  # the engine's call: the engine records it
            assert line.connected_at is not None
            campaign.estimates.talk = campaign.estimates.talk.record(now, now - line.connected_at)
            self._end(line, LineEvent.ENDED, [])
            return
        self._finish(line, LineEvent.ENDED, cause, now)

    def _application_missing(self, campaign: _Campaign, line: Line, cause: str, now: float) -> None:
        """FreeSWITCH hung the answered line up right after ``amd`` was sent: it has no such application (trace m).
        Not a person who hung up, not a no-answer: an error, counted, the lead failed, and the campaign paused
        until the module is back."""
        log.error("line %s (%s): FreeSWITCH node %s hung up the answered call right after `%s` was sent "
                  "(DESTINATION_OUT_OF_ORDER): it has no %s application (is mod_amd loaded?)", line.uuid, line.phone,
                  line.node, DETECTION_APP, DETECTION_APP)
        self.applications_missing[(line.node, DETECTION_APP)] += 1
        self._lead_outcome(campaign, line, DialOutcome.FAILED, now)
        self._end(line, LineEvent.ENDED, [])
        self.record(self._contact(line, "failed", cause, now))
        self.missing_modules.setdefault(line.node, set()).add(AMD_MODULE)
        self._pause_blocked(now)

    # ----------------------------------------------------------------- timers and pacing
    def tick(self, now: float) -> None:
        """After the engine's tick (same ``now``): deadlines of lines, then new lines for running campaigns."""
        for line in list(self.lines.values()):
            self._line_timers(line, now)
        for preview in list(self.previews.values()):
            dial_after = self.campaigns[preview.campaign].config.preview_dial_after_s
            if dial_after is not None and now >= preview.since + dial_after:
                try:
                    self.dial(preview.campaign, preview.agent, now)
                except CcswitchError as exc:
                    log.info("campaign %s: the preview of agent %s was not dialled: %s", preview.campaign,
                             preview.agent, exc)
        if not self._started or self._unreconciled:
            return  # not before every node has told us which calls live: leads left DIALLING are not settled yet
        for campaign in self.campaigns.values():
            if campaign.estimates.refresh(now):  # once a minute: the store forgets what left the window
                self.store.trim_answers(campaign.config.name, now - campaign.config.abandon_window_s)
            if campaign.config.mode == "predictive":  # (paused or stopped too: its lines still ring)
                self._cancel(campaign, now)
            if campaign.running and campaign.config.mode != "preview":
                self._launch(campaign, now)

    def _line_timers(self, line: Line, now: float) -> None:
        if line.state is LineState.WAITING and line.handed_at is not None and now >= line.handed_at + CONNECT_WITHIN_S:
            self._abandoned(line, now, f"no agent within {CONNECT_WITHIN_S:g} s")
        elif line.state in (LineState.RINGING, LineState.CANCELLING) \
                and now > line.dialled_at + self.campaigns[line.campaign].ring_s + LINE_GRACE_S \
                and self.campaigns[line.campaign].config.mode != "preview":  # (the engine's offer)
            log.warning("line %s (%s): no outcome of the originate in time: taken back", line.uuid, line.phone)
            self.emit(line.node, [Hangup(line.uuid, "ORIGINATOR_CANCEL")])
            self._gone(line, "LOST", now)
        elif line.state is LineState.DETECTING and line.answered_at is not None \
                and now > line.answered_at + DETECTION_TIMEOUT_S:
            log.warning("line %s (%s): no detection result in %g s (is mod_amd loaded?): taken for a person",
                        line.uuid, line.phone, DETECTION_TIMEOUT_S)
            self._detected(line, "NOTSURE", now)
        elif line.state is LineState.MESSAGE and line.answered_at is not None \
                and now > line.answered_at + MESSAGE_TIMEOUT_S:
            self._hang_up(line, LineEvent.ENDED, now)

    def _launch(self, campaign: _Campaign, now: float) -> None:
        if now < campaign.idle_until:
            return
        wanted = self.lines_wanted(campaign.config.name, now)
        if wanted <= 0:
            return
        config = campaign.config
        candidates = (lead for lead in campaign.leads.values()
                      if lead.state in (LeadState.PENDING, LeadState.RETRY)
                      and (lead.next_at is None or lead.next_at <= now))
        picked = next_leads(config, candidates, now, wanted, agent_reserved=config.mode == "preview")
        if len(picked) < wanted:
            campaign.idle_until = now + PICK_IDLE_S
        for lead in picked:
            self._dial(campaign, lead, now)

    def lines_wanted(self, name: str, now: float) -> int:
        """How many lines the campaign should launch now (see the module docstring)."""
        campaign = self._campaign(name)
        config = campaign.config
        supply = agent_supply(self.engine.agents, self._members(), self._waiting(), config.queue, now)
        mine = [line for line in self.lines.values() if line.campaign == config.name]
        if config.mode == "blast":
            if len(self.engine.waiting.get(config.queue, {})):
                return 0  # blended: callers wait for these agents
            in_flight = sum(1 for line in mine if line.state in _IN_FLIGHT)
            return max(0, config.max_lines_per_agent * supply.staffed - in_flight)
        inp, _ = self._pacer_input(campaign, supply, now)
        if config.mode == "progressive":
            return progressive_lines(inp)
        in_flight = sum(1 for line in mine if line.state in (LineState.RINGING, LineState.DETECTING))
        cap = config.max_lines_per_agent * supply.staffed - in_flight
        return max(0, min(lines_to_dial(inp, pacing_policy(config)), cap))

    def _cancel(self, campaign: _Campaign, now: float) -> None:
        """Predictive: hang up the campaign's lines that rang the minimum and that the pacer says no agent will be
        free for (``pacing.lines_to_cancel``); only when the campaign rings longer than its minimum."""
        policy = pacing_policy(campaign.config)
        name = campaign.config.name
        if policy.cancel_risk == math.inf or not any(
                line.campaign == name and line.state is LineState.RINGING for line in self.lines.values()):
            return
        supply = agent_supply(self.engine.agents, self._members(), self._waiting(), campaign.config.queue, now)
        inp, ringing = self._pacer_input(campaign, supply, now)
        estimates = campaign.estimates
        person, machine = estimates.person.mean(now), estimates.machine.mean(now)
        for index in lines_to_cancel(inp, policy):
            line = ringing[index]
            if line.campaign != campaign.config.name:
                continue  # another campaign's line on the same queue: that campaign decides
            rang = now - line.dialled_at
            log.info("line %s (%s): rang %.0f s, no agent expected for it: hung up", line.uuid, line.phone, rang)
            # Its outcome is never seen: the estimators take what it would have been, as the model expects.
            would_person, would_machine = unseen_outcome(person, machine, estimates.delay_now, rang,
                                                         policy.ring_timeout)
            estimates.person = estimates.person.record(now, would_person)
            estimates.machine = estimates.machine.record(now, would_machine)
            estimates.delay = estimates.delay.record_unseen(now, rang, would_person + would_machine)
            self._replace(move(line, LineEvent.CANCELLED))
            self.emit(line.node, [Hangup(line.uuid, "ORIGINATOR_CANCEL")])

    def _pacer_input(self, campaign: _Campaign, supply: AgentSupply, now: float) -> tuple[PacerInput, list[Line]]:
        """What the pacer sees of the campaign's queue now, and the ringing lines in ``ringing_for``'s order."""
        config = campaign.config
        same_queue = [line for line in self.lines.values()
                      if self.campaigns[line.campaign].config.queue == config.queue]
        ringing = [line for line in same_queue if line.state is LineState.RINGING]
        detecting = sum(1 for line in same_queue if line.state is LineState.DETECTING)
        estimates = campaign.estimates
        person = estimates.person.upper(now)
        inp = PacerInput(
            agents_free=supply.free,
            talking_for=supply.talking_for,
            wrap_up_left=supply.wrap_up_left,
            ringing_for=tuple(now - line.dialled_at for line in ringing),
            person_rate=person,
            machine_rate=min(estimates.machine.upper(now), 1.0 - person),
            answer_delay=estimates.delay_now,
            talk_time=estimates.talk_now,
            wrap_up_seconds=float(self.config.queues[config.queue].wrap_up_s),
            budget=campaign.ledger.pacing_budget(now),
            inbound_waiting=supply.held_by_inbound,
            detecting=detecting,
        )
        return inp, ringing

    def _members(self) -> dict[str, Sequence[str]]:
        return {queue: self.engine.members(queue) for queue in self.config.queues}

    def _waiting(self) -> dict[str, int]:
        return {queue: len(calls) for queue, calls in self.engine.waiting.items() if calls}

    def _dial(self, campaign: _Campaign, lead: Lead, now: float) -> None:
        config = campaign.config
        call = str(uuidlib.uuid4())
        if self._write_lead(campaign, lead, on_dial(lead, call)) is None:
            return  # another controller dialled it first
        node = self._quietest_node()
        self.lines[call] = Line(call, node, config.name, lead.phone, LineState.RINGING, now)
        variables = (
            ("origination_caller_id_number", config.caller_id_number),
            ("origination_caller_id_name", config.caller_id_name),
            ("originate_timeout", str(campaign.ring_s)),
            ("ignore_early_media", "true"),
            ("cc_campaign", config.name),
            ("cc_lead", lead.phone),
        )
        log.info("campaign %s: dialling %s (attempt %d) as line %s", config.name, lead.phone, lead.attempts + 1, call)
        self.emit(node, [Originate(call, call, f"sofia/gateway/{config.gateway}/{lead.phone}", variables, "park",
                                   "")])

    def _quietest_node(self) -> str:
        busy = Counter(line.node for line in self.lines.values())
        return min((node.name for node in self.config.nodes), key=lambda name: busy[name])

    # ----------------------------------------------------------------- reconnect, restart
    def reconcile(self, node: str, live: Iterable[str], parked_outbound: Iterable[str], now: float) -> None:
        """After (re)connecting to ``node``: lines it no longer has ended while we were away; after a restart, the
        previous run's calls it still has are followed again. Once every node has reported, leads left DIALLING
        whose call is nowhere are FAILED."""
        alive, parked = set(live), set(parked_outbound)
        for line in [line for line in self.lines.values() if line.node == node and line.uuid not in alive]:
            self._gone(line, "LOST_WHILE_DISCONNECTED", now)
        on_call = {agent.call for agent in self.engine.agents.values()
                   if agent.call is not None and agent.state is AgentState.ON_CALL}
        for campaign in self.campaigns.values():
            for lead in list(campaign.leads.values()):
                if lead.state is LeadState.DIALLING and lead.call in alive and lead.call not in self.lines:
                    self._follow(campaign, lead, node, lead.call in parked, lead.call in on_call, now)
        self._unreconciled.discard(node)
        if not self._unreconciled:
            self._settle_lost_dials(now)

    def _follow(self, campaign: _Campaign, lead: Lead, node: str, parked: bool, with_agent: bool,
                now: float) -> None:
        assert lead.call is not None
        line = Line(lead.call, node, campaign.config.name, lead.phone, LineState.RINGING, now)
        self.lines[line.uuid] = line
        if with_agent:
            log.info("line %s (%s): talking to an agent, taken back", line.uuid, lead.phone)
            self._replace(replace(line, state=LineState.CONNECTED, answered_at=now, handed_at=now, connected_at=now))
            if campaign.config.mode != "preview":
                self._ledger(campaign, line, now, abandoned=False)
            self._lead_outcome(campaign, line, DialOutcome.PERSON_ANSWERED, now)
        elif parked:
            log.info("line %s (%s): answered and parked: detecting again", line.uuid, lead.phone)
            self._answered(line, now)
        else:
            log.info("line %s (%s): still up: followed again", line.uuid, lead.phone)

    def _settle_lost_dials(self, now: float) -> None:
        for campaign in self.campaigns.values():
            for lead in list(campaign.leads.values()):
                if lead.state is LeadState.DIALLING and lead.call not in self.lines:
                    log.info("campaign %s: lead %s was being dialled (%s) when the controller stopped: failed",
                             campaign.config.name, lead.phone, lead.call)
                    self._settle(campaign, lead, DialOutcome.FAILED, now)

    # ----------------------------------------------------------------- helpers
    def _replace(self, line: Line | None) -> None:
        assert line is not None
        self.lines[line.uuid] = line

    def _end(self, line: Line, event: LineEvent, effects: Sequence[Effect]) -> None:
        """The line is over for the dialler (its call may go on in the engine, which then records it)."""
        if move(line, event) is not None:
            raise InvalidTransition(f"line {line.uuid}: {event.value} does not end a {line.state.value} line")
        self.lines.pop(line.uuid, None)
        if effects:
            self.emit(line.node, effects)

    def _finish(self, line: Line, event: LineEvent, cause: str, now: float, effects: Sequence[Effect] = ()) -> None:
        """The line's call ends here, never handed to the engine: the dialler writes its history record."""
        self._end(line, event, effects)
        self.record(self._contact(line, history_outcome(line, cause), cause, now))

    def _hang_up(self, line: Line, event: LineEvent, now: float) -> None:
        """We end the call: a machine (after its message, if any), a blast person after the prompt."""
        hangup = Hangup(line.uuid)
        self._finish(line, event, hangup.cause, now, [hangup])

    def _contact(self, line: Line, outcome: Outcome, cause: str, now: float) -> ContactRecord:
        """The history record of a line the engine never had, as the engine would write it: the lead's number and
        name as the caller, from the originate to ``now``."""
        lead = self.campaigns[line.campaign].leads.get(line.phone)
        return ContactRecord(call_uuid=line.uuid, channel=Channel.VOICE, direction="outbound",
                             started_at=line.dialled_at,
                             ended_at=now, caller_number=line.phone, caller_name=lead.name if lead else "",
                             destination=line.phone, outcome=outcome, hangup_cause=cause, campaign=line.campaign)

    def _ledger(self, campaign: _Campaign, line: Line, now: float, abandoned: bool) -> None:
        """A person answered ``line``: into the campaign's ledger, and the store's (a restart reads it back)."""
        campaign.ledger_at = max(campaign.ledger_at, now)  # a wall clock may step back; the ledger must not
        campaign.ledger.record(campaign.ledger_at, answered_person=True, abandoned=abandoned)
        self.store.add_answer(campaign.config.name, campaign.ledger_at, abandoned, line.uuid)

    def _lead_outcome(self, campaign: _Campaign, line: Line, outcome: DialOutcome, now: float) -> None:
        lead = campaign.leads.get(line.phone)
        if lead is None or lead.state is not LeadState.DIALLING or lead.call != line.uuid:
            lead = self.store.get_lead(campaign.config.name, line.phone)
        if lead is None or lead.state is not LeadState.DIALLING or lead.call != line.uuid:
            log.warning("line %s: lead %s of campaign %s is no longer being dialled by it: %s not recorded",
                        line.uuid, line.phone, campaign.config.name, outcome.value)
            return
        self._settle(campaign, lead, outcome, now)

    def _settle(self, campaign: _Campaign, lead: Lead, outcome: DialOutcome, now: float) -> None:
        campaign.totals[outcome] += 1
        campaign.window.record(now, outcome)
        for _attempt in range(2):
            if self._write_lead(campaign, lead, on_outcome(campaign.config, lead, outcome, now)) is not None:
                return
            fresh = campaign.leads.get(lead.phone)
            if fresh is None or fresh.state is not LeadState.DIALLING or fresh.call != lead.call:
                return
            lead = fresh
        log.error("campaign %s: lead %s: outcome %s could not be stored", campaign.config.name, lead.phone,
                  outcome.value)

    def _write_lead(self, campaign: _Campaign, old: Lead, new: Lead) -> Lead | None:
        """Compare-and-set; on a conflict the cache takes the stored lead and None is returned."""
        stored = self.store.update_lead(old, new)
        if stored is None:
            fresh = self.store.get_lead(old.campaign, old.phone)
            if fresh is not None:
                campaign.keep(fresh)
            return None
        campaign.keep(stored)
        return stored
