"""The lead queue gives what ``next_leads`` over all the campaign's leads gives: compared over seeded random
campaigns, leads, changes, clocks, calling windows and reloads (a fill in steps under way: what it gives is right,
if not yet all); then through ``CampaignState.keep`` (dials, outcomes, a disposition, imports, a reload, a read from
the store, another controller's write), what a pick reads, and a fill in steps: as a fresh queue when done, with the
changes made during it, started again by a newer reload."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ccswitch.config.model import CampaignConfig, HourRange
from ccswitch.dialer import campaign_state, lead_queue
from ccswitch.dialer.campaign import ABANDONED_REDIAL_SECONDS, next_leads, on_dial, on_disposition, on_outcome
from ccswitch.dialer.campaign_state import CampaignState
from ccswitch.dialer.lead_queue import LeadQueue, needs_refill, reserves_agents
from ccswitch.dialer.leads import DialOutcome, Lead, LeadState
from ccswitch.store.memory import MemoryStore
from tests.dialer.test_campaign import CAMPAIGN

HOUR = 3600.0
MONDAY_9_UTC = datetime(2026, 11, 23, 9, tzinfo=UTC).timestamp()  # 12:00 in Moscow, the campaign's zone
ZONES = (None, "Europe/Moscow", "Europe/London", "Asia/Vladivostok", "America/New_York")


# --- the same leads as next_leads, in the same order ---


def random_window(rng: random.Random) -> tuple[frozenset[int], tuple[HourRange, ...]]:
    days = frozenset(day for day in range(7) if rng.random() < 0.7) if rng.random() < 0.8 else frozenset()
    hours: list[HourRange] = []
    for _ in range(rng.choice((0, 1, 1, 2))):
        start = rng.randrange(0, 1380)
        hours.append(HourRange(start, rng.randrange(start + 1, 1441)))
    return days, tuple(hours)


def random_campaign(rng: random.Random, phones: list[str]) -> CampaignConfig:
    days, hours = random_window(rng)
    listed = frozenset(phone.removeprefix("+") for phone in rng.sample(phones, k=min(len(phones), rng.randrange(4))))
    return replace(CAMPAIGN, mode=rng.choice(("predictive", "progressive", "preview")), days=days, hours=hours,
                   max_attempts=rng.randrange(1, 5), do_not_call=listed)


def random_lead(rng: random.Random, phone: str, position: int, now: float) -> Lead:
    """Any lead the store may hold, and some it would not (a retry without a time, a pending lead with one)."""
    state = rng.choice(list(LeadState))
    next_at = None if rng.random() < 0.4 else now + rng.uniform(-30 * HOUR, 30 * HOUR)
    abandoned_at = None if rng.random() < 0.7 else now - rng.uniform(0, 100 * HOUR)
    return Lead("promo", phone, timezone=rng.choice(ZONES), state=state, attempts=rng.randrange(5), next_at=next_at,
                abandoned_at=abandoned_at, position=position, call="leg" if state is LeadState.DIALLING else None)


class Leads:
    """A campaign's leads and their queue, changed as ``CampaignState.keep`` changes them."""

    def __init__(self, campaign: CampaignConfig, leads: list[Lead]) -> None:
        self.campaign = campaign
        self.leads = {lead.phone: lead for lead in leads}
        self.queue = LeadQueue(campaign, self.leads)

    def keep(self, lead: Lead) -> None:
        old = self.leads.get(lead.phone)
        self.leads[lead.phone] = lead
        self.queue.update(old, lead)

    def check(self, now: float, n: int, refused: frozenset[str] = frozenset()) -> list[Lead]:
        """The queue's pick, checked against ``next_leads`` over every lead; while a fill is under way, some of
        those ``next_leads`` would give after them may stand in for the first (they wait for the fill), in order."""
        allowed = [lead for lead in self.leads.values() if lead.phone not in refused]
        filling = self.queue.filling
        expected = next_leads(self.campaign, allowed, now, len(allowed) if filling else n,
                              agent_reserved=reserves_agents(self.campaign))
        picked = self.queue.pick(now, n, allow=lambda lead: lead.phone not in refused)
        if filling:
            assert len(picked) <= n
            expected = [lead for lead in expected if lead in picked]  # (its order: a subsequence, checked next)
        assert [lead.phone for lead in picked] == [lead.phone for lead in expected]
        assert all(mine is theirs for mine, theirs in zip(picked, expected, strict=True))  # the leads as they are now
        return picked


