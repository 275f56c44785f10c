"""A campaign's leads file imported over the controller's API while it runs against the simulator over TCP: checked
whole, then stored a batch at a time in the background while calls and agent actions go on, with its progress in
``campaign status`` (HTTP and CLI); a bad line imports nothing; an unchanged file is not read again. Both stores."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import gevent
import pytest
from click.testing import CliRunner
from store.redis_server import RedisServer, has_redis_server

from ccswitch.acd.agents import AgentState, TakeBreak
from ccswitch.cli import main
from ccswitch.config import Config
from ccswitch.dialer import Lead, LeadState
from ccswitch.dialer.leads import LeadReader
from ccswitch.dialer.runner import ImportState, LoadResult
from ccswitch.errors import DataFileError
from ccswitch.http import serve_http
from ccswitch.sim import CallerScript
from ccswitch.store.base import Store
from ccswitch.store.memory import MemoryStore
from ccswitch.store.redis_store import RedisStore

from .conftest import ContactCentre, wait_until
from .test_monitoring import call

CAMPAIGN = "promo-nov"
BATCH = 500
ROWS = 3_000  # six batches


def phone(number: int) -> str:
    return f"+4477009{number:05d}"  # +447700900007 is on the shipped do-not-call list


def write_leads(path: Path, numbers: Sequence[int], *bad_lines: str) -> Path:
    rows = [f"{phone(n)},Lead {n},Leeds" for n in numbers]
    path.write_text("\n".join(["phone,name,city", *rows, *bad_lines, ""]), encoding="utf-8")
    return path


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if not has_redis_server():
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    redis_store = RedisStore(server.url, key_prefix=f"test:{uuid.uuid4().hex}:")
    yield redis_store
    redis_store.close()
    server.stop()


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ccswitch.lead_import.BATCH_ROWS", BATCH)


@pytest.fixture
def leads_file(tmp_path: Path) -> Path:
    return write_leads(tmp_path / "leads.csv", range(ROWS))


@pytest.fixture
def centre(store: Store, centre_factory: Callable[..., ContactCentre], leads_file: Path) -> ContactCentre:
    """The shipped configuration, its campaign's leads file ``leads_file``; ``store`` outlives the controller."""
    def configure(config: Config) -> Config:
        promo = replace(config.campaigns[CAMPAIGN], leads=leads_file)
        return replace(config, campaigns=MappingProxyType({CAMPAIGN: promo}))

    return centre_factory(configure=configure, store=store)


