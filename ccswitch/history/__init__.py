"""Contact history: a record per contact and per agent-state interval, and the log of text conversations, in SQLite
(default) or PostgreSQL."""

from ccswitch.history.conversations import ConversationLog, HistoryItem
from ccswitch.history.model import (
    NO_PERSON_OUTCOMES,
    QUEUE_OUTCOMES,
    AgentStateRecord,
    ContactRecord,
    Direction,
    DispositionRecord,
    HistoryRecord,
    MonitoringRecord,
    OpenAgentState,
    Outcome,
    is_phone_number,
    phone_key,
)
from ccswitch.history.schema import MIGRATIONS, Migration
from ccswitch.history.storage import History, default_history_url, open_history
from ccswitch.history.writer import HistoryWriter

__all__ = [
    "MIGRATIONS",
    "NO_PERSON_OUTCOMES",
    "QUEUE_OUTCOMES",
    "AgentStateRecord",
    "ContactRecord",
    "ConversationLog",
    "Direction",
    "DispositionRecord",
    "History",
    "HistoryItem",
    "HistoryRecord",
    "HistoryWriter",
    "Migration",
    "MonitoringRecord",
    "OpenAgentState",
    "Outcome",
    "default_history_url",
    "is_phone_number",
    "open_history",
    "phone_key",
]
