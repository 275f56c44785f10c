"""The agent desktop and the wallboard in a real headless browser (Debian's chromium through chromium-driver),
against the controller and the simulator: as an agent and a supervisor would use them.

Skipped, saying why, where chromium or chromedriver is not installed (.ci/run installs both). With
CCSWITCH_SCREENSHOTS=<folder> the tests also save the pages there (the README's docs/*.png come from such a run).
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from history.records import contact
from store.redis_server import free_port

from ccswitch.acd.agents import AgentState, Ready, TakeBreak
from ccswitch.auth.gate import Gate
from ccswitch.auth.oidc import SingleSignOn
from ccswitch.chat.messages import ConversationRecord, Customer
from ccswitch.config import Config
from ccswitch.config.model import SsoConfig
from ccswitch.history import ConversationLog, HistoryWriter, open_history
from ccswitch.history.storage import History
from ccswitch.http import serve_http
from ccswitch.sim import AgentPhone, CallerScript
from ccswitch.webchat.attachments import AttachmentStore
from ccswitch.webchat.desk import ControllerDesk
from ccswitch.webchat.service import ChatService

from .auth_support import PASSWORD, write_users
from .chat_support import ChatSite
from .conftest import SPEED, ContactCentre, wait_until
from .oidc_provider import CLIENT_ID, Provider
from .test_dialer import CAMPAIGN, callee, campaign_centre, lead, start

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if CHROMIUM is None or DRIVER is None:
    pytest.skip("the browser tests need Debian's chromium and chromium-driver (apt-get install chromium "
                "chromium-driver)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1100,720")


@dataclass
class Desk:
    centre: ContactCentre
    url: str
    history: History
    writer: HistoryWriter
    chat: ChatSite  # the web chat's customer side, over the same server


def _patient_chat(config: Config) -> Config:
    """Offers and unanswered chats wait an hour (simulated time runs 20 times faster than a person clicks)."""
    return replace(config, chat=replace(config.chat, offer_timeout_s=3600, requeue_unanswered_s=3600))


@pytest.fixture
def desk(centre_factory: Callable[..., ContactCentre], tmp_path: Path,
         request: pytest.FixtureRequest) -> Iterator[Desk]:
    """Phones answer in a second and talk for an hour; supervisor 2001's phone answers too. The controller writes
    the contact history the desk reads; the web chat runs over the controller's desk, its conversations in the same
    history database. Time runs 20 times faster than the wall clock unless the test asks for another speed
    (``@pytest.mark.parametrize("desk", [speed], indirect=True)``)."""
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    history = open_history(url)
    history.record_contact(contact("earlier-call", queue="support", agent="1005"))  # the caller called before
    writer = HistoryWriter(history)
    phones = tuple(AgentPhone(f"10{n:02d}", answer_after_s=1.0, talk_s=3600) for n in range(10))
    centre = centre_factory(phones=(*phones, AgentPhone("2001", answer_after_s=0.5, talk_s=3600)),
                            record=writer.submit, configure=_patient_chat, speed=getattr(request, "param", SPEED))
    users_file = tmp_path / "users.yaml"
    write_users(users_file)
    log = ConversationLog(url)
    chat = ChatService(lambda: centre.controller.config, log, ControllerDesk(centre.controller),
                       centre.controller.clock.now, AttachmentStore(tmp_path / "files"))
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller, history,
                        gate=Gate(users_file, centre.controller.clock.now), chat=chat)
    url = f"http://127.0.0.1:{server.server_port}"
    yield Desk(centre, url, history, writer, ChatSite(url, chat, log))
    server.stop()
    chat.close()
    log.close()
    writer.close()
    history.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(DRIVER)))
    yield driver
    driver.quit()


def until(browser: WebDriver, condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    WebDriverWait(browser, timeout, poll_frequency=0.05).until(lambda _: condition(), message=f"waiting for {what}")


def text(browser: WebDriver, element_id: str) -> str:
    """The element's text now ("" while there is none): read in the page, as the page redraws every second."""
    return str(browser.execute_script("const found = document.getElementById(arguments[0]);"
                                      "return found ? found.textContent : '';", element_id))


