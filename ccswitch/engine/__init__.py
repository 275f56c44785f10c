"""The engine, split by domain; ``Engine`` (``_engine``) wires them and routes each event to the domain that owns
its channel. Read the domains in this order, each top to bottom:

- ``core``: what they all share (configuration, store, calls, agents, the queues' books, the effects' outbox);
- ``inbound``: parked → IVR → queue, announcements, admission, overflow, the caller hanging up;
- ``offers``: waiting calls rung to agents, and what comes of it (answered, failed, lost, withdrawn);
- ``dial_outs``: campaign calls, previews and callbacks, with their retries and deadlines;
- ``call_control``: the connected call (hold, mute, transfers, consultations, feature codes, recording);
- ``monitoring``: supervisors listening, whispering, barging;
- ``direct_calls``: agents' phones busy outside the queues;
- ``recovery``: reconcile, adopt, take over, orphans.

Metrics read the engine through ``ccswitch.metrics.EngineView``, which ``Engine`` satisfies.

What a call is (``CallSession``, its ``Phase``) and the history record it leaves live in ``ccswitch.calls``.
"""

from ccswitch.calls import CallAction, Phase
from ccswitch.engine._engine import Engine
from ccswitch.engine.core import OFFER_GRACE_S, Record

__all__ = ["OFFER_GRACE_S", "CallAction", "Engine", "Phase", "Record"]  # what the controller, the dialler and the
# tests import
