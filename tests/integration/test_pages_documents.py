"""The desk's "Send a document" control in a real headless browser: the agent on a call picks a PDF and a few
words, the caller's carrier gets the SIP MESSAGE with the link, the desk says it was sent. Skipped, as
test_pages.py is, where chromium or chromedriver is not installed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ccswitch.acd.agents import TakeBreak
from ccswitch.auth.gate import Gate
from ccswitch.http import serve_http
from ccswitch.sim import AgentPhone, CallerScript

from .auth_support import write_users
from .conftest import ContactCentre
from .test_documents import PDF, with_documents
from .test_pages import By, WebDriver, browser, click, log_in, text, until

__all__ = ["browser"]  # the fixture, for pytest


@pytest.fixture
def served(centre_factory: Callable[..., ContactCentre], tmp_path: Path) -> Iterator[tuple[ContactCentre, str]]:
    library = tmp_path / "price-list.pdf"
    library.write_bytes(PDF)
    centre = centre_factory(phones=tuple(AgentPhone(f"10{n:02d}", answer_after_s=1.0, talk_s=3600) for n in range(10)),
                            configure=with_documents(tmp_path / "documents", library))
    write_users(tmp_path / "users.yaml")
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller,
                        gate=Gate(tmp_path / "users.yaml", centre.controller.clock.now))
    yield centre, f"http://127.0.0.1:{server.server_port}"
    server.stop()


def test_an_agent_sends_the_caller_a_pdf_from_the_call_card(served: tuple[ContactCentre, str], browser: WebDriver,
                                                            tmp_path: Path) -> None:
    centre, url = served
    controller = centre.controller
    for agent in controller.config.members("sales"):  # alice (1001) alone takes the call
        if agent != "1001":
            controller.agent_action(agent, TakeBreak("lunch"))
    log_in(browser, f"{url}/desk?lang=en", "alice")
    centre.switch.place_call(CallerScript(dtmf=("1",), caller_number="79161234567", talk_s=3600))
    until(browser, lambda: bool(browser.find_elements(By.CSS_SELECTOR, "#card.talking")), "the call connected")
    until(browser, lambda: browser.find_element(By.ID, "document").is_displayed(), "the document control")
    offer = tmp_path / "offer.pdf"
    offer.write_bytes(PDF)
    browser.find_element(By.ID, "document-file").send_keys(str(offer))
    browser.find_element(By.ID, "document-text").send_keys("Our offer")
    click(browser, "document-send")
    until(browser, lambda: text(browser, "document-outcome") == "Sent to the caller: offer.pdf", "the desk to say so")
    (message,) = centre.switch.messages
    assert message.to == "external/79161234567@sms.carrier.example"
    assert message.text.startswith("Our offer https://cc.example.com/files/")
