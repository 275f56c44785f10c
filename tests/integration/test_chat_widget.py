"""The web-chat widget in a real headless browser (Debian's chromium through chromium-driver), on the controller's
demo page, against the controller and the simulator: a customer chats with the bot, asks for a person, an agent
answers through the HTTP API, and the conversation survives a reload; with nobody to answer, the offline form.

Skipped with test_pages.py (whose browser fixture this reuses) where chromium or chromedriver is missing. With
CCSWITCH_SCREENSHOTS=<folder> the widget is also saved there (the README's docs/chat-widget.png).
"""

from __future__ import annotations

import struct
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from ccswitch.acd.agents import Logout
from ccswitch.config import Config

from .conftest import ContactCentre, api_call
from .test_pages import browser as chromium  # noqa: F401 (the fixture, under the name the tests ask for)
from .test_pages import screenshot, until

from selenium.common.exceptions import (  # noqa: I001 (after test_pages, which skips without chromium)
    NoSuchElementException, StaleElementReferenceException)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

CHAT_AGENTS = ("1000", "1001")  # the shipped agents with chat capacity, both in sales (the shop bot's queue)
AGENT = "1001"


@dataclass
class Site:
    centre: ContactCentre
    url: str

    def agent(self, method: str, path: str, body: object = None) -> dict[str, object]:
        status, reply, _ = api_call(f"{self.url}/api/agents/{AGENT}{path}", method, body)
        assert status in (200, 201), (method, path, status, reply)
        return reply


def png(size: int = 8) -> bytes:
    """A small red square, a real PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xd1\x24\x2f" * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


# --- the widget, inside its Shadow DOM ---

def texts(browser: WebDriver, selector: str) -> list[str]:
    """The text of every element the selector finds in the widget now ([] before the widget is there)."""
    return list(browser.execute_script(
        "const host = document.getElementById('ccswitch-chat');"
        "return host ? [...host.shadowRoot.querySelectorAll(arguments[0])].filter((e) => !e.hidden)"
        ".map((e) => e.textContent) : [];", selector))


def messages(browser: WebDriver, sender: str = "") -> list[str]:
    """The messages' texts, oldest first (of one sender's, if given)."""
    return texts(browser, f".message{'.' + sender if sender else ''} .text, "
                          f".message{'.' + sender if sender else ''} .attachment span")


def act(browser: WebDriver, selector: str, keys: str | None = None) -> None:
    """Click the widget's element (or type ``keys`` into it) once it is there and shown."""
    def done() -> bool:
        try:
            element = browser.find_element(By.ID, "ccswitch-chat").shadow_root.find_element(By.CSS_SELECTOR, selector)
            if keys is None:
                element.click()
            else:
                element.send_keys(keys)
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        return True

    until(browser, done, f"the widget's {selector}")


def open_widget(browser: WebDriver, url: str) -> None:
    browser.get(f"{url}/chat/demo")
    act(browser, ".launcher")


def fill_in(browser: WebDriver, form: str, name: str, email: str) -> None:
    act(browser, f"form.{form} input[name=name]", name)
    act(browser, f"form.{form} input[name=email]", email)


# --- the contact centre ---

def chat_config(folder: Path) -> Callable[[Config], Config]:
    """The shipped config with the chat's files in the test's folder and the chat agents logged out."""
    def configure(config: Config) -> Config:
        return replace(config, chat=replace(config.chat, attachments=folder / "chat-files"))

    return configure


@pytest.fixture
def site(centre_factory: Callable[..., ContactCentre], tmp_path: Path) -> Iterator[Site]:
    """The controller, its chat service and its HTTP server; every agent who takes chats logged out."""
    centre = centre_factory(configure=chat_config(tmp_path))
    for agent in CHAT_AGENTS:
        centre.controller.agent_action(agent, Logout())
    server = serve_chat(centre, tmp_path)
    yield Site(centre, f"http://127.0.0.1:{server.server_port}")
    server.stop()


def test_a_customer_talks_to_the_bot_then_to_an_agent_and_finds_it_all_after_a_reload(
        site: Site, chromium: WebDriver, tmp_path: Path) -> None:
    browser = chromium
    site.agent("POST", "/login", {})
    open_widget(browser, site.url)
    fill_in(browser, "prechat", "Ivan Petrov", "ivan@example.com")
    act(browser, "form.prechat button[type=submit]")
    until(browser, lambda: len(messages(browser, "bot")) == 1, "the bot's greeting")

    act(browser, "textarea[name=text]", "How much is the Router X1?\n")
    until(browser, lambda: len(messages(browser, "bot")) == 2, "the bot's answer")
    assert "4990" in messages(browser, "bot")[1].replace(" ", "").replace("\u00a0", "")  # the catalogue's price

    act(browser, "button.person")
    chat = wait_for_offer(site)
    site.agent("POST", f"/chats/{chat}/accept")
    until(browser, lambda: AGENT in " ".join(texts(browser, ".status")), "the widget to say who answers")
    site.agent("POST", f"/chats/{chat}/typing")
    until(browser, lambda: any("typing" in line for line in texts(browser, ".typing")), "the agent typing")
    site.agent("POST", f"/chats/{chat}/messages", {"text": "Hello Ivan, <b>Alice</b> here. How can I help?"})
    until(browser, lambda: messages(browser, "agent") == ["Hello Ivan, <b>Alice</b> here. How can I help?"],
          "the agent's message, as text")
    assert texts(browser, ".message.agent b") == []  # never markup

    act(browser, "textarea[name=text]", "Is it in stock?\n")
    until(browser, lambda: "Is it in stock?" in transcript(site, chat), "the agent to read the reply")

    picture = tmp_path / "photo.png"
    picture.write_bytes(png())
    act(browser, "input[type=file]", str(picture))
    until(browser, lambda: "photo.png" in " ".join(messages(browser, "customer")), "the picture sent")
    attachment = attachment_of(site, chat)
    assert agent_download(site, chat, attachment) == png()
    other = api_call(f"{site.url}/chat/api/conversations", "POST",
                     {"name": "Someone Else", "email": "else@example.com", "topic": "sales"})[1]
    stolen = f"{site.url}/chat/api/conversations/{chat}/attachments/{attachment}"
    assert fetch(f"{stolen}?token={other['token']}")[0] in (401, 403, 404)
    assert fetch(stolen, {"Authorization": f"Bearer {other['token']}"})[0] in (401, 403, 404)
    screenshot_widget(browser)

    before = messages(browser)
    browser.refresh()
    until(browser, lambda: messages(browser) == before, "the whole conversation again after the reload")
    said = ["How much is the Router X1?", "Hello Ivan, <b>Alice</b> here. How can I help?", "Is it in stock?"]
    assert [line for line in before if line in said] == said and "photo.png" in before[-1]
    act(browser, "textarea[name=text]", "Still here\n")
    until(browser, lambda: "Still here" in transcript(site, chat), "the resumed conversation to go on")


def test_with_nobody_to_answer_the_widget_offers_the_offline_form(site: Site, chromium: WebDriver) -> None:
    browser = chromium
    open_widget(browser, site.url)
    fill_in(browser, "offline", "Olga", "olga@example.com")
    act(browser, "form.offline textarea[name=text]", "Please call me back about delivery.")
    act(browser, "form.offline button[type=submit]")
    until(browser, lambda: any("Thank you" in line for line in texts(browser, ".thanks")), "the thanks")
    assert texts(browser, "form.prechat") == []
