"""What an engineer debugging a call reads in the log: at DEBUG every ESL command and every reply, with the call
uuid, so no packet capture is needed."""

from __future__ import annotations

import logging

import pytest

from ccswitch.sim import CallerScript

from .conftest import ContactCentre, wait_until


def test_a_debug_log_of_a_call_shows_each_command_and_its_reply_with_the_call_uuid(
    centre: ContactCentre, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="ccswitch.executor")
    caller = centre.switch.place_call(CallerScript(dtmf=("2",), talk_s=5))
    engine = centre.controller.engine
    wait_until(lambda: engine.stats.queues["support"].answered == 1, what="the call to be answered")

    def logged(direction: str) -> list[str]:
        prefix = f"call {caller}: {direction} fs1: "
        return [record.getMessage() for record in caplog.records if record.getMessage().startswith(prefix)]

    sent = logged("to")
    assert f"call {caller}: to fs1: 'api uuid_answer {caller}'" in sent
    assert any(f"sendmsg {caller}\\ncall-command: execute\\nexecute-app-name: play_and_get_digits" in message
               for message in sent)
    assert f"call {caller}: from fs1: '+OK'" in logged("from")
    # every command written gets its reply logged (replies may still be on their way when the call is answered)
    wait_until(lambda: len(logged("from")) == len(logged("to")), what="a reply logged for every command")


def test_at_info_no_command_is_logged(centre: ContactCentre, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ccswitch.executor")
    centre.switch.place_call(CallerScript(dtmf=("2",), talk_s=5))
    wait_until(lambda: centre.controller.engine.stats.queues["support"].answered == 1, what="the call answered")
    assert not [record for record in caplog.records if ": to fs1: " in record.getMessage()]