def one_run(seed: int) -> None:
    """With ``FILL_STEP`` a few leads, so that a fill runs through many changes, picks and reloads."""
    rng = random.Random(seed)
    now = MONDAY_9_UTC + rng.uniform(0, 7 * 24 * HOUR)
    count = rng.randrange(0, 40)
    phones = [f"+7916{index:07d}" if index % 5 else f"7916{index:07d}" for index in range(count)]
    positions = rng.sample(range(1000), k=count)
    rig = Leads(random_campaign(rng, phones or ["+79160000000"]),
                [random_lead(rng, phone, position, now) for phone, position in zip(phones, positions, strict=True)])
    for step in range(40):
        for _ in range(rng.randrange(3)):  # the controller runs a fill's steps between its other work
            rig.queue.fill_step()
        action = rng.random()
        if action < 0.3:  # time goes on (now and then back a little: a wall clock stepped)
            now += rng.uniform(-600, 0) if rng.random() < 0.1 else rng.expovariate(1 / (2 * HOUR))
        elif action < 0.5:  # the pacing loop dials some of what it picked
            for lead in rig.check(now, rng.randrange(1, 6)):
                if rng.random() < 0.7:
                    rig.keep(on_dial(lead, f"leg-{rng.random()}"))
        elif action < 0.65:  # a call ends
            dialling = [lead for lead in rig.leads.values() if lead.state is LeadState.DIALLING]
            if dialling:
                rig.keep(on_outcome(rig.campaign, rng.choice(dialling), rng.choice(list(DialOutcome)), now))
        elif action < 0.8 and rig.leads:  # any write: another controller's, a read from the store
            lead = rng.choice(list(rig.leads.values()))
            rig.keep(random_lead(rng, lead.phone, lead.position, now) if rng.random() < 0.8
                     else replace(lead, version=lead.version + 1))
        elif action < 0.9:  # imported while running
            phone = f"+7917{rng.randrange(10**7):07d}"
            if phone not in rig.leads:
                rig.keep(random_lead(rng, phone, 1000 + step, now))
        else:  # a reload: new lists, attempts, windows, mode
            rig.campaign = random_campaign(rng, list(rig.leads) or ["+79160000000"])
            rig.queue.reconfigure(rig.campaign)
        refused = frozenset(phone for phone in rig.leads if rng.random() < 0.1)  # previews: held or skipped
        for n in (0, 1, rng.randrange(2, 8), len(rig.leads) + 1):
            rig.check(now, n)
        rig.check(now, rng.randrange(1, 4), refused)
    while rig.queue.filling:
        rig.queue.fill_step()
    rig.check(now, len(rig.leads) + 1)