def log_in(browser: WebDriver, url: str, user: str) -> None:
    browser.get(url)
    until(browser, lambda: bool(browser.find_elements(By.ID, "user")), "the log-in form")
    browser.find_element(By.ID, "user").send_keys(user)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-button").click()


def click(browser: WebDriver, element_id: str) -> None:
    """A real click on the button, once it is there (again, if the page redrew it just then)."""
    def clicked() -> bool:
        try:
            browser.find_element(By.ID, element_id).click()
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        return True

    until(browser, clicked, f"a click on #{element_id}")


def screenshot(browser: WebDriver, name: str) -> None:
    folder = os.environ.get("CCSWITCH_SCREENSHOTS")
    if folder:
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))


def fetch_status(browser: WebDriver, method: str, path: str) -> int:
    """A request from the page itself, with its session cookie and CSRF token: what the agent could try."""
    return int(browser.execute_async_script(
        "const done = arguments[2];"
        "fetch(arguments[1], {method: arguments[0], headers: {'Content-Type': 'application/json',"
        " 'X-CSRF-Token': csrf}, body: '{}'}).then((reply) => done(reply.status));", method, path))


def test_an_agent_goes_ready_takes_a_call_holds_and_transfers_it(desk: Desk, browser: WebDriver) -> None:
    controller, engine = desk.centre.controller, desk.centre.controller.engine
    for agent in controller.config.members("sales"):  # alice (1001) among them: she alone comes back
        controller.agent_action(agent, TakeBreak("lunch"))
    ivan, hour_ago = Customer(name="Ivan", phone="79161234567"), controller.clock.now() - 3600
    desk.chat.log.open(ConversationRecord("his-chat", "chat", "support", "support", ivan, hour_ago, token_hash="",
                                          agent="1005", ended_at=hour_ago + 60, outcome="answered"))
    log_in(browser, f"{desk.url}/desk?lang=en", "alice")
    until(browser, lambda: "on break (lunch)" in text(browser, "state"), "alice's state on her desk")
    click(browser, "ready")
    until(browser, lambda: engine.agents["1001"].state is AgentState.AVAILABLE, "alice to be available")
    until(browser, lambda: text(browser, "state").startswith("available"), "the desk to say so")

    caller = desk.centre.switch.place_call(CallerScript(dtmf=("1",), caller_number="79161234567",
                                                        caller_name="Ivan Petrov"))
    until(browser, lambda: "79161234567 — Ivan Petrov" in text(browser, "caller"), "the caller on the card")
    until(browser, lambda: bool(browser.find_elements(By.CSS_SELECTOR, "#card.talking")), "the call connected")
    assert text(browser, "ivr-path") == "main:1" and text(browser, "queue") == "sales"
    assert text(browser, "did") == "88005550556" and text(browser, "rule")
    calls_and_chats = browser.find_elements(By.CSS_SELECTOR, "#previous li")  # newest first, across channels
    assert [item.text.split(" · ", 1)[1] for item in calls_and_chats] == ["chat · support · 1005 · answered",
                                                                          "voice · support · 1005 · answered"]
    screenshot(browser, "desk")

    click(browser, "hold")
    until(browser, lambda: bool(engine.calls[caller].controls and engine.calls[caller].controls.held), "hold")
    click(browser, "unhold")
    until(browser, lambda: not engine.calls[caller].controls or not engine.calls[caller].controls.held, "unhold")

    assert fetch_status(browser, "POST", "/api/calls/1002/hold") == 403  # another agent's call
    assert fetch_status(browser, "POST", "/api/agents/1002/logout") == 403
    assert engine.agents["1002"].state is AgentState.ON_BREAK

    browser.find_element(By.ID, "transfer-to").send_keys("queue:support")
    click(browser, "transfer-blind")
    until(browser, lambda: engine.calls[caller].agent not in (None, "1001"), "a support agent to answer")
    assert engine.calls[caller].entry is not None and engine.calls[caller].entry.queue == "support"
    until(browser, lambda: text(browser, "state").startswith("wrap-up"), "alice's desk in wrap-up")


