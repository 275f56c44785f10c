"""Live call media and control: recording policy, supervisor monitoring, hold/mute/transfers (pure decisions).

Each module returns effects as data from ``ccswitch.effects``; the executor turns them into ESL commands.
"""
