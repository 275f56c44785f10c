"""Prometheus metrics: the only module that names them.

Theory of operation. Three sources, none of which costs anything per event beyond a counter increment:

- **outcomes** (offered, answered, abandoned, talk and wrap-up time, handle time, first response…) arrive from
  ``Stats``, which forwards each one as it counts it (``Metrics`` is its ``sink``). They feed counters, the wait,
  handle-time and first-response histograms, and an ``OutcomeLedger`` from which the service level (three variants,
  counted by ``QueueFigures`` as ``Stats`` counts them), ASA, abandon rate, AHT and mean first response over the
  last ``window_s`` and since local midnight are computed at scrape time. Every queue figure has a ``channel``
  label (voice, chat …) and each channel is measured against its own service-level threshold
  (``ccswitch.stats.service_level_threshold``).
- **state** (calls waiting, longest wait, agents by state, occupancy, contacts agents hold by channel) is read at
  scrape time by ``EngineCollector`` from an ``EngineView`` (what the engine shows of itself; this module does not
  import it): nothing is updated as calls move.
- **controller health** (ESL connection per node, events, command latency, store latency, errors and outages) comes
  from small calls the controller makes (``esl_connected``, ``esl_event``, ``command_latency``,
  ``store_availability``) and ``InstrumentedStore``.
- **the dialler** (lines in flight, calls by outcome, answer / machine / abandon ratios over each campaign's
  regulatory window and its limit) is read from the ``Dialer`` at scrape time by ``DialerCollector``.

Each controller has its own ``CollectorRegistry``. Labels are bounded: queue, channel, node, event name, store
operation, agent state, campaign and dial outcome; ``agent`` only when ``per_agent`` is set. No call, caller or lead
ever becomes a label.
"""

from ccswitch.metrics.collectors import DialerCollector, EngineCollector, EngineView
from ccswitch.metrics.figures import Outcome, OutcomeKind, OutcomeLedger, contacts_held, occupancy, waiting_by_queue
from ccswitch.metrics.sink import Metrics
from ccswitch.metrics.store import InstrumentedStore

__all__ = ["DialerCollector", "EngineCollector", "EngineView", "InstrumentedStore", "Metrics", "Outcome",
           "OutcomeKind", "OutcomeLedger", "contacts_held", "occupancy", "waiting_by_queue"]