def test_an_agent_sets_the_disposition_after_the_call(desk: Desk, browser: WebDriver) -> None:
    controller, engine = desk.centre.controller, desk.centre.controller.engine
    for agent in controller.config.members("sales"):  # alice (1001) alone takes the call
        if agent != "1001":
            controller.agent_action(agent, TakeBreak("lunch"))
    log_in(browser, f"{desk.url}/desk?lang=en", "alice")
    caller = desk.centre.switch.place_call(CallerScript(dtmf=("1",), caller_number="79161234567"))
    until(browser, lambda: bool(browser.find_elements(By.CSS_SELECTOR, "#card.talking")), "the call connected")
    click(browser, "hangup")
    until(browser, lambda: caller not in engine.calls, "the call to end")
    until(browser, lambda: text(browser, "card") == "No call", "the card gone")
    assert text(browser, "disposition") == "salequote_sentnot_interestedwrong_number"  # sales' dispositions
    until(browser, lambda: desk.writer.flush(0.1) and desk.history.contact(caller) is not None, "the call written")

    Select(browser.find_element(By.ID, "disposition")).select_by_value("not_interested")
    click(browser, "dispose")
    until(browser, lambda: text(browser, "disposition-saved") == "Saved: not_interested", "the desk to confirm")
    until(browser, lambda: desk.writer.flush(0.1), "the disposition written")
    record = desk.history.contact(caller)
    assert record is not None and (record.agent, record.disposition) == ("1001", "not_interested")


