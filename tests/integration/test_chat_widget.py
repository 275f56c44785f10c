"""The web-chat widget in a real headless browser (Debian's chromium through chromium-driver), on the controller's
demo page, against the controller and the simulator: a customer chats with the bot, asks for a person, an agent
answers through the HTTP API, and the conversation survives a reload; with nobody to answer, the offline form.

Skipped with test_pages.py (whose browser fixture this reuses) where chromium or chromedriver is missing. With
CCSWITCH_SCREENSHOTS=<folder> the widget is also saved there (the README's docs/chat-widget.png).
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from wsgiref.types import StartResponse, WSGIEnvironment

import gevent
import pytest
from gevent.pywsgi import WSGIServer
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ccswitch.acd.agents import Logout
from ccswitch.acd.capacity import Channel
from ccswitch.chat.messages import Customer
from ccswitch.config import Config
from ccswitch.webchat.desk import ControllerDesk

from . import test_pages
from .chat_support import ChatSite, chat_site
from .conftest import ContactCentre, api_call, wait_until
from .test_pages import until
from .test_store_outage import CuttableLink

AGENT = "1001"  # in sales, the shop bot's queue, and takes chats
browser = test_pages.browser  # its fixture: a headless chromium of the test's own


# A page of the shop's own web site, on another origin, embedding the widget with the one script tag; its styles
# would hide every button and turn all text red if they reached into the widget.
SHOP_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Example Shop</title>
<style>* {{ color: red !important; font-family: serif !important; }} button {{ display: none !important; }}</style>
</head><body><h1>Example Shop</h1>
<script src="{controller}/chat/widget.js" data-topic="sales" async></script></body></html>"""


@dataclass
class Site:
    centre: ContactCentre
    chat: ChatSite  # the controller's HTTP server with the chat service
    shop: str  # the shop's web site

    def agent(self, method: str, path: str, body: object = None) -> Any:
        """A request of agent 1001's through the HTTP API; its JSON reply."""
        status, reply, _ = api_call(f"{self.chat.url}/api/agents/{AGENT}{path}", method, body)
        assert status in (200, 201), (method, path, status, reply)
        return reply


@pytest.fixture
def site(centre_factory: Callable[..., ContactCentre], tmp_path: Path) -> Iterator[Site]:
    """The controller with the chat service over it, and the shop's web site, the one origin allowed to embed the
    widget; the agents who take chats logged out."""
    controller_url: list[str] = []
    shop = WSGIServer(("127.0.0.1", 0), partial(shop_page, controller_url), log=None)
    shop.start()
    shop_url = f"http://127.0.0.1:{shop.server_port}"
    centre = centre_factory(configure=partial(embedded_in, shop_url))
    for agent in centre.controller.config.agents.values():
        if Channel.CHAT in agent.capacity.costs:
            centre.controller.agent_action(agent.id, Logout())
    for chat in chat_site(centre, tmp_path, ControllerDesk(centre.controller)):
        controller_url.append(chat.url)
        yield Site(centre, chat, shop_url)
    shop.stop()


def embedded_in(shop: str, config: Config) -> Config:
    return replace(config, chat=replace(config.chat, site_origins=(shop,)))


