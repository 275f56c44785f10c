"""campaigns.yaml: the shipped campaigns load; every mistake gives one exact ``file: key.path: problem``."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ccswitch.campaign_files import check_config, load_config
from ccswitch.config import Blast, ConfigErrors, Disposition, HourRange, RetryDelays
from ccswitch.dialer import on_list, read_leads

from .conftest import REPO, Tree

CAMPAIGNS = "config/campaigns.yaml"
PROMO = """\
promo:
  mode: predictive
  queue: sales
  gateway: trunk
  caller_id_number: "88005550556"
  window: {days: mon-fri, hours: "09:00-21:00"}
  abandon_message: campaigns/abandoned
  dispositions: {sale: {}}
"""
PREVIEW = PROMO.replace("mode: predictive", "mode: preview").replace("  abandon_message: campaigns/abandoned\n", "")


def problems(tree: Tree) -> list[str]:
    return [str(error) for error in check_config(tree.config_file, env={})]


def promo_with(tree: Tree, line: str) -> list[str]:
    """The problems of the minimal campaign above with ``line`` (``key: value``) replacing or added to its keys."""
    key = line.partition(":")[0]
    kept = [each for each in PROMO.splitlines() if not each.startswith(f"  {key}:")]
    tree.write(CAMPAIGNS, "\n".join([*kept, f"  {line}", ""]))
    return problems(tree)


def test_shipped_campaigns_load() -> None:
    config = load_config(REPO / "config" / "ccswitch.yaml", env={})

    promo, renewals = config.campaigns["promo-nov"], config.campaigns["renewals"]
    assert (promo.mode, promo.queue, promo.gateway) == ("predictive", "sales", "trunk")
    assert (promo.caller_id_number, promo.caller_id_name) == ("88005550556", "Example Shop")
    assert promo.timezone == ZoneInfo("Europe/Moscow")  # ccswitch.yaml's
    assert (promo.days, promo.hours) == (frozenset(range(5)), (HourRange(9 * 60, 21 * 60),))
    assert promo.retry == RetryDelays(no_answer=7200, busy=900, machine=86400, failed=1800)
    assert (promo.max_attempts, promo.abandon_limit, promo.abandon_window_s) == (4, 0.03, 86400)
    assert (promo.min_ring_s, promo.max_lines_per_agent) == (20, 3)
    assert (promo.machine_message, promo.abandon_message) == ("campaigns/machine", "campaigns/abandoned")
    assert promo.dispositions["callback"] == Disposition("callback", retry_after_s=86400)
    assert promo.dispositions["do_not_call"] == Disposition("do_not_call", do_not_call=True)
    assert promo.leads == REPO / "config" / "campaigns" / "promo-nov.csv"
    assert promo.do_not_call == frozenset({"447700900007"})  # the global list

    assert (renewals.mode, renewals.queue, renewals.max_lines_per_agent) == ("progressive", "support", 1)
    assert renewals.caller_id_name == "88005550556"  # the number when no name is given
    assert renewals.timezone == ZoneInfo("Asia/Vladivostok")
    assert renewals.days == frozenset(range(6))
    assert renewals.hours == (HourRange(600, 780), HourRange(840, 1200))
    assert renewals.retry.machine is None
    assert renewals.dispositions["renewed"] == Disposition("renewed")
    assert (renewals.min_ring_s, renewals.abandon_limit, renewals.leads) == (15, 0.03, None)


def test_given_no_campaigns_file_then_no_campaigns(tree: Tree) -> None:
    (tree.root / CAMPAIGNS).unlink()

    assert problems(tree) == []
    assert dict(load_config(tree.config_file, env={}).campaigns) == {}


def test_campaigns_file_is_found_through_paths(tree: Tree) -> None:
    (tree.root / CAMPAIGNS).rename(tree.root / "config" / "outbound.yaml")
    tree.edit("config/ccswitch.yaml", "campaigns: campaigns.yaml", "campaigns: outbound.yaml")

    assert sorted(load_config(tree.config_file, env={}).campaigns) == ["promo-nov", "renewals"]


def test_minimal_campaign_takes_the_defaults(tree: Tree) -> None:
    tree.write(CAMPAIGNS, PROMO)
    promo = load_config(tree.config_file, env={}).campaigns["promo"]

    assert promo.retry == RetryDelays(no_answer=7200, busy=900, machine=14400, failed=1800)
    assert (promo.max_attempts, promo.abandon_limit, promo.abandon_window_s, promo.min_ring_s) == (3, 0.03, 86400, 15)
    assert promo.ring_timeout_s == 30
    assert (promo.max_lines_per_agent, promo.machine_message, promo.blast) == (3, None, None)
    assert promo.dispositions["sale"] == Disposition("sale")


def test_missing_required_keys(tree: Tree) -> None:
    tree.write(CAMPAIGNS, "promo: {}\n")

    assert problems(tree) == [
        "config/campaigns.yaml: promo.mode: missing (preview, progressive, predictive, blast)",
        "config/campaigns.yaml: promo.queue: missing",
        "config/campaigns.yaml: promo.caller_id_number: missing",
        "config/campaigns.yaml: promo.window: missing: when leads may be called, e.g. "
        '{days: mon-fri, hours: "09:00-21:00"}',
        "config/campaigns.yaml: promo.abandon_message: missing: the prompt a person hears when no agent is free "
        "within 2 s",
        "config/campaigns.yaml: promo.gateway: missing",
        "config/campaigns.yaml: promo.dispositions: missing: what agents may set after a call, e.g. "
        "{sale: {final: true}}",
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("max_atempts: 3", "promo.max_atempts: unknown key, did you mean 'max_attempts'? (known: abandon_limit, "
         "abandon_message, abandon_window, blast, caller_id_name, caller_id_number, dispositions, do_not_call, "
         "gateway, keep_agents, leads, machine, max_attempts, max_lines_per_agent, min_ring_s, mode, "
         "preview_dial_after_s, queue, recording, retry, ring_timeout_s, timezone, window)"),
        ("mode: robocall", "promo.mode: 'robocall' is not one of: preview, progressive, predictive, blast"),
        ("queue: salse", "promo.queue: unknown queue 'salse' (known: operator, sales, support)"),
        ('gateway: "my gw"', "promo.gateway: gateway 'my gw' can't go into a FreeSWITCH command (allowed: 1-64 "
         "letters, digits and _ . -, not starting with '.' or '-')"),
        ('caller_id_number: "8800 CALL ME"', "promo.caller_id_number: bad phone number '8800 CALL ME' (3-15 digits, "
         "optionally after '+'; spaces, dashes, dots and brackets are ignored)"),
        ('caller_id_name: "Shop ${x}"', "promo.caller_id_name: unsafe value 'Shop ${x}' (allowed: letters, digits, "
         "single spaces and .-_+@, at most 48 characters)"),
        ("timezone: Mars/Olympus",
         "promo.timezone: unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Moscow)"),
        ("window: {days: mon-fry, hours: 09:00-21:00}",
         "promo.window.days: bad day 'mon-fry' (use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri)"),
        ('window: {days: mon-fri, hours: "21:00-09:00"}', "promo.window.hours: bad hours '21:00-09:00' (start must "
         "be before end; split overnight ranges at 24:00)"),
        ("window: {days: mon-fri}",
         "promo.window.hours: missing: the calling hours in the lead's time, e.g. \"09:00-21:00\""),
        ("max_attempts: 0", "promo.max_attempts: 0 is out of range 1..100"),
        ("retry: {busy: 10s}", "promo.retry.busy: 10s is out of range 1m..365d"),
        ("retry: {machine: 1y}",
         "promo.retry.machine: bad duration '1y' (seconds, or a number and s, m, h or d: 90, 10m, 2h, 30d)"),
        ("retry: {abandoned: 1h}", "promo.retry.abandoned: unknown key (known: busy, failed, machine, no_answer)"),
        ("abandon_limit: 3", "promo.abandon_limit: expected a share from 0 to below 1, such as 0.03 for 3%, got 3"),
        ("abandon_window: 100d", "promo.abandon_window: 100d is out of range 1h..90d"),
        ("min_ring_s: 10", "promo.min_ring_s: 10 is below 15: an unanswered line rings at least 15 s (Ofcom)"),
        ("ring_timeout_s: 14", "promo.ring_timeout_s: 14 is below min_ring_s (15): a line rings at least that long"),
        ("max_lines_per_agent: 0", "promo.max_lines_per_agent: 0 is out of range 1..20"),
        ("machine: voicemail", "promo.machine: expected hangup or {message: <prompt>}, got 'voicemail'"),
        ("machine: {message: campaigns/nope}",
         "promo.machine.message: missing prompt file sounds/campaigns/nope.wav"),
        ("blast: {prompt: campaigns/abandoned}", "promo.blast: only used with mode: blast"),
        ("leads: campaigns/nope.csv", "promo.leads: file not found: config/campaigns/nope.csv"),
        ("do_not_call: nope.txt", "promo.do_not_call: file not found: config/nope.txt"),
    ],
)
def test_campaign_mistake(tree: Tree, line: str, problem: str) -> None:
    assert promo_with(tree, line) == [f"{CAMPAIGNS}: {problem}"]


@pytest.mark.parametrize(
    ("disposition", "problem"),
    [
        ("{final: true, retry_after: 1d}",
         "retry_after: a final disposition is not retried (drop final: true or retry_after)"),
        ("{final: false}", "final: final: false needs retry_after, when to call again"),
        ("{do_not_call: true, retry_after: 1h}",
         "do_not_call: a do-not-call disposition is final: it takes no retry_after"),
        ("{retry_after: 30s}", "retry_after: 30s is out of range 1m..365d"),
        ("{final: yes please}", "final: expected true or false, got 'yes please'"),
    ],
)
def test_disposition_mistake(tree: Tree, disposition: str, problem: str) -> None:
    tree.write(CAMPAIGNS, PROMO.replace("dispositions: {sale: {}}", f"dispositions: {{sale: {disposition}}}"))

    assert problems(tree) == [f"{CAMPAIGNS}: promo.dispositions.sale.{problem}"]


def test_abandon_message_is_required_unless_blast(tree: Tree) -> None:
    tree.write(CAMPAIGNS, PROMO.replace("  abandon_message: campaigns/abandoned\n", ""))

    assert problems(tree) == [
        f"{CAMPAIGNS}: promo.abandon_message: missing: the prompt a person hears when no agent is free within 2 s"
    ]


def test_progressive_dials_one_line_per_agent(tree: Tree) -> None:
    text = PROMO.replace("mode: predictive", "mode: progressive")
    tree.write(CAMPAIGNS, text)
    assert load_config(tree.config_file, env={}).campaigns["promo"].max_lines_per_agent == 1

    tree.write(CAMPAIGNS, text + "  max_lines_per_agent: 2\n")
    assert problems(tree) == [f"{CAMPAIGNS}: promo.max_lines_per_agent: only used with mode: predictive or blast"]


@pytest.mark.parametrize("mode", ["predictive", "progressive"])
def test_predictive_and_progressive_campaigns_keep_agents_for_their_lines_unless_told_not_to(tree: Tree,
                                                                                              mode: str) -> None:
    text = PROMO.replace("mode: predictive", f"mode: {mode}")
    tree.write(CAMPAIGNS, text)
    assert load_config(tree.config_file, env={}).campaigns["promo"].keep_agents is True
    tree.write(CAMPAIGNS, text + "  keep_agents: false\n")
    assert load_config(tree.config_file, env={}).campaigns["promo"].keep_agents is False
    tree.write(CAMPAIGNS, text + "  keep_agents: sometimes\n")
    assert problems(tree) == [f"{CAMPAIGNS}: promo.keep_agents: expected true or false, got 'sometimes'"]


def test_a_preview_campaign_keeps_no_agents_its_agents_dial_themselves(tree: Tree) -> None:
    tree.write(CAMPAIGNS, PREVIEW)
    assert load_config(tree.config_file, env={}).campaigns["promo"].keep_agents is False
    tree.write(CAMPAIGNS, PREVIEW + "  keep_agents: true\n")
    assert problems(tree) == [f"{CAMPAIGNS}: promo.keep_agents: only used with mode: predictive or progressive"]


def test_a_preview_campaign_needs_no_abandon_message_and_may_dial_a_lead_shown_too_long(tree: Tree) -> None:
    tree.write(CAMPAIGNS, PREVIEW)
    promo = load_config(tree.config_file, env={}).campaigns["promo"]
    assert (promo.abandon_message, promo.preview_dial_after_s) == (None, None)

    tree.write(CAMPAIGNS, PREVIEW + "  preview_dial_after_s: 30\n")
    assert load_config(tree.config_file, env={}).campaigns["promo"].preview_dial_after_s == 30

    tree.write(CAMPAIGNS, PROMO + "  preview_dial_after_s: 30\n")
    assert problems(tree) == [f"{CAMPAIGNS}: promo.preview_dial_after_s: only used with mode: preview"]


def test_blast_plays_a_prompt_then_enters_a_menu(tree: Tree) -> None:
    blast = PROMO.replace("mode: predictive", "mode: blast").replace("  abandon_message: campaigns/abandoned\n", "")
    tree.write(CAMPAIGNS, blast + "  blast: {prompt: campaigns/machine, ivr: main}\n")
    promo = load_config(tree.config_file, env={}).campaigns["promo"]
    assert (promo.blast, promo.abandon_message) == (Blast("campaigns/machine", "main"), None)

    tree.write(CAMPAIGNS, blast)
    assert problems(tree) == [f"{CAMPAIGNS}: promo.blast: missing: a prompt to play, an ivr menu to enter, or both"]

    tree.write(CAMPAIGNS, blast + "  blast: {ivr: mane}\n")
    assert problems(tree) == [f"{CAMPAIGNS}: promo.blast.ivr: unknown menu 'mane' (known: main)"]


def test_campaign_and_global_do_not_call_lists_are_merged(tree: Tree) -> None:
    tree.write("config/campaigns/promo-optouts.txt", "+7 916 123-45-67\n")
    tree.write(CAMPAIGNS, PROMO + "  do_not_call: campaigns/promo-optouts.txt\n")

    promo = load_config(tree.config_file, env={}).campaigns["promo"]

    assert promo.do_not_call == frozenset({"447700900007", "79161234567"})


def test_without_a_global_list_a_campaign_has_only_its_own(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", "do_not_call: campaigns/do_not_call.txt", "")
    tree.write(CAMPAIGNS, PROMO)

    assert load_config(tree.config_file, env={}).campaigns["promo"].do_not_call == frozenset()


def test_missing_global_do_not_call_file(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", "do_not_call: campaigns/do_not_call.txt", "do_not_call: dnc.txt")

    assert problems(tree) == ["config/ccswitch.yaml: paths.do_not_call: file not found: config/dnc.txt"]


def test_bad_lines_of_leads_and_do_not_call_files_are_reported_with_their_line_numbers(tree: Tree) -> None:
    tree.write("config/campaigns/promo-nov.csv", "phone,name\n+44 7700 900001,Alice\nabc,Bob\n,Carol\n")
    tree.write("config/campaigns/do_not_call.txt", "# opted out\n+44 7700 900007\n12ab  # typo\n")

    assert problems(tree) == [
        "config/campaigns/do_not_call.txt: line 3: bad phone number '12ab' (3-15 digits, optionally after '+'; "
        "spaces, dashes, dots and brackets are ignored)",
        "config/campaigns/promo-nov.csv: line 3: bad phone number 'abc' (3-15 digits, optionally after '+'; "
        "spaces, dashes, dots and brackets are ignored)",
        "config/campaigns/promo-nov.csv: line 4: no phone number",
    ]


def test_the_loader_reads_a_leads_files_header_only_and_the_check_every_row(tree: Tree) -> None:
    # The controller loads the configuration at start-up and on every reload: a file of a million rows must not be
    # parsed there (the import streams it, and checks it whole first).
    tree.write("config/campaigns/promo-nov.csv", "phone,name\n+447700900001,A\n+447700900002,B\n+447700900003,C\n"
                                                 "not a number,D\n")

    assert load_config(tree.config_file, env={}).campaigns["promo-nov"].leads == \
        tree.root / "config" / "campaigns" / "promo-nov.csv"
    bad_row = ("config/campaigns/promo-nov.csv: line 5: bad phone number 'not a number' (3-15 digits, optionally "
               "after '+'; spaces, dashes, dots and brackets are ignored)")
    assert problems(tree) == [bad_row]
    with pytest.raises(ConfigErrors, match="line 5: bad phone number"):
        load_config(tree.config_file, env={}, lead_rows=True)


def test_a_leads_files_header_is_checked_by_the_loader_and_reported_once(tree: Tree) -> None:
    tree.write("config/campaigns/promo-nov.csv", "number,name\n+447700900001,A\nnot a number,D\n")
    header = "config/campaigns/promo-nov.csv: line 1: no 'phone' column (columns: number, name)"

    with pytest.raises(ConfigErrors) as caught:
        load_config(tree.config_file, env={})

    assert [str(error) for error in caught.value.errors] == [header]
    assert problems(tree) == [header]


def test_shipped_leads_file_holds_ten_numbers_one_of_them_on_the_do_not_call_list() -> None:
    config = load_config(REPO / "config" / "ccswitch.yaml", env={})
    promo = config.campaigns["promo-nov"]
    assert isinstance(promo.leads, Path)

    leads = read_leads("promo-nov", promo.leads).leads

    assert len(leads) == 10
    assert [lead.phone for lead in leads if on_list(promo.do_not_call, lead.phone)] == ["+447700900007"]