def test_the_wallboard_follows_the_queue_and_a_supervisor_barges(desk: Desk, browser: WebDriver) -> None:
    controller, engine = desk.centre.controller, desk.centre.controller.engine
    support = controller.config.members("support")
    for agent in support:
        controller.agent_action(agent, TakeBreak("meeting"))
    log_in(browser, f"{desk.url}/wallboard?lang=en&waiting=1", "sam")
    until(browser, lambda: text(browser, "waiting-support-voice").startswith("0"), "the support queue on the board")

    caller = desk.centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=3600))
    until(browser, lambda: text(browser, "waiting-support-voice").startswith("1"), "one caller waiting")
    assert browser.execute_script("return document.getElementById('waiting-support-voice').className") == "figure red"

    controller.agent_action(support[0], Ready())
    until(browser, lambda: text(browser, "waiting-support-voice").startswith("0"), "the call answered")
    until(browser, lambda: "on call" in text(browser, f"agent-{support[0]}"), "the agent on call on the board")
    until(browser, lambda: text(browser, "sl-support-voice") != "—", "the service level counted")
    screenshot(browser, "wallboard")

    click(browser, f"barge-{support[0]}")
    until(browser, lambda: any(s.supervisor == "2001" and s.call == caller and s.mode.value == "barge"
                               for s in engine.monitors.values()), "the supervisor to barge in")
    until(browser, lambda: browser.execute_script("const found = document.getElementById(arguments[0]);"
                                                  "return found && found.className;", f"barge-{support[0]}")
          == "active", "the board to show the barge")


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.mark.parametrize("desk", [1.0], indirect=True)  # real time: the wallboard's "within 1:00" is a real minute
def test_a_chat_arrives_and_is_answered_on_the_desk_and_counts_on_the_wallboard(desk: Desk, browser: WebDriver,
                                                                               tmp_path: Path) -> None:
    """Anna's wait, from asking for a person to alice's accepting, is a log-in and three clicks: seconds of real
    time, but at 20 times speed three real seconds would be the queue's whole minute, which a loaded machine spends
    on the log-in alone."""
    controller, site = desk.centre.controller, desk.chat
    for agent in controller.config.members("sales"):  # alice (1001) alone takes the sales chat
        if agent != "1001":
            controller.agent_action(agent, TakeBreak("lunch"))
    anna = Customer(name="Anna", email="anna@example.com")
    started = controller.clock.now() - 86400
    site.log.open(ConversationRecord("last-week", "chat", "sales", "sales", anna, started, token_hash="",
                                     agent="1000", ended_at=started + 300, outcome="answered"))
    log_in(browser, f"{desk.url}/wallboard?lang=en", "sam")
    until(browser, lambda: text(browser, "sl-sales-chat").startswith("—"), "the sales queue's chat row")
    assert "within 1:00" in text(browser, "sl-sales-chat")  # chat's own threshold, not the queue's 20 s

    status, reply, _ = site.call("/chat/api/conversations", "POST", {"name": "Anna", "email": "anna@example.com",
                                                                     "topic": "sales"})
    assert status == 201, reply
    conversation, token = str(reply["id"]), str(reply["token"])
    status, _, _ = site.call(f"/chat/api/conversations/{conversation}/messages", "POST", {"text": "operator"},
                             token=token)
    assert status == 201
    until(browser, lambda: text(browser, "waiting-sales-chat").startswith("1"), "the chat waiting on the board")
    click(browser, "logout")

    log_in(browser, f"{desk.url}/desk?lang=en", "alice")
    click(browser, f"open-{conversation}")  # the offer, its transcript readable before accepting
    until(browser, lambda: "shop: Здравствуйте! Я помощник" in text(browser, "transcript"), "the bot's greeting")
    assert "Anna: operator" in text(browser, "transcript")
    click(browser, f"accept-{conversation}")
    until(browser, lambda: "Agent 1001 joined the chat." in text(browser, "transcript"), "the chat taken")
    until(browser, lambda: "· sales · 1000 · answered" in text(browser, "chat-previous"), "her chat of last week")
    site.call(f"/chat/api/conversations/{conversation}/typing", "POST", token=token)
    until(browser, lambda: text(browser, "chat-typing") == "The customer is typing…", "the customer typing")

    status, reply, _ = site.upload(f"/chat/api/conversations/{conversation}/attachments", token, "photo.png", PNG)
    assert status == 201, reply
    until(browser, lambda: "photo.png" in text(browser, "transcript"), "the customer's photo")
    click(browser, "quick-0")
    click(browser, "chat-send")
    picture = tmp_path / "label.png"
    picture.write_bytes(PNG)
    browser.find_element(By.ID, "chat-file").send_keys(str(picture))

    def customer_sees() -> list[dict[str, object]]:
        _, seen, _ = site.call(f"/chat/api/conversations/{conversation}", token=token)
        return [message for message in seen["messages"] if message["sender"] == "agent"]  # type: ignore[attr-defined]
    until(browser, lambda: len(customer_sees()) == 2, "the customer to get the reply and the file")
    reply_, file_ = customer_sees()
    assert reply_["text"] == "Thank you for waiting! Let me check that for you."
    assert file_["attachment"]["name"] == "label.png"  # type: ignore[index]

    other, other_token = ask_for_a_person(site, "Boris")
    until(browser, lambda: text(browser, f"chat-{other}").startswith("Boris · salesOffer"), "a second chat offered")
    site.call(f"/chat/api/conversations/{other}/messages", "POST", {"text": "Hello?"}, token=other_token)
    until(browser, lambda: text(browser, f"unread-{other}") == "1", "its message counted unread")
    browser.execute_script("document.getElementById('chats').scrollIntoView()")
    screenshot(browser, "desk-chat")
    site.call(f"/chat/api/conversations/{other}/end", "POST", token=other_token)  # Boris gives up waiting
    until(browser, lambda: not text(browser, f"chat-{other}"), "his chat gone from the list")

    site.call(f"/chat/api/conversations/{conversation}/messages", "POST", {"text": "Thanks, bye"}, token=token)
    until(browser, lambda: "Anna: Thanks, bye" in text(browser, "transcript"), "the customer's answer, live")
    Select(browser.find_element(By.ID, "chat-disposition")).select_by_value("quote_sent")
    click(browser, "chat-close")
    until(browser, lambda: text(browser, "chat-list") == "No chats", "the chat gone from the list")
    def closed_as() -> tuple[str | None, str | None, str | None] | None:
        record = site.log.get(conversation)  # the list may empty on the stream's news before the log is written
        return None if record is None else (record.agent, record.outcome, record.disposition)
    until(browser, lambda: closed_as() == ("1001", "answered", "quote_sent"), "the chat closed in the log")
    click(browser, "logout")

    log_in(browser, f"{desk.url}/wallboard?lang=en", "sam")
    until(browser, lambda: text(browser, "sl-sales-chat").startswith("50%"), "one of two chats answered in 1:00")
    assert text(browser, "abandon-sales-chat").startswith("50%") and text(browser, "asa-sales-chat") != "—"
    assert text(browser, "waiting-sales-chat").startswith("0")
    assert text(browser, "sl-sales-voice").startswith("—")  # the calls' figures are apart


