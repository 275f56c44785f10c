"""The controller: the greenlets around the engine.

- one ESL connection per FreeSWITCH node; its reader only translates and enqueues (never blocks);
- one controller greenlet that owns the engine and consumes a bounded inbox (no locks: only it touches the state);
- a ticker that enqueues ``Tick`` so timers run in the same greenlet;
- the executor, which sends effects over ESL from a bounded pool, in order per call; never for a channel the
  switch has already said hung up (``GoneChannels``: the engine and the dialler may still decide something for it
  from its last events, e.g. a bridge's completion that follows the caller's hang-up).

On every (re)connection the controller asks the node which of the modules the configuration needs it lacks
(``switch_modules``: logged as errors, a metric, and campaigns that need a missing one are not started), then for
its live channels, and lets the engine reconcile, so calls that ended while we were away are closed and parked
calls are picked up again.

The store is a ``ResilientStore``: when Redis goes away the engine carries on with this controller's own view (no
event is dropped; no agent is reserved), a watcher greenlet pings Redis (at once, then every ``store_probe_s``), and
when it answers a ``_StoreBack`` message writes the view through and hands the store's agents to the engine, between
two events. Behind Sentinel a change of master is such an outage, of a moment: the new master may lack writes the
old one acknowledged, and answers the watcher's first ping.

With node leases (``store.lease_s``: several controllers attached to the same nodes, sharing one Redis), a
controller runs only the nodes it holds (``ccswitch.store.leases``): it connects to a node once it holds it. A
keeper greenlet renews the lease; when another controller's lease lapses (it died), the keeper takes its nodes,
tells the engine to judge the calls the dead controller left as a restart's (``Engine.take_over``), and connects:
the reconcile that follows adopts them from the store and the node's ``show channels``. A controller that loses a
node it held, or cannot renew its lease for its whole time to live, stops (``on_lease_lost``) rather than act beside
the node's new owner.

The dialler (``ccswitch.dialer.runner``) lives in the same greenlet: each event, tick and reconcile goes to the
engine first, then to the dialler, with the same ``now``; a failure in one does not stop the other. A lead queue a
reload fills from every lead is filled a step at a time (``_FillStep``), each queued behind what waits and run
after the other greenlets had a turn.
"""

from __future__ import annotations

import gc
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, TypeVar

import gevent
import gevent.queue
from gevent.event import AsyncResult
from gevent.event import Event as GeventEvent

from ccswitch.acd.agents import Agent, AgentEvent
from ccswitch.admission import limits_of
from ccswitch.calls import CallAction, CallControl, ReloadSummary
from ccswitch.campaign_files import load_config
from ccswitch.channel_events import (
    SUBSCRIBED_EVENTS,
    ChannelEvent,
    HangingUp,
    HungUp,
    JobFailed,
    from_esl,
    parked_outbound_from_channel_row,
)
from ccswitch.channel_list import read_channels
from ccswitch.chat.messages import Sender
from ccswitch.clock import Clock
from ccswitch.config import CampaignConfig, Config
from ccswitch.dialer import CampaignRun, Lead, RunCommand
from ccswitch.dialer.runner import CampaignStatus, Dialer, LoadResult
from ccswitch.document_desk import DocumentDesk
from ccswitch.effects import Effect
from ccswitch.engine import Accept as Accept  # "as": the text calls' values, re-exported for the chat service
from ccswitch.engine import Close as Close
from ccswitch.engine import Decline as Decline
from ccswitch.engine import Engine, Record, TextAction, TextNews
from ccswitch.engine import TextArrival as TextArrival
from ccswitch.engine import TextStatus as TextStatus
from ccswitch.engine import Transfer as Transfer
from ccswitch.errors import CcswitchError, ConfigError, StoreUnavailable, UnknownNameError
from ccswitch.esl import commands
from ccswitch.esl.connection import EslConnection
from ccswitch.esl.event import Event
from ccswitch.executor import Executor
from ccswitch.gone_channels import GoneChannels
from ccswitch.lead_import import LeadImports, freeze_what_lives
from ccswitch.media.monitor import MonitorMode, MonitorSession
from ccswitch.media.recording import RecordingSession
from ccswitch.metrics import Metrics
from ccswitch.stats import Stats
from ccswitch.store.base import Store
from ccswitch.store.expiring import open_records
from ccswitch.store.leases import NodeLeases
from ccswitch.store.resilient import ResilientStore
from ccswitch.switch_modules import Requirement, describe, missing_requirements, required_modules