def fill_steps_of(leads: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fill's steps (a queue's, a campaign's read) take ``leads`` leads each."""
    monkeypatch.setattr(lead_queue, "FILL_STEP", leads)
    monkeypatch.setattr(campaign_state, "READ_STEP", leads)


@pytest.fixture
def small_fill_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    fill_steps_of(3, monkeypatch)


@pytest.mark.parametrize("block", range(10))
@pytest.mark.usefixtures("small_fill_steps")
def test_the_queue_picks_what_next_leads_picks_over_random_leads_changes_clocks_and_windows(block: int) -> None:
    for seed in range(block * 60, (block + 1) * 60):
        one_run(seed)


def filled_again(seed: int) -> None:
    """A queue under one campaign's settings, filled again in steps under another's: it picks as a queue filled at
    once under those over the same leads, pick after pick."""
    rng = random.Random(seed)
    now = MONDAY_9_UTC + rng.uniform(0, 7 * 24 * HOUR)
    count = rng.randrange(0, 60)
    numbers = [f"+7916{index:07d}" for index in range(count)]
    leads = {phone: random_lead(rng, phone, position, now)
             for phone, position in zip(numbers, rng.sample(range(1000), k=count), strict=True)}
    before, after = (random_campaign(rng, numbers or ["+79160000000"]) for _ in range(2))
    queue = LeadQueue(before, leads)
    queue.reconfigure(after)
    steps = 0
    while queue.filling:
        queue.fill_step()
        steps += 1
    if needs_refill(before, after):  # a step places a few leads: as many steps as that takes, then some to free
        assert steps >= max(1, math.ceil(count / lead_queue.FILL_STEP))
    else:
        assert steps == 0
    fresh = LeadQueue(after, leads)
    for _ in range(6):
        now += rng.choice((0, rng.expovariate(1 / (5 * HOUR)), ABANDONED_REDIAL_SECONDS))
        n = rng.choice((1, 3, count + 1))
        assert phones(queue.pick(now, n)) == phones(fresh.pick(now, n))


@pytest.mark.usefixtures("small_fill_steps")
def test_a_queue_filled_again_in_steps_picks_as_one_filled_at_once_over_random_leads_and_settings() -> None:
    for seed in range(300):
        filled_again(seed)


# --- through the campaign's keep ---


NOW = MONDAY_9_UTC


def promo(**changes: object) -> CampaignConfig:
    """Every day, any hour (in Moscow) unless changed."""
    base = replace(CAMPAIGN, days=frozenset(), hours=(), max_attempts=3, do_not_call=frozenset())
    return replace(base, **changes)


def campaign_with(count: int, config: CampaignConfig | None = None, store: MemoryStore | None = None
                  ) -> CampaignState:
    store = store or MemoryStore()
    store.put_leads("promo", [Lead("promo", f"+7916000{index:04d}") for index in range(count)])
    return CampaignState.read(config or promo(), store, NOW)


def phones(leads: list[Lead]) -> list[str]:
    return [lead.phone for lead in leads]


def picked(campaign: CampaignState, now: float, n: int = 100) -> list[str]:
    """The queue's pick, checked against ``next_leads`` over every lead."""
    mine = phones(campaign.queue.pick(now, n))
    expected = phones(next_leads(campaign.config, campaign.leads.values(), now, n,
                                 agent_reserved=reserves_agents(campaign.config)))
    assert mine == expected
    return mine


def dial(campaign: CampaignState, phone: str) -> Lead:
    lead = campaign.leads[phone]
    dialled = campaign.write_lead(lead, on_dial(lead, f"leg-{phone}"))
    assert dialled is not None
    return dialled


def test_a_dialled_lead_leaves_the_front_and_one_that_rang_out_comes_back_when_its_retry_is_due() -> None:
    campaign = campaign_with(3)
    assert picked(campaign, NOW, 2) == ["+79160000000", "+79160000001"]

    dial(campaign, "+79160000000")
    assert picked(campaign, NOW, 2) == ["+79160000001", "+79160000002"]

    campaign.settle(campaign.leads["+79160000000"], DialOutcome.NO_ANSWER, NOW + 30)  # retried 2 h later
    assert picked(campaign, NOW + 30) == ["+79160000001", "+79160000002"]
    assert picked(campaign, NOW + 30 + 2 * HOUR, 1) == ["+79160000000"]  # a due retry goes first


def test_a_lead_an_agent_marks_do_not_call_is_never_picked_again() -> None:
    campaign = campaign_with(2)
    dialled = dial(campaign, "+79160000000")
    campaign.settle(dialled, DialOutcome.PERSON_ANSWERED, NOW)
    answered = campaign.leads["+79160000000"]

    campaign.write_lead(answered, on_disposition(campaign.config, answered, "do_not_call", NOW))

    assert picked(campaign, NOW + 30 * 24 * HOUR) == ["+79160000001"]


def test_a_reload_that_lists_a_number_drops_it_and_one_that_takes_it_off_again_brings_it_back() -> None:
    campaign = campaign_with(3)

    campaign.reconfigure(promo(do_not_call=frozenset({"79160000001"})))
    assert picked(campaign, NOW) == ["+79160000000", "+79160000002"]

    campaign.reconfigure(promo())
    assert picked(campaign, NOW) == ["+79160000000", "+79160000001", "+79160000002"]


def test_more_attempts_after_a_reload_bring_back_retries_that_had_used_theirs_up() -> None:
    campaign = campaign_with(1, promo(max_attempts=1))
    campaign.keep(replace(campaign.leads["+79160000000"], state=LeadState.RETRY, attempts=1, next_at=NOW - 60))
    assert picked(campaign, NOW) == []

    campaign.reconfigure(promo(max_attempts=2))
    assert campaign.filling and campaign.queue.pick(NOW, 100) == []  # it waits for the fill
    fill(campaign)
    assert picked(campaign, NOW) == ["+79160000000"]


def fill(campaign: CampaignState) -> None:
    """Run the fill under way to its end, as the controller does."""
    while campaign.filling:
        campaign.fill_step()


def used_up(campaign: CampaignState, phone: str, attempts: int, next_at: float) -> None:
    campaign.keep(replace(campaign.leads[phone], state=LeadState.RETRY, attempts=attempts, next_at=next_at))


@pytest.mark.usefixtures("small_fill_steps")
def test_changes_made_during_a_fill_reach_the_queue_it_makes_and_picks_meanwhile_give_only_what_may_be_dialled(
) -> None:
    campaign = campaign_with(6, promo(max_attempts=1))
    used_up(campaign, "+79160000005", 1, NOW - 60)  # out of attempts: left out of the queue
    campaign.reconfigure(promo(max_attempts=2))
    campaign.fill_step()  # leads 0-2 placed, 3-5 not yet

    dial(campaign, "+79160000000")  # placed already
    dial(campaign, "+79160000004")  # not placed yet: as it was when the fill began
    used_up(campaign, "+79160000003", 1, NOW - 30)  # a retry the new settings allow: given during the fill too
    imported = campaign.store.put_leads("promo", [Lead("promo", "+79170000000")])
    campaign.keep(imported[0])

    during = phones(campaign.queue.pick(NOW, 100))
    assert during == ["+79160000003", "+79160000001", "+79160000002", "+79170000000"]  # 5 waits for the fill
    fill(campaign)
    assert picked(campaign, NOW) == ["+79160000005", *during]


@pytest.mark.usefixtures("small_fill_steps")
def test_a_reload_during_a_fill_starts_it_again_under_the_newest_settings() -> None:
    campaign = campaign_with(6, promo(max_attempts=1))
    used_up(campaign, "+79160000005", 1, NOW - 60)
    campaign.reconfigure(promo(max_attempts=2, do_not_call=frozenset({"79160000004"})))
    campaign.fill_step()

    campaign.reconfigure(promo(max_attempts=2))  # 4 off the list again: a fill under the first reload's lacks it

    fill(campaign)
    assert picked(campaign, NOW) == ["+79160000005", "+79160000000", "+79160000001", "+79160000002",
                                     "+79160000003", "+79160000004"]


@pytest.mark.usefixtures("small_fill_steps")
def test_a_campaign_read_in_steps_gives_the_leads_kept_so_far_and_those_changed_meanwhile_as_they_are_now() -> None:
    store = MemoryStore()
    store.put_leads("promo", [Lead("promo", f"+7916000{index:04d}") for index in range(6)])
    campaign = CampaignState.read(promo(), store, NOW, in_steps=True)
    assert campaign.filling and campaign.leads == {} and campaign.queue.pick(NOW, 100) == []
    campaign.fill_step()
    assert picked(campaign, NOW) == ["+79160000000", "+79160000001", "+79160000002"]

    dial(campaign, "+79160000001")
    stored_lead = campaign.stored_lead("+79160000004")  # read again (e.g. a disposition): kept before its turn
    campaign.write_lead(stored_lead, on_dial(stored_lead, "leg"))
    campaign.keep(store.put_leads("promo", [Lead("promo", "+79170000000")])[0])
    fill(campaign)

    assert picked(campaign, NOW) == ["+79160000000", "+79160000002", "+79160000003", "+79160000005",
                                     "+79170000000"]
    assert campaign.by_state == Counter({LeadState.PENDING: 5, LeadState.DIALLING: 2})


def test_leads_imported_while_running_follow_in_import_order() -> None:
    store = MemoryStore()
    campaign = campaign_with(2, store=store)
    dial(campaign, "+79160000000")

    for lead in store.put_leads("promo", [Lead("promo", "+79170000000"), Lead("promo", "+79160000001")]):
        campaign.keep(lead)  # as ``Dialer.add_leads``: the second is known already, not added

    assert picked(campaign, NOW) == ["+79160000001", "+79170000000"]


def test_a_campaign_read_again_from_the_store_picks_as_the_one_that_wrote_it() -> None:
    store = MemoryStore()
    campaign = campaign_with(4, store=store)
    dial(campaign, "+79160000000")
    dialled = dial(campaign, "+79160000001")
    campaign.settle(dialled, DialOutcome.BUSY, NOW)  # retried 15 min later
    campaign.settle(campaign.leads["+79160000000"], DialOutcome.ABANDONED, NOW)  # held 72 h

    again = CampaignState.read(campaign.config, store, NOW + HOUR)

    for now in (NOW + HOUR, NOW + ABANDONED_REDIAL_SECONDS):
        assert picked(again, now) == picked(campaign, now)
    assert picked(again, NOW + HOUR) == ["+79160000001", "+79160000002", "+79160000003"]
    assert picked(again, NOW + ABANDONED_REDIAL_SECONDS)[:2] == ["+79160000000", "+79160000001"]


def test_a_lead_another_controller_dialled_first_is_dropped_when_the_write_conflicts() -> None:
    campaign = campaign_with(2)
    lead = campaign.leads["+79160000000"]
    assert campaign.store.update_lead(lead, on_dial(lead, "their-leg")) is not None  # behind this controller's back
    assert picked(campaign, NOW, 1) == ["+79160000000"]  # (its copy is older)

    assert campaign.write_lead(lead, on_dial(lead, "my-leg")) is None

    assert picked(campaign, NOW, 1) == ["+79160000001"]


def test_a_dialling_lead_read_back_after_a_take_over_is_not_picked() -> None:
    campaign = campaign_with(2)
    lead = campaign.leads["+79160000001"]
    campaign.store.update_lead(lead, on_dial(lead, "their-leg"))

    campaign.read_what_others_changed(NOW)

    assert picked(campaign, NOW) == ["+79160000000"]


# --- a pick reads the front only ---


class CountingLeads(Mapping[str, Lead]):
    """A campaign's leads that count how many a pick reads."""

    def __init__(self, leads: list[Lead]) -> None:
        self.leads = {lead.phone: lead for lead in leads}
        self.reads = 0

    def __getitem__(self, phone: str) -> Lead:
        self.reads += 1
        return self.leads[phone]

    def __iter__(self) -> Iterator[str]:
        return iter(self.leads)

    def __len__(self) -> int:
        return len(self.leads)


def test_a_pick_reads_only_the_leads_it_gives_not_those_held_not_due_nor_of_a_closed_zone() -> None:
    moscow_hours = promo(hours=(HourRange(9 * 60, 21 * 60),))  # 09:00-21:00 in each lead's zone
    evening = NOW + 8 * HOUR  # 17:00 UTC: 20:00 in Moscow, 02:00 in Vladivostok
    leads = [Lead("promo", f"+7423{index:07d}", timezone="Asia/Vladivostok", position=index) for index in range(500)]
    leads += [Lead("promo", f"+7916{index:07d}", state=LeadState.RETRY, attempts=1, next_at=evening - 60,
                   abandoned_at=evening - HOUR, position=500 + index) for index in range(500)]  # 72 h rule
    leads += [Lead("promo", f"+7812{index:07d}", state=LeadState.RETRY, attempts=1, next_at=evening + HOUR,
                   position=1000 + index) for index in range(500)]  # not due yet
    leads += [Lead("promo", f"+7495{index:07d}", position=2000 + index) for index in range(500)]
    counting = CountingLeads(leads)
    queue = LeadQueue(moscow_hours, counting)

    for minute in range(5):  # a tick a minute
        counting.reads = 0
        assert phones(queue.pick(evening + 60 * minute, 3)) == ["+74950000000", "+74950000001", "+74950000002"]
        assert counting.reads == 3


def test_a_lead_held_again_after_it_was_due_is_given_once_when_the_hold_ends() -> None:
    retry = Lead("promo", "+79260000001", state=LeadState.RETRY, attempts=1, next_at=NOW - 60, position=1)
    rig = Leads(promo(), [retry, Lead("promo", "+79260000002", position=2)])
    assert [lead.phone for lead in rig.check(NOW, 1)] == ["+79260000001"]  # due: in its zone's heap

    rig.keep(replace(retry, abandoned_at=NOW, version=2))  # same next_at, now held 72 h (two entries of it there)
    assert [lead.phone for lead in rig.check(NOW, 5)] == ["+79260000002"]

    assert [lead.phone for lead in rig.check(NOW + ABANDONED_REDIAL_SECONDS, 5)] == ["+79260000001", "+79260000002"]
