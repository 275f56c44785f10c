"""agents.yaml and supervisors.yaml: agents with their tiers, and supervisors."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import cast, get_args

from ccswitch.acd.capacity import AgentCapacity
from ccswitch.config import _fields as f
from ccswitch.config._capacity import _capacity, agent_capacity
from ccswitch.config._common import _name, _optional_entries, _unique
from ccswitch.config._reader import Issues, Node
from ccswitch.config.model import AgentConfig, LoginState, Tier
from ccswitch.media.monitor import ALL_QUEUES, Supervisor


def _agents(issues: Issues, file: Path, refs: list[f.Ref],
            queue_capacity: Mapping[str, AgentCapacity | None]) -> dict[str, AgentConfig]:
    """``queue_capacity``: each queue's ``capacity`` (None: none), the default of the agents serving it."""
    top = issues.read_yaml(file)
    agents: dict[str, AgentConfig] = {}
    if top is None:
        return agents
    for raw_id, raw in top.data.items():
        agent_id = str(raw_id)  # bare extensions (1000:) are fine as agent ids
        node = top.child(agent_id, raw)
        if node is None or not _name(top, agent_id):
            continue
        node.known(
            (
                "name",
                "contact",
                "queues",
                "wrap_up_s",
                "login",
                "skills",
                "reject_delay_s",
                "busy_delay_s",
                "no_answer_delay_s",
                "capacity",
            )
        )
        tiers = _tiers(node, len(agents) + 1, refs)
        name = node.text("name", agent_id)
        if not name.isprintable():
            node.error("name", f"unsafe value {name!r} (no control characters)")
        agents[agent_id] = AgentConfig(
            id=agent_id,
            name=name,
            contact=_endpoint(node),
            queues=tuple(tier.queue for tier in tiers),
            wrap_up_s=node.optional_integer("wrap_up_s", 0, 3600),
            login=cast(LoginState, node.choice("login", "logged_out", get_args(LoginState))),
            tiers=tiers,
            skills=MappingProxyType(f.skills(node)),
            reject_delay_s=node.integer("reject_delay_s", 0, 0, 3600),
            busy_delay_s=node.integer("busy_delay_s", 0, 0, 3600),
            no_answer_delay_s=node.integer("no_answer_delay_s", 0, 0, 3600),
            capacity=agent_capacity(_capacity(node), [tier.queue for tier in tiers], queue_capacity),
        )
    return agents


def _tiers(node: Node, default_position: int, refs: list[f.Ref]) -> tuple[Tier, ...]:
    """``queues: [sales, {queue: support, level: 2, position: 1}]``: level 1 and the agent's place in the file
    unless given (so top-down follows the agents file)."""
    tiers: list[Tier] = []
    for index, item in enumerate(node.items("queues")):
        key_path = f"{node.at('queues')}[{index}]"
        if isinstance(item, dict):
            tier_node = Node(node.issues, node.file, node.at("queues"), {}).child(index, item)
            assert tier_node is not None
            tier_node.known(("queue", "level", "position"))
            queue = tier_node.text("queue", token=f.NAME)
            level = tier_node.integer("level", 1, 1, 9)
            tier = Tier(queue, level, tier_node.integer("position", default_position, 1, 100000))
            key_path = tier_node.at("queue")
        else:
            tier = Tier(str(item), 1, default_position)
        refs.append(f.Ref("queue", tier.queue, node.file, key_path))
        tiers.append(tier)
    _unique(node, "queues", [tier.queue for tier in tiers])
    return tuple(tiers)


def _supervisors(issues: Issues, file: Path, refs: list[f.Ref]) -> dict[str, Supervisor]:
    """``<id>: {name, contact, queues: [q, ...] | "*"}``; no file means no supervisors."""
    supervisors: dict[str, Supervisor] = {}
    for supervisor_id, node in _optional_entries(issues, file):
        node.known(("name", "contact", "queues"))
        queues = [ALL_QUEUES] if node.raw("queues") == ALL_QUEUES else [str(q) for q in node.items("queues")]
        if not queues:
            node.error("queues", f'missing: the queues this supervisor may monitor, or "{ALL_QUEUES}" for all')
        for index, queue in enumerate(queues):
            if queue != ALL_QUEUES:
                refs.append(f.Ref("queue", queue, node.file, f"{node.at('queues')}[{index}]"))
        _unique(node, "queues", queues)
        supervisors[supervisor_id] = Supervisor(supervisor_id, _endpoint(node), frozenset(queues),
                                                name=node.text("name", supervisor_id))
    return supervisors


def _endpoint(node: Node) -> str:
    contact = node.text("contact")
    if contact and not f.ENDPOINT.pattern.fullmatch(contact):
        node.error("contact", f"bad endpoint {contact!r} (expected {f.ENDPOINT.allowed})")
    return contact
