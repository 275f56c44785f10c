"""ccswitch: a telephony-first contact-centre controller driving FreeSWITCH over ESL."""

__version__ = "0.1.0"
