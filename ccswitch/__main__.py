"""``python -m ccswitch``: the same command line as the ``ccswitch`` script."""

from ccswitch.cli import main

main()
