"""FreeSWITCH Event Socket: sans-I/O framing, events, and the inbound connection."""

from ccswitch.esl.connection import BackgroundJob, EslConnection, subscribe_command
from ccswitch.esl.event import Event
from ccswitch.esl.protocol import Frame, FrameParser

__all__ = ["BackgroundJob", "EslConnection", "Event", "Frame", "FrameParser", "subscribe_command"]
