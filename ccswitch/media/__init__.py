"""Live call media and control: recording policy, supervisor monitoring, hold/mute/transfers (pure decisions).

Each module returns effects as data (``ccswitch.media.effects``); ``effects.command_for`` gives their ESL text.
"""
