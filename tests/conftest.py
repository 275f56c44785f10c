"""Test-wide setup. gevent must patch the standard library before redis or sockets are imported."""

from gevent import monkey

monkey.patch_all()