def ask_for_a_person(site: ChatSite, name: str) -> tuple[str, str]:
    """A customer starts a sales chat and asks the bot for a person at once: the conversation's id and token."""
    status, reply, _ = site.call("/chat/api/conversations", "POST", {"name": name, "topic": "sales"})
    assert status == 201, reply
    conversation, token = str(reply["id"]), str(reply["token"])
    assert site.call(f"/chat/api/conversations/{conversation}/person", "POST", token=token)[0] == 200
    return conversation, token


def test_an_agent_transfers_a_chat_to_another_queue(desk: Desk, browser: WebDriver) -> None:
    controller = desk.centre.controller
    for agent in controller.config.members("sales"):
        if agent != "1001":
            controller.agent_action(agent, TakeBreak("lunch"))
    log_in(browser, f"{desk.url}/desk?lang=ru", "alice")
    conversation, _ = ask_for_a_person(desk.chat, "Boris")
    click(browser, f"accept-{conversation}")
    until(browser, lambda: bool(text(browser, "chat-controls")), "the chat taken")
    assert "Перевести" in text(browser, "chat-controls")  # the chat panel speaks Russian too

    Select(browser.find_element(By.ID, "chat-transfer-queue")).select_by_value("support")
    click(browser, "chat-transfer-to-queue")
    until(browser, lambda: text(browser, "chat-list") == "Нет чатов", "the chat gone from alice's list")
    support_chat_agents = {"1004", "1005"}  # the support agents who take chats (agents.yaml)
    until(browser, lambda: controller.text_status(conversation).agent in support_chat_agents,
          "one of support's chat agents offered it")


def test_the_pages_speak_russian(desk: Desk, browser: WebDriver) -> None:
    log_in(browser, f"{desk.url}/wallboard?lang=ru", "sam")
    assert browser.find_elements(By.ID, "sso-login") == []  # no single sign-on configured: passwords only
    until(browser, lambda: "Ждут" in text(browser, "queue-support"), "the board in Russian")
    assert browser.title == "Табло"


def test_an_agent_previews_a_lead_and_dials_it(centre_factory: Callable[..., ContactCentre], tmp_path: Path,
                                               browser: WebDriver) -> None:
    centre = campaign_centre(centre_factory, callee(n1="person"), mode="preview", abandon_message=None)
    start(centre, lead(1))
    users_file = tmp_path / "users.yaml"
    write_users(users_file)
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller,
                        gate=Gate(users_file, centre.controller.clock.now))
    try:
        log_in(browser, f"http://127.0.0.1:{server.server_port}/desk?lang=en", "alice")
        click(browser, f"next-{CAMPAIGN}")
        until(browser, lambda: text(browser, "lead") == f"Lead: {lead(1).phone} — Lead 1", "the lead shown")
        assert centre.controller.engine.agents["1001"].state is AgentState.RESERVED
        click(browser, f"dial-{CAMPAIGN}")
        until(browser, lambda: centre.controller.engine.agents["1001"].state is AgentState.ON_CALL,
              "alice to talk to the lead she dialled")
    finally:
        server.stop()