def shop_page(controller: list[str], environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [SHOP_PAGE.format(controller=controller[0]).encode()]


def test_a_customer_talks_to_the_bot_then_to_an_agent_and_finds_it_all_after_a_reload(
        site: Site, browser: WebDriver, tmp_path: Path) -> None:
    site.agent("POST", "/login", {})
    open_widget(browser, site.shop)
    fill_in(browser, "prechat", "Ivan Petrov", "ivan@example.com")
    act(browser, "form.prechat button[type=submit]")
    until(browser, lambda: len(messages(browser, "bot")) == 1, "the bot's greeting")
    assert browser.execute_script(  # the shop's red did not reach in
        "const host = document.getElementById('ccswitch-chat');"
        "return getComputedStyle(host.shadowRoot.querySelector('.message .text')).color") != "rgb(255, 0, 0)"

    act(browser, "textarea[name=text]", "How much is the Router X1?\n")
    until(browser, lambda: len(messages(browser, "bot")) == 2, "the bot's answer")
    assert "4 990" in messages(browser, "bot")[1].replace("\u00a0", " ")  # the catalogue's price

    act(browser, "button.person")
    chat = offered(site)
    site.agent("POST", f"/chats/{chat}/accept")
    until(browser, lambda: AGENT in " ".join(texts(browser, ".status")), "the widget to say who answers")
    site.agent("POST", f"/chats/{chat}/typing")
    until(browser, lambda: any("typing" in line for line in texts(browser, ".typing")), "the agent typing")
    site.agent("POST", f"/chats/{chat}/messages", {"text": "Hello Ivan, I am Alice. How can I help?"})
    until(browser, lambda: messages(browser, "agent") == ["Hello Ivan, I am Alice. How can I help?"],
          "the agent's message")

    with agent_events(site) as heard:
        act(browser, "textarea[name=text]", "Is it in stock?")
        wait_until(lambda: ("typing", chat) in heard, 10, "the agent to hear the customer typing")
    act(browser, "textarea[name=text]", "\n")
    until(browser, lambda: "Is it in stock?" in transcript(site, chat), "the agent to read the reply")
    screenshot_widget(browser)
    site.agent("POST", f"/chats/{chat}/messages", {"text": "<b>Yes</b>: 12 of them."})
    until(browser, lambda: "<b>Yes</b>: 12 of them." in messages(browser, "agent"), "the agent's answer, as text")
    assert texts(browser, ".message b") == []  # never markup

    sent = len(transcript(site, chat))
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    act(browser, "input[type=file]", str(notes))
    until(browser, lambda: "PDF" in " ".join(texts(browser, ".alert")), "the widget to refuse a text file")
    huge = tmp_path / "huge.png"
    huge.write_bytes(png() + bytes(10 * 2**20))
    act(browser, "input[type=file]", str(huge))
    until(browser, lambda: texts(browser, ".alert") == ["The file is too big: at most 10 MB"], "and a huge one")
    picture = tmp_path / "photo.png"
    picture.write_bytes(png())
    act(browser, "input[type=file]", str(picture))
    until(browser, lambda: bool(texts(browser, ".message.customer .attachment img")), "the picture shown")
    assert texts(browser, ".alert") == [] and len(transcript(site, chat)) == sent + 1  # the refused never left
    attachment = next(message["attachment"]["id"] for message in site.agent("GET", f"/chats/{chat}")["messages"]
                      if message["attachment"])
    assert fetch(f"{site.chat.url}/api/agents/{AGENT}/chats/{chat}/attachments/{attachment}")[:2] == (200, png())
    other = api_call(f"{site.chat.url}/chat/api/conversations", "POST",
                     {"name": "Someone Else", "email": "else@example.com", "topic": "sales"})[1]
    not_theirs = f"{site.chat.url}/chat/api/conversations/{chat}/attachments/{attachment}"
    assert fetch(f"{not_theirs}?token={other['token']}")[0] == 404
    assert fetch(not_theirs, {"Authorization": f"Bearer {other['token']}"})[0] == 404

    before = messages(browser)
    said = ["How much is the Router X1?", "Hello Ivan, I am Alice. How can I help?", "Is it in stock?",
            "<b>Yes</b>: 12 of them."]
    assert [line for line in before if line in said] == said and "photo.png" in before[-1]
    browser.refresh()  # the conversation was kept in the shop site's localStorage
    until(browser, lambda: messages(browser) == before, "the whole conversation again after the reload")
    act(browser, "textarea[name=text]", "Still here\n")
    until(browser, lambda: "Still here" in transcript(site, chat), "the resumed conversation to go on")


def test_with_nobody_to_answer_the_widget_offers_the_offline_form(site: Site, browser: WebDriver) -> None:
    open_widget(browser, f"{site.chat.url}/chat/demo")
    fill_in(browser, "offline", "Olga", "olga@example.com")
    act(browser, "form.offline textarea[name=text]", "Please call me back about delivery.")
    act(browser, "form.offline button[type=submit]")
    until(browser, lambda: any("Thank you" in line for line in texts(browser, ".thanks")), "the thanks")
    assert texts(browser, "form.prechat") == []
    (kept,) = site.chat.log.customer_history(Customer(email="olga@example.com"))
    assert (kept.outcome, kept.queue) == ("offline", "sales")
    assert [message.text for message in site.chat.log.messages(kept.ref)] == [
        "Please call me back about delivery."]


def test_a_customer_waiting_in_line_leaves_and_may_start_another_and_every_field_is_labelled(
        site: Site, browser: WebDriver) -> None:
    site.agent("POST", "/login", {})
    open_widget(browser, f"{site.chat.url}/chat/demo")
    fill_in(browser, "prechat", "Anna", "anna@example.com")
    assert unlabelled(browser) == []
    act(browser, "form.prechat button[type=submit]")
    until(browser, lambda: len(messages(browser, "bot")) == 1, "the bot's greeting")
    assert unlabelled(browser) == []

    site.agent("POST", "/break", {"reason": "lunch"})  # logged in, so the chat is open, but away
    act(browser, "button.person")
    until(browser, lambda: texts(browser, ".status") == ["Waiting for a person · place in line 1"],
          "the widget to say the customer is first in line")
    assert texts(browser, "button.person") == []
    act(browser, "button.end")
    until(browser, lambda: texts(browser, ".status") == ["This chat has ended."], "the widget to say it ended")
    assert browser.execute_script("return document.getElementById('ccswitch-chat').shadowRoot"
                                  ".querySelector('textarea').disabled")
    (record,) = site.chat.log.customer_history(Customer(email="anna@example.com"))
    assert record.outcome == "abandoned"
    act(browser, "button.new-chat")
    until(browser, lambda: bool(texts(browser, "form.prechat")), "a new pre-chat form")


def test_the_widget_comes_back_after_the_network_goes_and_shows_what_it_missed(site: Site,
                                                                             browser: WebDriver) -> None:
    site.agent("POST", "/login", {})
    link = CuttableLink(urlsplit(site.chat.url).port or 0)  # between the customer's browser and the controller
    with contextlib.closing(link):
        open_widget(browser, f"http://127.0.0.1:{urlsplit(link.url).port}/chat/demo")
        fill_in(browser, "prechat", "Ivan", "ivan@example.com")
        act(browser, "form.prechat button[type=submit]")
        act(browser, "button.person")
        chat = offered(site)
        site.agent("POST", f"/chats/{chat}/accept")
        until(browser, lambda: AGENT in " ".join(texts(browser, ".status")), "the agent to answer")

        link.cut()
        until(browser, lambda: texts(browser, ".alert") == ["Connection lost, trying again…"], "the widget to say so")
        site.agent("POST", f"/chats/{chat}/messages", {"text": "Are you still there?"})
        link.mend()
        until(browser, lambda: messages(browser, "agent") == ["Are you still there?"], "the message it missed", 20)
        assert texts(browser, ".alert") == []


# --- the widget, inside its Shadow DOM ---

def texts(browser: WebDriver, selector: str) -> list[str]:
    """The text of every element the selector finds shown in the widget now ([] before the widget is there)."""
    return list(browser.execute_script(
        "const host = document.getElementById('ccswitch-chat');"
        "return host ? [...host.shadowRoot.querySelectorAll(arguments[0])].filter((found) => !found.hidden)"
        ".map((found) => found.textContent) : [];", selector))


def unlabelled(browser: WebDriver) -> list[str]:
    """The names of the widget's fields that have no label (a screen reader would not say what they are for)."""
    return list(browser.execute_script(
        "return [...document.getElementById('ccswitch-chat').shadowRoot.querySelectorAll('input, select, textarea')]"
        ".filter((field) => field.labels.length === 0).map((field) => field.name || field.type);"))


def messages(browser: WebDriver, sender: str = "") -> list[str]:
    """The messages' texts (a file's: its name and size), oldest first; of one sender's, if given."""
    kind = f".message.{sender}" if sender else ".message"
    return texts(browser, f"{kind} .text, {kind} .attachment span")


def act(browser: WebDriver, selector: str, keys: str | None = None) -> None:
    """Click the widget's element (or type ``keys`` into it) once it is there."""
    def done() -> bool:
        try:
            host = browser.find_element(By.ID, "ccswitch-chat")
            element = host.shadow_root.find_element(By.CSS_SELECTOR, selector)
            if keys is None:
                element.click()
            else:
                element.send_keys(keys)
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        return True

    until(browser, done, f"the widget's {selector}")


def open_widget(browser: WebDriver, page: str) -> None:
    browser.get(page)
    act(browser, ".launcher")


def fill_in(browser: WebDriver, form: str, name: str, email: str) -> None:
    act(browser, f"form.{form} input[name=name]", name)
    act(browser, f"form.{form} input[name=email]", email)


def screenshot_widget(browser: WebDriver) -> None:
    folder = os.environ.get("CCSWITCH_SCREENSHOTS")
    if folder:
        panel = browser.find_element(By.ID, "ccswitch-chat").shadow_root.find_element(By.CSS_SELECTOR, ".panel")
        panel.screenshot(str(Path(folder) / "chat-widget.png"))


# --- the agent's side, through the HTTP API ---

def offered(site: Site) -> str:
    """The conversation offered to the agent, once it is."""
    found: list[str] = []

    def any_offer() -> bool:
        found[:] = [held["id"] for held in site.agent("GET", "/chats") if held["status"] == "offered"]
        return bool(found)

    wait_until(any_offer, 10, "a chat offered to the agent")
    return found[0]


@contextmanager
def agent_events(site: Site) -> Iterator[list[tuple[str, str]]]:
    """What the agent's stream (``/chats/events``) says while the block runs: (event, conversation) pairs."""
    heard: list[tuple[str, str]] = []

    def listen() -> None:
        with urllib.request.urlopen(f"{site.chat.url}/api/agents/{AGENT}/chats/events", timeout=30) as stream:
            event = ""
            for line in stream:
                if line.startswith(b"event: "):
                    event = line.removeprefix(b"event: ").decode().strip()
                elif line.startswith(b"data: "):
                    heard.append((event, json.loads(line.removeprefix(b"data: "))["id"]))

    listener = gevent.spawn(listen)
    try:
        yield heard
    finally:
        listener.kill()


def transcript(site: Site, chat: str) -> list[str]:
    """The conversation's lines as the agent reads them."""
    return [message["text"] for message in site.agent("GET", f"/chats/{chat}")["messages"]]


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def png(size: int = 8) -> bytes:
    """A small red square, a real PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xd1\x24\x2f" * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
