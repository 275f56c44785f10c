"""Live call media and control: recording policy, supervisor monitoring, hold/mute/transfers (pure decisions).

Each module returns effects as data: recording's are the engine's (``ccswitch.effects``, sent by the executor);
monitoring and control use ``ccswitch.media.effects``, whose ``command_for`` gives their ESL text.
"""