log = logging.getLogger(__name__)

INBOX_SIZE = 100_000
LEADS_IMPORT_TIMEOUT_S = 3600.0  # how long a load waits for its import (which goes on if the wait ends)
_BATCH_TIMEOUT_S = 60.0  # the controller greenlet takes an import's batch of leads within this, however busy
_YIELD_EVERY = 32  # messages handled in a row before the controller greenlet lets others run
STORE_PROBE_S = 1.0  # during a store outage, how often (real seconds) the watcher asks whether it is back


@dataclass(frozen=True, slots=True)
class _Tick:
    pass


@dataclass(frozen=True, slots=True)
class _Reconcile:
    node: str
    rows: tuple[dict[str, str], ...]


@dataclass(frozen=True, slots=True)
class _ModulesChecked:
    node: str
    missing: tuple[Requirement, ...]


@dataclass(frozen=True, slots=True)
class _ChannelsRequested:
    """In the inbox just before ``show channels`` is sent: events queued after it may be newer than the list."""

    node: str


@dataclass(frozen=True, slots=True)
class _TakeOver:
    """This controller holds ``nodes`` now (at start, or after their controller's lease lapsed)."""

    nodes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Request:
    """An operation asked for from outside the controller greenlet (HTTP, CLI): ``run(now)`` on the engine."""

    run: Callable[[float], Any]
    result: AsyncResult


@dataclass(frozen=True, slots=True)
class _StoreBack:
    """The store answers again after an outage: write this controller's view through."""


@dataclass(frozen=True, slots=True)
class _FillStep:
    """A step of the dialler's lead queue being filled after a reload (``Dialer.fill_step``): queued again behind
    what came meanwhile while any is left."""


@dataclass(frozen=True, slots=True)
class _Stop:
    pass


_Message = (tuple[str, ChannelEvent] | _Tick | _ModulesChecked | _ChannelsRequested | _Reconcile | _TakeOver
            | _Request | _StoreBack | _FillStep | _Stop)
_T = TypeVar("_T")


