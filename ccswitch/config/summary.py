"""What a configuration loads, in brief: the closing paragraph of ``ccswitch check`` (and its ``--json``)."""

from __future__ import annotations

from typing import Any

from ccswitch.config.model import Config
from ccswitch.routing.explain import describe


def summary(config: Config) -> dict[str, Any]:
    dialplan = config.dialplan
    return {
        "config": str(config.config_file),
        "dialplan": dialplan.name,
        "rules": len(dialplan.rules),
        "dids": sorted({did for rule in dialplan.rules for did in rule.dids}),
        "did_patterns": sorted({rule.did_pattern.pattern for rule in dialplan.rules if rule.did_pattern}),
        "default": describe(dialplan.default),
        "menus": list(config.menus),
        "queues": list(config.queues),
        "agents": len(config.agents),
        "supervisors": len(config.supervisors),
        "campaigns": list(config.campaigns),
        "chatbots": {name: bot.queue for name, bot in config.chatbots.items()},
        "chat_topics": {topic.name: f"bot {topic.bot}" if topic.bot else f"queue {topic.queue}"
                        for topic in config.chat.topics},
        "timezone": str(config.timezone),
        "switch_nodes": [{"name": node.name, "host": node.host, "port": node.port} for node in config.nodes],
        "store": config.store.backend,
        "http": f"{config.http.host}:{config.http.port}",
    }


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _named(names: list[str], noun: str) -> str:
    return _count(len(names), noun) + (f" ({', '.join(names)})" if names else "")


def summary_paragraph(loaded: dict[str, Any]) -> str:
    """``summary(config)`` in one paragraph."""
    dids = ", ".join([*loaded["dids"], *(f"/{pattern}/" for pattern in loaded["did_patterns"])])
    nodes = ", ".join(f"{node['name']} at {node['host']}:{node['port']}" for node in loaded["switch_nodes"])
    topics = [f"{topic} → {to}" for topic, to in loaded["chat_topics"].items()]
    return (f"Loaded {loaded['config']}: dialplan {loaded['dialplan']} with {_count(loaded['rules'], 'rule')}"
            f"{f' for DIDs {dids}' if dids else ''} (otherwise: {loaded['default']}); "
            f"{_named(loaded['menus'], 'IVR menu')}; "
            f"{_named(loaded['queues'], 'queue')}; {_count(loaded['agents'], 'agent')}; "
            f"{_count(loaded['supervisors'], 'supervisor')}; {_named(loaded['campaigns'], 'campaign')}; "
            f"{_named([f'{name} for {queue}' for name, queue in loaded['chatbots'].items()], 'chatbot')}; "
            f"web chat {_named(topics, 'topic') if topics else 'off'}; "
            f"time zone {loaded['timezone']}; {_count(len(loaded['switch_nodes']), 'switch node')} ({nodes}); "
            f"{loaded['store']} store; HTTP API on {loaded['http']}.")