@pytest.fixture
def batches(centre: ContactCentre, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each batch the dialler is handed, in order."""
    sizes: list[int] = []
    add_leads = centre.controller.dialer.add_leads

    def counting(name: str, leads: Sequence[Lead], now: float) -> LoadResult:
        sizes.append(len(leads))
        return add_leads(name, leads, now)

    monkeypatch.setattr(centre.controller.dialer, "add_leads", counting)
    return sizes


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry per leads file opened for reading, its path."""
    opened: list[str] = []
    init = LeadReader.__init__

    def counting(self: LeadReader, campaign: str, path: Path, **options: Any) -> None:
        opened.append(str(path))
        init(self, campaign, path, **options)

    monkeypatch.setattr(LeadReader, "__init__", counting)
    return opened


def test_the_file_is_stored_a_batch_at_a_time_in_file_order(centre: ContactCentre, batches: list[int],
                                                            store: Store) -> None:
    loaded = centre.controller.campaign_load(CAMPAIGN)

    assert (loaded.added, loaded.total, loaded.do_not_call, loaded.duplicates) == (ROWS, ROWS, 1, 0)
    assert batches[:-1] == [BATCH] * (ROWS // BATCH) and batches[-1] == 0  # the last asks for the total
    assert [lead.phone for lead in store.leads(CAMPAIGN)] == [phone(n) for n in range(ROWS)]
    on_list = store.get_lead(CAMPAIGN, phone(7))
    assert on_list is not None and on_list.state is LeadState.DNC
    assert len(centre.controller.dialer.campaigns[CAMPAIGN].leads) == ROWS
    status = centre.controller.campaign_status(CAMPAIGN)
    assert status.state == "loaded" and status.leads["pending"] == ROWS - 1
    assert status.lead_import is not None
    assert (status.lead_import.state, status.lead_import.rows, status.lead_import.added) == (
        ImportState.DONE, ROWS, ROWS)


def test_calls_and_agent_actions_go_on_while_the_import_reads_and_its_progress_shows(
    centre: ContactCentre, batches: list[int], store: Store, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The file is read in a worker thread: a read blocked on a real (not gevent) lock must not stop the loop.
    controller = centre.controller
    read_may_go_on = gevent.monkey.get_original("_thread", "allocate_lock")()
    read_may_go_on.acquire()
    reads_done: list[int] = []
    read = LeadReader.read
    blocked_at = ROWS // BATCH + 3  # pass 1's batches and its end, then the first batch of pass 2

    def slow_read(self: LeadReader, rows: int) -> list[Lead]:
        reads_done.append(rows)
        if len(reads_done) == blocked_at:
            read_may_go_on.acquire(timeout=10)
        return read(self, rows)

    monkeypatch.setattr(LeadReader, "read", slow_read)
    server = serve_http(controller.metrics, "127.0.0.1", 0, controller)
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        loading = gevent.spawn(controller.campaign_load, CAMPAIGN)
        wait_until(lambda: len(reads_done) == blocked_at, what="the import to read its second batch")

        caller = centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600))
        wait_until(lambda: any(agent.call == caller for agent in controller.engine.agents.values()),
                   what="a caller offered to an agent during the import")
        assert controller.agent_action("1005", TakeBreak("lunch")).state is AgentState.ON_BREAK
        status, view = call(f"{url}/api/campaigns/{CAMPAIGN}", "GET")
        assert status == 200
        progress = view["lead_import"]
        assert isinstance(progress, dict)
        assert {key: progress[key] for key in ("state", "rows_read", "rows", "added")} == {
            "state": "importing", "rows_read": BATCH, "rows": ROWS, "added": BATCH}
        shown = CliRunner().invoke(main, ["campaign", "status", CAMPAIGN, "--url", url])
        assert shown.exit_code == 0, shown.output
        assert f"import     {centre.controller.config.campaigns[CAMPAIGN].leads}: importing, {BATCH} of {ROWS} " \
               f"rows read, {BATCH} leads added" in shown.output.splitlines()
        assert batches == [BATCH] and len(store.leads(CAMPAIGN)) == BATCH
        joining = gevent.spawn(controller.campaign_load, CAMPAIGN)  # a second load waits for the same import
        gevent.sleep(0.05)
        assert not loading.ready() and not joining.ready()

        read_may_go_on.release()
        assert loading.get(timeout=10).added == ROWS
        assert joining.get(timeout=10) == loading.get()
        assert len(store.leads(CAMPAIGN)) == ROWS
        assert len(reads_done) == 2 * (ROWS // BATCH + 1)  # two passes, each to the end of the file, once
    finally:
        server.stop()


def test_an_unchanged_file_is_not_read_again_and_a_touched_one_is_read_but_not_imported(
    centre: ContactCentre, leads_file: Path, reads: list[str], batches: list[int],
) -> None:
    controller = centre.controller
    first = controller.campaign_load(CAMPAIGN)
    assert (first.added, first.unchanged_since, reads) == (ROWS, None, [str(leads_file)] * 2)  # checked, imported
    progress = controller.campaign_status(CAMPAIGN).lead_import
    assert progress is not None
    imported_at = progress.finished_at

    again = controller.campaign_load(CAMPAIGN)
    assert again == replace(first, added=0, unchanged_since=again.unchanged_since)
    assert again.unchanged_since == imported_at
    assert len(reads) == 2  # not opened

    stat = leads_file.stat()
    os.utime(leads_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # same bytes, newer time
    touched = controller.campaign_load(CAMPAIGN)
    assert (touched.added, touched.unchanged_since) == (0, imported_at)
    assert len(reads) == 3  # checked (and hashed), not imported
    assert controller.campaign_load(CAMPAIGN).unchanged_since == imported_at and len(reads) == 3

    write_leads(leads_file, range(ROWS + 1))
    grown = controller.campaign_load(CAMPAIGN)
    assert (grown.added, grown.total, grown.unchanged_since) == (1, ROWS + 1, None)
    assert len(reads) == 5
    assert sum(batches) == ROWS + (ROWS + 1)  # a changed file is imported whole again: the store adds what is new


def test_a_file_with_bad_lines_imports_nothing_and_says_which(centre: ContactCentre, leads_file: Path,
                                                              store: Store) -> None:
    write_leads(leads_file, range(ROWS), "not a number,Bad,Leeds", ",No number,Leeds")

    with pytest.raises(DataFileError) as caught:
        centre.controller.campaign_load(CAMPAIGN)

    bad_phone = "bad phone number 'not a number' (3-15 digits, optionally after '+'; spaces, dashes, dots and " \
                "brackets are ignored)"
    assert str(caught.value).splitlines() == [f"{leads_file}: line {ROWS + 2}: {bad_phone}",
                                              f"{leads_file}: line {ROWS + 3}: no phone number"]
    assert store.leads(CAMPAIGN) == []
    progress = centre.controller.campaign_status(CAMPAIGN).lead_import
    assert progress is not None and progress.state is ImportState.FAILED and progress.added == 0
    assert progress.error == str(caught.value)

    write_leads(leads_file, range(ROWS))  # mended: imported in full
    assert centre.controller.campaign_load(CAMPAIGN).added == ROWS


def test_the_cli_loads_over_http_and_says_when_the_file_is_unchanged(centre: ContactCentre, leads_file: Path
                                                                      ) -> None:
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller)
    url = f"http://127.0.0.1:{server.server_port}"

    def load() -> str:
        result = CliRunner().invoke(main, ["campaign", "load", CAMPAIGN, "--url", url])
        assert result.exit_code == 0, result.output
        return result.output

    try:
        assert load() == f"{CAMPAIGN}: {ROWS} leads added ({ROWS} in all, 1 on a do-not-call list)\n"
        again = load()
        assert again.startswith(f"{CAMPAIGN}: 0 leads added ({ROWS} in all, 1 on a do-not-call list); the file is "
                                "unchanged since its import at ")
        write_leads(leads_file, range(ROWS), "not a number,Bad,Leeds")
        status, refused = call(f"{url}/api/campaigns/{CAMPAIGN}/load", "POST", {})
        assert (status, refused["error"]) == (422, "data_file_invalid")
        assert refused["message"] == f"{leads_file}: line {ROWS + 2}: bad phone number 'not a number' (3-15 " \
                                     "digits, optionally after '+'; spaces, dashes, dots and brackets are ignored)"
    finally:
        server.stop()
