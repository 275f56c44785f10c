"""The engine, split by domain; ``Engine`` (``_engine``) wires them and routes each event to the domain that owns
its channel. Read the domains in this order, each top to bottom:

- ``core``: what they all share (configuration, store, calls, agents, the queues' books, the effects' outbox);
- ``inbound``: parked → IVR → queue, announcements, admission, overflow, the caller hanging up;
- ``offers``: waiting calls rung to agents, and what comes of it (answered, failed, lost, withdrawn);
- ``dial_outs``: campaign calls, previews and callbacks, with their retries and deadlines;
- ``call_control``: the connected call (hold, mute, transfers, consultations, feature codes, recording);
- ``monitoring``: supervisors listening, whispering, barging;
- ``direct_calls``: agents' phones busy outside the queues;
- ``recovery``: reconcile, adopt, take over, orphans;
- ``texts``: text contacts (chat): queued, offered beside calls, accepted, closed, transferred, taken back.

Metrics read the engine through ``ccswitch.metrics.EngineView``, which ``Engine`` satisfies.

What a call is (``CallSession``, its ``Phase``) and the history record it leaves live in ``ccswitch.calls``; a
text contact (``TextContact``) in ``ccswitch.text_contacts``.
"""

from ccswitch.calls import CallAction, Phase
from ccswitch.engine._engine import Engine
from ccswitch.engine.core import OFFER_GRACE_S, Record
from ccswitch.engine.texts import (
    Accept,
    Close,
    Decline,
    NewsKind,
    TextAction,
    TextArrival,
    TextNews,
    TextStatus,
    Transfer,
)

# What the controller, the dialler, the chat service and the tests import.
__all__ = ["OFFER_GRACE_S", "Accept", "CallAction", "Close", "Decline", "Engine", "NewsKind", "Phase", "Record",
           "TextAction", "TextArrival", "TextNews", "TextStatus", "Transfer"]