def test_a_person_signs_on_through_the_provider_and_gets_their_desk(centre: ContactCentre, tmp_path: Path,
                                                                   browser: WebDriver) -> None:
    provider = Provider(person="alice")
    provider_server = provider.serve()
    users_file = tmp_path / "users.yaml"
    write_users(users_file)
    port = free_port()
    sso = SingleSignOn(SsoConfig(provider.issuer, CLIENT_ID, f"http://127.0.0.1:{port}/api/sso/callback",
                                 label="Keycloak"))
    server = serve_http(centre.controller.metrics, "127.0.0.1", port, centre.controller,
                        gate=Gate(users_file, centre.controller.clock.now, sso=sso))
    try:
        browser.get(f"http://127.0.0.1:{port}/desk?lang=en")
        until(browser, lambda: text(browser, "sso-login") == "Sign in with Keycloak", "the button beside the form")
        assert browser.find_elements(By.ID, "password") != []
        browser.get(f"http://127.0.0.1:{port}/desk?lang=ru")
        until(browser, lambda: text(browser, "sso-login") == "Войти через Keycloak", "the button in Russian")
        click(browser, "sso-login")  # to the provider, which signs alice in and sends the browser back
        until(browser, lambda: browser.current_url == f"http://127.0.0.1:{port}/desk?lang=ru", "her desk in Russian")
        until(browser, lambda: text(browser, "who").startswith("alice (1001)"), "alice logged in on her desk")
        assert browser.title == "Рабочее место оператора"
        until(browser, lambda: bool(text(browser, "state")), "her state, from the live stream")
    finally:
        server.stop()
        provider_server.stop()


def test_without_users_the_page_says_how_to_add_one(centre: ContactCentre, browser: WebDriver) -> None:
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller)
    try:
        browser.get(f"http://127.0.0.1:{server.server_port}/desk?lang=en")
        until(browser, lambda: "ccswitch user add" in text(browser, "no-users"), "the note instead of a form")
        assert browser.find_elements(By.ID, "password") == [] and browser.find_elements(By.ID, "sso-login") == []
    finally:
        server.stop()


def test_the_board_shows_an_agent_kept_for_a_campaigns_line_while_a_caller_waits(
    centre_factory: Callable[..., ContactCentre], tmp_path: Path, browser: WebDriver,
) -> None:
    """A progressive line rings for alice (1001), sales' only agent not on break; a caller to sales waits meanwhile.
    The supervisor sees why she is available and not taking the call; the API, the metrics and her desk say so too."""
    centre = campaign_centre(centre_factory, callee(), ring_timeout_s=300, keep_agents=True,
                             speed=SPEED / 4)  # the line rings a minute of real time: two log-ins and a few looks
    controller = centre.controller
    for agent in controller.config.members("sales"):
        if agent != "1001":
            controller.agent_action(agent, TakeBreak("lunch"))
    start(centre, lead(1))
    wait_until(lambda: any(line.campaign == CAMPAIGN for line in controller.dialer.lines.values()), what="the line")
    caller = centre.switch.place_call(CallerScript(dtmf=("1",), patience_s=3600))
    wait_until(lambda: caller in controller.engine.waiting["sales"], what="the caller to wait in sales")
    users_file = tmp_path / "users.yaml"
    write_users(users_file)
    server = serve_http(controller.metrics, "127.0.0.1", 0, controller,
                        gate=Gate(users_file, controller.clock.now))
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        log_in(browser, f"{url}/wallboard?lang=en", "sam")
        until(browser, lambda: text(browser, "waiting-sales-voice").startswith("1"), "the caller on the board")
        assert text(browser, "agent-1001").count("available (kept for campaign calls)") == 1
        assert controller.engine.agents["1001"].state is AgentState.AVAILABLE
        agents = browser.execute_async_script(
            "fetch('/api/agents').then(reply => reply.json()).then(arguments[0]);")  # as sam, with her session
        assert {agent["id"]: agent["kept_for_outbound"] for agent in agents if agent["kept_for_outbound"]} == {
            "1001": True}
        queues = browser.execute_async_script("fetch('/api/queues').then(reply => reply.json()).then(arguments[0]);")
        assert {queue["name"]: queue["kept_for_outbound"] for queue in queues} == {"sales": 1, "support": 0}
        with urllib.request.urlopen(f"{url}/metrics") as scrape:
            assert 'ccswitch_queue_agents_kept_for_outbound{queue="sales"} 1.0' in scrape.read().decode()
        click(browser, "logout")
        log_in(browser, f"{url}/desk?lang=en", "alice")  # and alice sees why no call comes
        until(browser, lambda: text(browser, "state").startswith("available (kept for campaign calls)"), "her state")
    finally:
        server.stop()