class Controller:
    def __init__(self, config: Config, store: Store, clock: Clock, tick_s: float = 0.5,
                 stats: Stats | None = None, record: Record | None = None, store_probe_s: float = STORE_PROBE_S,
                 leases: NodeLeases | None = None, on_lease_lost: Callable[[], None] | None = None) -> None:
        self.config = config
        self.leases = leases
        self.on_lease_lost = on_lease_lost or self.stop
        self.clock = clock
        self.tick_s = tick_s
        self.metrics = Metrics(config, clock.now)
        stats = stats or Stats.for_config(config)
        stats.sink = self.metrics
        self._outage_began = GeventEvent()
        self.store = ResilientStore(self.metrics.instrument(store), clock.now, self._store_availability)
        self.store_probe_s = store_probe_s
        self.engine = Engine(config, self.store, self._emit, stats, record, leases.me if leases else "")
        self.metrics.watch(self.engine)
        self.dialer = Dialer(config, self.store, self.engine, self._emit, record)
        self.metrics.watch_dialer(self.dialer)
        self.lead_imports = LeadImports(self._add_leads, clock)
        self.inbox: gevent.queue.Queue[_Message] = gevent.queue.Queue(maxsize=INBOX_SIZE)
        self.connections = {
            node.name: EslConnection(
                node.host, node.port, node.password, SUBSCRIBED_EVENTS,
                on_event=partial(self._on_event, node.name),
                on_connection_change=partial(self._on_connection_change, node.name),
            )
            for node in config.nodes
        }
        self.executor = Executor(self.connections, on_command_done=self.metrics.command_latency,
                                 on_command_failed=self.metrics.command_failed)
        self.gone = GoneChannels()  # touched by the controller greenlet only, as the engine
        # documents agents send callers: run in the HTTP requests' greenlets; their links kept with the store's
        self.documents = DocumentDesk(self, open_records(config.store, "document-link", "a document's link"))
        self._run_greenlet = gevent.Greenlet(self._run)
        self._ticker_greenlet = gevent.Greenlet(self._ticker)
        self._store_watcher = gevent.Greenlet(self._watch_store)
        self._store_back_queued = False
        self._fill_step_queued = False
        self._lease_greenlet = gevent.Greenlet(self._keep_leases)
        self.held: set[str] = set()  # nodes this controller runs (every node, without leases)
        self._stopping = False

    def start(self) -> None:
        self.engine.start(self.clock.now(), take_texts=self.leases is None)  # with leases: at the first take-over
        self.dialer.start(self.clock.now())
        self.documents.start()
        gc.freeze()  # what start-up built lives for ever: keep it out of the collector's full passes
        self._run_greenlet.start()
        self._ticker_greenlet.start()
        self._store_watcher.start()
        if self.leases is not None:
            self._lease_greenlet.start()
            return
        self.held = set(self.connections)
        for connection in self.connections.values():
            connection.start()

    def stop(self) -> None:
        self._stopping = True
        if self.leases is not None and gevent.getcurrent() is not self._lease_greenlet:
            self._lease_greenlet.kill()
        for connection in self.connections.values():
            connection.stop()
        self._ticker_greenlet.kill()
        self.lead_imports.stop()
        self.documents.stop()
        self._store_watcher.kill()
        self.inbox.put(_Stop())  # the controller greenlet finishes what is queued before it, then ends
        self._run_greenlet.join(timeout=5)
        self.executor.join(timeout=5)
        if self.leases is not None and self.held:
            try:  # its nodes go to another controller at once rather than when the lease lapses
                self.leases.release()
            except CcswitchError as exc:
                log.warning("controller %s: lease not released (it lapses by itself): %s", self.leases.me, exc)

    # Called from ESL reader greenlets: translate and enqueue, nothing else.
    def _on_event(self, node: str, event: Event) -> None:
        self.metrics.esl_event(node, event.name)
        channel_event = from_esl(event)
        if isinstance(channel_event, JobFailed):
            self.metrics.job_failed(node, channel_event.reason)
        if channel_event is not None:
            self.inbox.put((node, channel_event))

    def _on_connection_change(self, node: str, connected: bool) -> None:
        self.metrics.esl_connected(node, connected)
        if connected:
            gevent.spawn(self._fetch_channels, node)
            gevent.spawn(self._read_capacity, node)
        elif not self._stopping:
            log.warning("FreeSWITCH node %s: event socket lost; reconnecting", node)

    def _fetch_channels(self, node: str) -> None:
        self._check_modules(node)  # before the reconcile, after which the dialler may dial
        # The reply can reach the inbox after events the switch sent behind it (one reader greenlet, this one
        # woken later): the engine notes what it knew at the request, and judges only that against the list.
        self.inbox.put(_ChannelsRequested(node))
        try:
            reply = self.connections[node].api(commands.show_channels_json())
            rows = json.loads(reply).get("rows", [])
            log.debug("FreeSWITCH node %s: show channels: %d channel(s), %d bytes", node, len(rows), len(reply))
        except (CcswitchError, ValueError) as exc:
            log.error("FreeSWITCH node %s: could not list channels to reconcile: %s", node, exc)
            return
        self.inbox.put(_Reconcile(node, tuple(rows)))

    def _check_modules(self, node: str) -> None:
        needed = required_modules(self.config)
        try:
            missing = missing_requirements(self.connections[node].api, needed)
        except CcswitchError as exc:
            log.error("FreeSWITCH node %s: could not ask which modules it has: %s", node, exc)
            return
        for line in describe(node, missing):
            log.error("%s", line)
        self.metrics.modules_checked(node, {r.module for r in needed}, {r.module for r in missing})
        self.inbox.put(_ModulesChecked(node, tuple(missing)))

    def _read_capacity(self, node: str) -> None:
        """The node's session limits as it reports them (``api status``), for admission."""
        try:
            max_sessions, per_second = limits_of(self.connections[node].api(commands.status()))
        except CcswitchError as exc:
            log.warning("FreeSWITCH node %s: could not read its session limits (%s): using the configured ones",
                        node, exc)
            return
        self.inbox.put(_Request(partial(self._node_capacity, node, max_sessions, per_second), AsyncResult()))

    def _node_capacity(self, node: str, max_sessions: int | None, per_second: int | None, _now: float) -> None:
        self.engine.node_capacity(node, max_sessions, per_second)

    def _keep_leases(self) -> None:
        """Renew this controller's lease and take the nodes nobody live holds; stop if a held node is lost."""
        assert self.leases is not None
        renewed_at = time.monotonic()  # (when the last renewal was asked for: the lease lives from no earlier)
        while not self._stopping:
            asked_at = time.monotonic()
            try:
                owned = self.leases.hold(list(self.connections))
                renewed_at = asked_at
            except CcswitchError as exc:
                log.warning("controller %s: lease not renewed: %s", self.leases.me, exc)
                # Stop before the lease can have lapsed: the next attempt may take a whole renewal period.
                if self.held and time.monotonic() + self.leases.renew_every_s >= renewed_at + self.leases.ttl_s:
                    self._lease_lost(self.held, "not renewed in time")
                    return
                gevent.sleep(self.leases.renew_every_s)
                continue
            if self.held - owned:
                self._lease_lost(self.held - owned, "now held by another controller")
                return
            taken = owned - self.held
            if taken:
                log.warning("controller %s: running node(s) %s", self.leases.me, ", ".join(sorted(taken)))
                self.held |= taken
                self.inbox.put(_TakeOver(tuple(sorted(taken))))  # before any of their events or channel lists
                for node in taken:
                    self.connections[node].start()
            gevent.sleep(self.leases.renew_every_s)

    def _controller_gone(self, controller: str) -> bool:
        """Whether the controller of that id no longer lives (its lease lapsed): what it owned is for the taking.
        A controller of no id ran before leases were set up. Unsure (Redis unreachable): not gone, asked again at
        the next take-over."""
        assert self.leases is not None
        try:
            return not controller or not self.leases.alive(controller)
        except CcswitchError as exc:
            log.warning("controller %s: could not tell whether controller %s lives: %s", self.leases.me, controller,
                        exc)
            return False

    def _lease_lost(self, nodes: set[str], why: str) -> None:
        assert self.leases is not None
        log.critical("controller %s: lease on node(s) %s lost (%s): stopping, another controller runs them",
                     self.leases.me, ", ".join(sorted(nodes)), why)
        self.on_lease_lost()

    def _ticker(self) -> None:
        while True:
            gevent.sleep(self.tick_s)
            self.inbox.put(_Tick())

    def _store_availability(self, available: bool, since: float) -> None:
        self.metrics.store_availability(available, since)
        if not available:
            self._outage_began.set()

    def _watch_store(self) -> None:
        """During a store outage, ask the store behind whether it answers again; when it does, queue the write-
        through behind the events already waiting (the ping runs here, so a store that hangs stalls no event).
        The first ask is at once: after a change of master the store answers already, and offers wait until the
        write-through."""
        while True:
            self._outage_began.wait(self.store_probe_s)
            self._outage_began.clear()
            if self.store.available or self._store_back_queued:
                continue
            try:
                self.store.ping()
            except StoreUnavailable:
                continue
            self._store_back_queued = True
            self.inbox.put(_StoreBack())

    def _store_back(self) -> None:
        try:
            agents = self.store.write_through()
        finally:  # not before: the watcher runs while the write-through waits on Redis, and would queue another
            self._store_back_queued = False
        if agents is not None:  # (else it failed again: the watcher goes on asking)
            self.engine.adopt_stored_agents(agents)

    def _run(self) -> None:
        handled = 0
        while True:
            message = self.inbox.get()
            handled += 1
            if handled % _YIELD_EVERY == 0 or isinstance(message, _FillStep):
                gevent.sleep(0)  # a backlog must not starve the executor, the readers and the HTTP server
            now = self.clock.now()
            if isinstance(message, _Stop):
                return
            try:
                if isinstance(message, tuple):
                    if isinstance(message[1], HangingUp | HungUp):
                        self.gone.hung_up(message[1].uuid, now)
                    self.engine.handle(message[0], message[1], now)
                elif isinstance(message, _Tick):
                    self.engine.tick(now)
                elif isinstance(message, _ChannelsRequested):
                    self.engine.channels_requested(message.node)
                elif isinstance(message, _Reconcile):
                    self._reconcile(message, now)
                elif isinstance(message, _TakeOver):
                    self.engine.take_over(message.nodes, now, self._controller_gone)
                elif isinstance(message, _Request):
                    self._serve(message, now)
                elif isinstance(message, _StoreBack):
                    self._store_back()
            except Exception:  # one bad event must not stop the contact centre
                log.exception("engine failed on %r", message)
            try:
                self._dialler_step(message, now)
                self._queue_fill_step()  # (not after a failure: a step failing again waits for the next message)
            except Exception:  # nor stop the dialler, or the dialler the engine
                log.exception("dialler failed on %r", message)

    def _dialler_step(self, message: _Message, now: float) -> None:
        """The dialler's turn after the engine's, with the same ``now``."""
        if isinstance(message, tuple):
            self.dialer.handle(message[0], message[1], now)
        elif isinstance(message, _Tick):
            self.dialer.tick(now)
        elif isinstance(message, _ModulesChecked):
            self.dialer.modules_missing(message.node, message.missing, now)
        elif isinstance(message, _TakeOver):
            self.dialer.take_over(message.nodes, now)
        elif isinstance(message, _Reconcile):
            parked = [uuid for uuid in map(parked_outbound_from_channel_row, message.rows) if uuid is not None]
            live = [row["uuid"] for row in message.rows if "uuid" in row]
            self.dialer.reconcile(message.node, live, parked, now)
        elif isinstance(message, _FillStep):
            self._fill_step_queued = False
            freeze_what_lives()  # the leads a reload read, the queue so far: else each pass of the collector walks them
            self.dialer.fill_step()

    def _queue_fill_step(self) -> None:
        """While the dialler fills a lead queue (after a reload), one step of it at a time queued behind what waits:
        the controller greenlet serves events between steps (and lets others run before each), never stalled for
        the whole fill."""
        if self._fill_step_queued or not self.dialer.filling:
            return
        try:
            self.inbox.put_nowait(_FillStep())
        except gevent.queue.Full:
            return  # (this greenlet alone takes from the inbox: waiting would never end) the next message tries again
        self._fill_step_queued = True

    def reload(self, config: Config | None = None, timeout: float = 5.0) -> ReloadSummary:
        """Re-read the configuration (``config``, or the files it came from) and hand it to the engine without
        dropping calls or agent states. Raises ConfigError (the files are wrong) or InvalidTransition (the
        engine refused: a queue or agent still in use would disappear); either way nothing changed.

        The files are read and checked in a worker thread, so events keep flowing while a large or broken file is
        parsed; only a fully validated configuration reaches the engine."""
        config = config or gevent.get_hub().threadpool.apply(load_config, (self.config.config_file,))
        summary = self._ask(partial(self.engine.reload, config), timeout)
        self._ask(partial(self.dialer.reload, config), timeout)
        self.config = config
        self.metrics.reconfigure(config)
        return summary

    def agent_action(self, agent_id: str, event: AgentEvent, timeout: float = 5.0) -> Agent:
        """Change an agent's state from outside the controller greenlet (CLI, HTTP); raises what the engine raises."""
        return self._ask(partial(self.engine.agent_action, agent_id, event), timeout)

    def recording(self, call: str, pause: bool, timeout: float = 5.0) -> RecordingSession:
        """Pause or resume a call's recording from outside the controller greenlet; raises what the engine raises."""
        return self._ask(partial(self.engine.recording, call, pause), timeout)

    def control(self, target: str, action: CallAction, *, to: str | None = None, context: str = "default",
                queue: str | None = None, timeout: float = 5.0) -> CallControl:
        """The agent on a connected call (by agent id or call uuid) holds, mutes or blind-transfers it; raises
        what the engine raises."""
        return self._ask(partial(self.engine.control, target, action, to=to, context=context, queue=queue), timeout)

    def monitor(self, supervisor: str, target: str, mode: MonitorMode, timeout: float = 5.0) -> MonitorSession:
        """A supervisor starts monitoring the call of an agent id or call uuid; raises what the engine raises."""
        return self._ask(partial(self.engine.monitor, supervisor, target, mode), timeout)

    def monitor_mode(self, session: str, mode: MonitorMode, timeout: float = 5.0) -> MonitorSession:
        return self._ask(partial(self.engine.monitor_mode, session, mode), timeout)

    def stop_monitor(self, session: str, timeout: float = 5.0) -> MonitorSession:
        return self._ask(partial(self.engine.stop_monitor, session), timeout)

    # -- text contacts (ccswitch.engine.texts; the chat service calls these from its own greenlets) -----------------
    def on_text_news(self, listener: Callable[[TextNews], None]) -> None:
        """``listener`` hears what happens to text contacts (offered, withdrawn, connected, requeued, ended), on
        the controller greenlet: it must not block."""
        self.engine.on_text_news(listener)

    def text_arrived(self, arrival: TextArrival, timeout: float = 5.0) -> None:
        """Queue a text contact; raises UnknownNameError (queue) or InvalidTransition (already here)."""
        self._ask(partial(self.engine.text_arrived, arrival), timeout)

    def text_action(self, agent: str, contact: str, action: TextAction, timeout: float = 5.0) -> None:
        """An agent accepts, declines, closes or transfers a text contact; raises what the engine raises."""
        self._ask(partial(self.engine.text_action, agent, contact, action), timeout)

    def text_activity(self, contact: str, by: Sender, timeout: float = 5.0) -> None:
        """A message was written in the conversation (after it was stored)."""
        self._ask(partial(self.engine.text_activity, contact, by), timeout)

    def text_gone(self, contact: str, timeout: float = 5.0) -> None:
        """The customer left the conversation."""
        self._ask(partial(self.engine.text_gone, contact), timeout)

    def text_status(self, contact: str, timeout: float = 5.0) -> TextStatus:
        return self._ask(partial(self.engine.text_status, contact), timeout)

    def texts_of(self, agent: str, timeout: float = 5.0) -> list[TextStatus]:
        return self._ask(partial(self.engine.texts_of, agent), timeout)

    # -- outbound campaigns (the dialler answers in the controller greenlet) ----------------------------------------
    def campaign_load(self, name: str, timeout: float = LEADS_IMPORT_TIMEOUT_S) -> LoadResult:
        """Import the campaign's leads file into the store (idempotent: stored leads keep their progress) and wait
        for the import to end. It runs in the background, a batch at a time, while the controller goes on
        (``ccswitch.lead_import``; ``campaign_status`` shows its progress); a file unchanged since its last import
        is not read again. Raises UnknownNameError, ConfigError (no leads file) or DataFileError (bad lines:
        nothing imported)."""
        campaign = self._campaign_config(name)
        if campaign.leads is None:
            raise ConfigError(self.config.paths.campaigns.name, f"{name}.leads", "no leads file to load")
        loaded: LoadResult = self.lead_imports.load(name, campaign.leads, campaign.do_not_call).get(timeout=timeout)
        return loaded

    def _add_leads(self, name: str, leads: Sequence[Lead]) -> LoadResult:
        """One batch of an import, stored by the dialler in the controller greenlet."""
        return self._ask(partial(self.dialer.add_leads, name, leads), _BATCH_TIMEOUT_S)

    def campaign_leads(self, name: str, leads: list[Lead], timeout: float = 30.0) -> LoadResult:
        """Import leads given directly (tests, an API upload)."""
        self._campaign_config(name)
        return self._ask(partial(self.dialer.load, name, leads), timeout)

    def campaign_command(self, name: str, command: RunCommand, timeout: float = 5.0) -> CampaignRun:
        """Start (or resume), pause or stop a campaign; raises UnknownNameError or InvalidTransition. A node that
        lacked a module is asked again first (it may have been loaded since: ``load mod_amd``)."""
        if command in (RunCommand.START, RunCommand.RESUME):
            for node, missing in list(self.dialer.missing_modules.items()):
                if missing and self.connections[node].connected:
                    self._check_modules(node)
        return self._ask(partial(self.dialer.command, name, command), timeout)

    def campaign_status(self, name: str, timeout: float = 5.0) -> CampaignStatus:
        return self._with_import(self._ask(partial(self.dialer.status, name), timeout))

    def campaign_statuses(self, timeout: float = 5.0) -> list[CampaignStatus]:
        statuses = self._ask(lambda now: [self.dialer.status(name, now) for name in self.config.campaigns], timeout)
        return [self._with_import(status) for status in statuses]

    def _with_import(self, status: CampaignStatus) -> CampaignStatus:
        return replace(status, lead_import=self.lead_imports.progress(status.name))

    def campaign_dispose(self, name: str, phone: str, disposition: str, timeout: float = 5.0) -> Lead:
        """An agent's disposition for a lead they talked to; raises UnknownNameError or InvalidTransition."""
        return self._ask(partial(self.dialer.dispose, name, phone, disposition), timeout)

    def campaign_preview(self, name: str, agent: str, action: str, timeout: float = 5.0) -> Lead:
        """A preview campaign's lead for ``agent``: ``show`` it (reserving them), ``dial`` it or ``skip`` it; raises
        UnknownNameError or InvalidTransition."""
        run = {"show": self.dialer.preview, "dial": self.dialer.dial, "skip": self.dialer.skip}[action]
        return self._ask(partial(run, name, agent), timeout)

    def _campaign_config(self, name: str) -> CampaignConfig:
        campaign = self.config.campaigns.get(name)
        if campaign is None:
            raise UnknownNameError(f"unknown campaign '{name}' (known: {', '.join(sorted(self.config.campaigns))})")
        return campaign

    def _ask(self, run: Callable[[float], _T], timeout: float) -> _T:
        result: AsyncResult = AsyncResult()
        self.inbox.put(_Request(run, result))
        answer: _T = result.get(timeout=timeout)
        return answer

    def _serve(self, message: _Request, now: float) -> None:
        try:
            message.result.set(message.run(now))
        except CcswitchError as exc:
            message.result.set_exception(exc)

    def _reconcile(self, message: _Reconcile, now: float) -> None:
        channels = read_channels(message.rows)
        log.info("FreeSWITCH node %s: reconciling %d live channels (%d waiting, %d legs to phones)", message.node,
                 len(channels.live), len(channels.waiting), len(channels.phone_legs))
        self.engine.reconcile(message.node, channels.live, channels.waiting, now, channels.phone_legs)

    def _emit(self, node: str, effects: Sequence[Effect]) -> None:
        sendable, stale = self.gone.split(effects)
        for effect in stale:
            log.debug("call %s: %s not sent: the channel has hung up", effect.call, type(effect).__name__)
        self.executor.submit(node, sendable)
