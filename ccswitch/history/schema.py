"""The history schema as numbered migrations, in SQL that SQLite and PostgreSQL both accept.

Portable by construction: types are TEXT, INTEGER, BOOLEAN and DOUBLE PRECISION (SQLite maps each to its own
affinity); keys are natural (no AUTOINCREMENT vs SERIAL); no dialect-specific functions. ``schema_version`` holds
one row per applied migration; a database is at the highest version it holds. To change the schema, append a
``Migration`` with the next number; never edit one that has shipped.

Campaigns: every call a dialler campaign places has a ``contacts`` row carrying ``contacts.campaign`` (the
engine's for a person it was given, the dialler's for no answer, busy, machine and failed: outcomes are TEXT, so
those needed no migration); the campaign report reads them by ``contacts_by_campaign``. Leads and their progress
live in the store, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL
)"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "contacts and agent state intervals", (
        """CREATE TABLE contacts (
            call_uuid TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            direction TEXT NOT NULL,
            started_at DOUBLE PRECISION NOT NULL,
            ended_at DOUBLE PRECISION NOT NULL,
            caller_number TEXT NOT NULL,
            caller_key TEXT NOT NULL,
            caller_name TEXT NOT NULL,
            destination TEXT NOT NULL,
            outcome TEXT NOT NULL,
            hangup_cause TEXT NOT NULL,
            ivr_path TEXT NOT NULL,
            queue TEXT,
            enqueued_at DOUBLE PRECISION,
            answered_at DOUBLE PRECISION,
            agent TEXT,
            wait_s DOUBLE PRECISION,
            talk_s DOUBLE PRECISION NOT NULL,
            wrap_up_s DOUBLE PRECISION NOT NULL,
            recording_path TEXT,
            disposition TEXT,
            transferred_to TEXT,
            callback BOOLEAN NOT NULL,
            campaign TEXT
        )""",
        "CREATE INDEX contacts_by_caller ON contacts (caller_key, started_at)",
        "CREATE INDEX contacts_by_end ON contacts (ended_at)",
        "CREATE INDEX contacts_by_campaign ON contacts (campaign, started_at)",
        # The whole row is the key: a retried batch whose commit did reach the database is not written twice.
        """CREATE TABLE agent_states (
            agent TEXT NOT NULL,
            state TEXT NOT NULL,
            started_at DOUBLE PRECISION NOT NULL,
            ended_at DOUBLE PRECISION NOT NULL,
            reason TEXT,
            PRIMARY KEY (agent, started_at, ended_at, state)
        )""",
        "CREATE INDEX agent_states_by_end ON agent_states (ended_at)",
    )),
    Migration(2, "recording start and length", (
        "ALTER TABLE contacts ADD COLUMN recording_started_at DOUBLE PRECISION",
        "ALTER TABLE contacts ADD COLUMN recording_s DOUBLE PRECISION",
        "CREATE INDEX contacts_by_recording ON contacts (recording_started_at)",
    )),
    Migration(3, "supervisor monitoring sessions", (
        """CREATE TABLE monitoring (
            session TEXT PRIMARY KEY,
            supervisor TEXT NOT NULL,
            agent TEXT,
            call_uuid TEXT NOT NULL,
            started_at DOUBLE PRECISION NOT NULL,
            ended_at DOUBLE PRECISION NOT NULL,
            modes TEXT NOT NULL,
            reason TEXT NOT NULL
        )""",
        "CREATE INDEX monitoring_by_end ON monitoring (ended_at)",
    )),
    Migration(4, "dispositions of campaign calls, set after the call", (
        """CREATE TABLE dispositions (
            disposed_call TEXT PRIMARY KEY,
            disposed TEXT NOT NULL,
            disposed_at DOUBLE PRECISION NOT NULL
        )""",
    )),
    Migration(5, "the state each agent is in now, not yet closed", (
        """CREATE TABLE agent_open_states (
            agent TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            started_at DOUBLE PRECISION NOT NULL,
            reason TEXT
        )""",
    )),
    Migration(6, "the audit history of privileged API actions", (
        """CREATE TABLE audit (
            id TEXT PRIMARY KEY,
            at DOUBLE PRECISION NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            address TEXT NOT NULL,
            action TEXT NOT NULL,
            status INTEGER NOT NULL
        )""",
        "CREATE INDEX audit_by_time ON audit (at)",
    )),
    # Text conversations (ccswitch.history.conversations). ``last_seq`` is the conversation's message counter: an
    # append raises it in the transaction that inserts the message, so each number is given out once. A customer
    # key the customer did not give is "" (never NULL), and look-ups skip "".
    Migration(7, "text conversations and their messages", (
        """CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            queue TEXT NOT NULL,
            topic TEXT NOT NULL,
            customer_name TEXT NOT NULL,
            customer_email TEXT NOT NULL,
            customer_phone TEXT NOT NULL,
            customer_identity TEXT NOT NULL,
            started_at DOUBLE PRECISION NOT NULL,
            token_hash TEXT NOT NULL,
            language TEXT NOT NULL,
            agent TEXT,
            ended_at DOUBLE PRECISION,
            outcome TEXT,
            disposition TEXT,
            last_seq INTEGER NOT NULL
        )""",
        "CREATE INDEX conversations_by_email ON conversations (customer_email, started_at)",
        "CREATE INDEX conversations_by_phone ON conversations (customer_phone, started_at)",
        "CREATE INDEX conversations_by_identity ON conversations (customer_identity, started_at)",
        "CREATE INDEX conversations_by_end ON conversations (ended_at)",
        """CREATE TABLE messages (
            conversation TEXT NOT NULL,
            seq INTEGER NOT NULL,
            at DOUBLE PRECISION NOT NULL,
            sender TEXT NOT NULL,
            author TEXT NOT NULL,
            text TEXT NOT NULL,
            attachment_id TEXT,
            attachment_name TEXT,
            attachment_type TEXT,
            attachment_size INTEGER,
            PRIMARY KEY (conversation, seq)
        )""",
    )),
    Migration(8, "a text contact's first response time", (
        "ALTER TABLE contacts ADD COLUMN first_response_s DOUBLE PRECISION",
    )),
)
