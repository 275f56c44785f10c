"""``ccswitch check --switch``: ask each running FreeSWITCH node (the ESL address and password of the
configuration) for the modules the configuration needs (``switch_modules``)."""

from __future__ import annotations

from ccswitch.config import Config
from ccswitch.errors import CcswitchError
from ccswitch.esl.connection import EslConnection
from ccswitch.switch_modules import describe, missing_requirements, required_modules


def probe_switch(config: Config, timeout: float = 5.0) -> tuple[list[str], list[str]]:
    """(problems, what was fine), a line each: a node that cannot be reached or lacks modules is a problem."""
    problems: list[str] = []
    fine: list[str] = []
    needed = required_modules(config)
    for node in config.nodes:
        address = f"{node.host}:{node.port}"
        connection = EslConnection(node.host, node.port, node.password, (), lambda _event: None,
                                   connect_timeout=timeout, command_timeout=timeout)
        connection.start()
        try:
            if not connection.wait_connected(timeout):
                problems.append(f"FreeSWITCH node {node.name} ({address}): no event socket session within "
                                f"{timeout:g} s (is it running, and the password right?)")
                continue
            missing = missing_requirements(connection.api, needed)
        except CcswitchError as exc:
            problems.append(f"FreeSWITCH node {node.name} ({address}): {exc}")
            continue
        finally:
            connection.stop()
        problems += describe(node.name, missing)
        if not missing:
            modules = sorted({requirement.module for requirement in needed})
            fine.append(f"FreeSWITCH node {node.name} ({address}): has every module needed ({', '.join(modules)})")
    return problems, fine
