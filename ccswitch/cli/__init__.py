"""``ccswitch`` command line (click), one module a command group. gevent patches the standard library before
anything else is imported; importing each module registers its commands on ``main``."""

from gevent import monkey

monkey.patch_all()

# Importing a command module registers its commands on ``main``.
from ccswitch.cli import _bot, _campaigns, _check, _erlang, _operations, _reports, _run, _users  # noqa: E402, F401
from ccswitch.cli._check import CHECK_ERRORS, CHECK_WARNINGS  # noqa: E402
from ccswitch.cli._root import main  # noqa: E402

__all__ = ["CHECK_ERRORS", "CHECK_WARNINGS", "main"]
