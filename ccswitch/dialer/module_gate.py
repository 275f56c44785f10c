"""Which campaigns may run on the switch modules the nodes have.

A campaign that detects machines needs mod_amd on the switch. The controller asks each node at connect
(``modules_missing``): while a node lacks it such a campaign is paused and may not be started, with an error that
names the module. A line whose ``amd`` the switch refused (trace m: the module went away after the check) is
reported here too (``application_missing``): counted, and the module taken as missing on that node.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from ccswitch.dialer.campaign import RunCommand, RunState, apply_command
from ccswitch.dialer.campaign_state import DialerState
from ccswitch.errors import InvalidTransition
from ccswitch.switch_modules import Requirement, required_modules

log = logging.getLogger(__name__)


class ModuleGate:
    def __init__(self, state: DialerState) -> None:
        self.state = state
        self.missing_modules: dict[str, set[str]] = {}  # node -> required modules it does not have
        self.applications_missing: Counter[tuple[str, str]] = Counter()  # (node, application) -> calls lost

    def node_lacks(self, node: str, missing: Sequence[Requirement], now: float) -> None:
        """What ``node`` said at connect: the required modules it lacks. A running campaign that needs one of them
        is paused."""
        self.missing_modules[node] = {requirement.module for requirement in missing}
        self.pause_blocked(now)

    def application_missing(self, node: str, application: str, module: str, now: float) -> None:
        """``node`` refused a line's ``application``: ``module`` is missing there after all."""
        self.applications_missing[(node, application)] += 1
        self.missing_modules.setdefault(node, set()).add(module)
        self.pause_blocked(now)

    def missing_for(self, name: str) -> str:
        """Why campaign ``name`` cannot run now (a module a node lacks), or ""."""
        needs = {r.module: r.feature for r in required_modules(self.state.config) if r.campaign == name}
        lacking = [f"FreeSWITCH node {node} does not have {module} (needed for {needs[module]})"
                   for node, modules in sorted(self.missing_modules.items()) for module in sorted(modules)
                   if module in needs]
        return "; ".join(lacking)

    def pause_blocked(self, now: float) -> None:
        for name, campaign in self.state.campaigns.items():
            missing = self.missing_for(name)
            if missing and campaign.run is not None and campaign.run.state is RunState.RUNNING:
                log.error("campaign %s paused: %s", name, missing)
                try:
                    campaign.set_run(campaign.run, apply_command(campaign.run, RunCommand.PAUSE, now))
                except InvalidTransition:
                    log.exception("campaign %s: could not pause it", name)
