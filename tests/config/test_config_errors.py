"""Each kind of mistake a telecom engineer can make gives one exact ``file: key.path: problem`` message."""

from __future__ import annotations

import pytest

from ccswitch.config import ConfigErrors, check_config, load_config
from ccswitch.errors import ConfigError

from .conftest import Tree


def problems(tree: Tree, env: dict[str, str] | None = None) -> list[str]:
    return [str(error) for error in check_config(tree.config_file, env={} if env is None else env)]


def test_copy_of_shipped_config_is_clean(tree: Tree) -> None:
    assert problems(tree) == []


def test_unknown_queue_lists_the_known_ones(tree: Tree) -> None:
    tree.edit("ivr/main.yaml", '"2": {queue: support}', '"2": {queue: supprt}')

    assert problems(tree) == [
        "ivr/main.yaml: main.options.2.queue: unknown queue 'supprt' (known: operator, sales, support)"
    ]


def test_unknown_queue_in_a_dialplan_rule(tree: Tree) -> None:
    tree.edit("dialplans/main.yaml", "then: {ivr: main}", "then: {queue: supprt, priority: 5}")

    assert problems(tree) == [
        "dialplans/main.yaml: rules[1].then.queue: unknown queue 'supprt' (known: operator, sales, support)"
    ]


def test_unknown_key_suggests_the_likely_one(tree: Tree) -> None:
    tree.edit("config/queues.yaml", "max_wait_s: 120", "max_wiat_s: 120")

    (problem,) = problems(tree)
    hint, known = problem.split(" (known: ")
    assert hint == "config/queues.yaml: support.max_wiat_s: unknown key, did you mean 'max_wait_s'?"
    names = known.removesuffix(")").split(", ")
    assert names == sorted(names) and {"max_wait_s", "overflow", "wrap_up_s"} <= set(names)


def test_bad_regular_expression(tree: Tree) -> None:
    tree.edit("dialplans/main.yaml", 'did: "88005550556"', "did_pattern: '^(8800'")

    assert problems(tree) == [
        "dialplans/main.yaml: rules[0].did_pattern: bad regular expression '^(8800': "
        "missing ), unterminated subpattern at position 1"
    ]


@pytest.mark.parametrize(
    ("hours", "problem"),
    [
        ("9:00-18:00", "bad hours '9:00-18:00' (expected HH:MM-HH:MM, e.g. 09:00-18:00)"),
        ("09:00-25:00", "bad hours '09:00-25:00' (not a time of day)"),
        (
            "22:00-06:00",
            "bad hours '22:00-06:00' (start must be before end; split overnight ranges at 24:00)",
        ),
    ],
)
def test_bad_hours(tree: Tree, hours: str, problem: str) -> None:
    tree.edit("dialplans/main.yaml", '"09:00-18:00"', f'"{hours}"')

    assert problems(tree) == [f"dialplans/main.yaml: rules[1].hours: {problem}"]


def test_bad_day_and_date(tree: Tree) -> None:
    tree.edit("dialplans/main.yaml", "days: [mon-fri]", "days: [mon-fry]")
    tree.edit("dialplans/main.yaml", '"02-23"', '"02-30"')

    assert problems(tree) == [
        "dialplans/main.yaml: rules[0].dates: invalid date '02-30' (February has 29 days)",
        "dialplans/main.yaml: rules[1].days: bad day 'mon-fry' "
        "(use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri)",
    ]


@pytest.mark.parametrize(
    ("date", "problem"),
    [
        ('"2-23"', "bad date '2-23' (expected YYYY-MM-DD or MM-DD)"),
        ('"23.02"', "bad date '23.02' (expected YYYY-MM-DD or MM-DD)"),
        ('"13-01"', "invalid date '13-01' (there is no month 13)"),
        ('"04-31"', "invalid date '04-31' (April has 30 days)"),
        ('"2027-02-29"', "invalid date '2027-02-29' (February has 28 days in 2027)"),
        ("2026-02-30", "invalid date '2026-02-30' (February has 28 days in 2026)"),  # unquoted: a YAML timestamp
    ],
)
def test_a_wrong_format_and_a_day_not_in_the_calendar_are_told_apart(tree: Tree, date: str, problem: str) -> None:
    tree.edit("dialplans/main.yaml", '"02-23"', date)

    assert problems(tree) == [f"dialplans/main.yaml: rules[0].dates: {problem}"]


def test_leap_days_are_dates(tree: Tree) -> None:
    tree.edit("dialplans/main.yaml", '"02-23"', '"02-29", 2028-02-29')

    assert problems(tree) == []


def test_missing_prompt_file(tree: Tree) -> None:
    (tree.root / "sounds" / "info" / "opening_hours.wav").unlink()

    assert problems(tree) == [
        "ivr/main.yaml: main.options.3.say: missing prompt file sounds/info/opening_hours.wav"
    ]


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        (
            "ivr/main.yaml",
            '"0": {queue: operator, priority: 5}',
            '"0": {transfer: "1000 XML default"}',
            "ivr/main.yaml: main.options.0.transfer: unsafe value '1000 XML default' "
            "(allowed: letters, digits and _ . + * # @ -)",
        ),
        (
            "config/ccswitch.yaml",
            "music: local_stream://moh",
            "music: local_stream://${x}",
            "config/ccswitch.yaml: media.music: unsafe value 'local_stream://${x}' "
            "(allowed: letters, digits and _ . : / @ + -)",
        ),
        (
            "config/ccswitch.yaml",
            "switch_sounds_dir: null",
            "switch_sounds_dir: '/usr/share/my sounds'",
            "config/ccswitch.yaml: media.switch_sounds_dir: unsafe value '/usr/share/my sounds' "
            "(allowed: an absolute path of letters, digits and _ . / -)",
        ),
        (
            "ivr/main.yaml",
            "prompt: ivr/main_menu",
            "prompt: ../../etc/passwd",
            "ivr/main.yaml: main.prompt: unsafe value '../../etc/passwd' "
            "(allowed: a path under the sounds directory without '.wav': letters, digits, '_', '-' and '/')",
        ),
        (
            "config/queues.yaml",
            "sales:",
            "sales team:",
            "config/queues.yaml: sales team: bad name: unsafe value 'sales team' "
            "(allowed: letters, digits, '_' and '-')",
        ),
    ],
)
def test_unsafe_values_are_refused(tree: Tree, file: str, old: str, new: str, problem: str) -> None:
    tree.edit(file, old, new)

    assert problem in problems(tree)


def test_yaml_syntax_error_names_the_line(tree: Tree) -> None:
    tree.edit("config/queues.yaml", "  max_wait_s: 120", "  max_wait_s: [120")
    line = next(n for n, text in enumerate((tree.root / "config/queues.yaml").read_text().splitlines(), 1)
                if text == "  max_wait_s: [120")

    assert problems(tree) == [
        f"config/queues.yaml: YAML syntax error at line {line + 1}, column 11: expected ',' or ']', but got ':'"
    ]


def test_duplicate_key_is_an_error_with_its_line(tree: Tree) -> None:
    tree.edit("ivr/main.yaml", '"9": repeat', '"9": repeat\n    "1": repeat')

    assert problems(tree) == ["ivr/main.yaml: YAML syntax error at line 16, column 5: duplicate key '1'"]


def test_unknown_menu_target(tree: Tree) -> None:
    tree.edit("dialplans/demo.yaml", "then: {ivr: main}", "then: {ivr: mian}")

    assert problems(tree) == ["dialplans/demo.yaml: rules[0].then.ivr: unknown menu 'mian' (known: main)"]


@pytest.mark.parametrize("contact", ["sip:1000@pbx", "user/1000 bad", "user/{x}1000", "user/1000,user/1001"])
def test_bad_endpoint(tree: Tree, contact: str) -> None:
    tree.edit("config/agents.yaml", "contact: user/1000,", f"contact: '{contact}',")

    assert problems(tree) == [
        f"config/agents.yaml: 1000.contact: bad endpoint {contact!r} "
        "(expected user/<ext>[@<domain>], sofia/<profile>/<target> or loopback/<ext>[/<context>])"
    ]


def test_other_endpoints_are_accepted(tree: Tree) -> None:
    tree.edit("config/agents.yaml", "contact: user/1000,", "contact: user/1000@pbx.example.com,")
    tree.edit("config/agents.yaml", "contact: user/1001,", "contact: sofia/gateway/carrier/79161234567,")
    tree.edit("config/agents.yaml", "contact: user/1002,", "contact: loopback/1002/default,")

    assert problems(tree) == []


def test_unknown_hangup_cause_and_self_overflow(tree: Tree) -> None:
    tree.edit("dialplans/main.yaml", "{hangup: UNALLOCATED_NUMBER}", "{hangup: UNALOCATED_NUMBER}")
    tree.edit("config/queues.yaml", "overflow: {queue: operator}", "overflow: {queue: sales}")

    assert problems(tree) == [
        "config/queues.yaml: sales.overflow: a queue cannot overflow to itself",
        "dialplans/main.yaml: default.hangup: unknown hangup cause 'UNALOCATED_NUMBER' "
        "(FreeSWITCH names: NORMAL_CLEARING, USER_BUSY, ...)",
    ]


def test_star_and_hash_cannot_both_be_options(tree: Tree) -> None:
    tree.edit("ivr/main.yaml", '"9": repeat', '"*": repeat\n    "#": {queue: sales}')

    assert problems(tree) == [
        "ivr/main.yaml: main.options: use '*' or '#' as an option, not both: the other one ends input"
    ]


def test_a_step_needs_exactly_one_target(tree: Tree) -> None:
    tree.edit("dialplans/main.yaml", "then: {ivr: main}", "then: {ivr: main, queue: sales}")

    assert problems(tree) == [
        "dialplans/main.yaml: rules[1].then: expected exactly one of: announce, callback, hangup, ivr, queue, "
        "transfer, voicemail"
    ]


def test_out_of_range_and_wrong_type(tree: Tree) -> None:
    tree.edit("config/queues.yaml", "ring_timeout_s: 20", "ring_timeout_s: 0")
    tree.edit("ivr/main.yaml", "timeout_s: 5", "timeout_s: five")

    assert problems(tree) == [
        "config/queues.yaml: operator.ring_timeout_s: 0 is out of range 1..300",
        "ivr/main.yaml: main.timeout_s: expected an integer, got string 'five'",
    ]


def test_all_problems_are_collected_at_once(tree: Tree) -> None:
    tree.edit("ivr/main.yaml", '"2": {queue: support}', '"2": {queue: supprt}')
    tree.edit("config/queues.yaml", "max_wait_s: 120", "max_wiat_s: 120")
    tree.edit("config/agents.yaml", "contact: user/1005,", "contact: 'sip:1005',")
    tree.edit("config/ccswitch.yaml", "timezone: Europe/Moscow", "timezone: Europe/Moskva")

    found = problems(tree)

    assert [p.split(":")[0] for p in found] == [
        "config/ccswitch.yaml",
        "config/queues.yaml",
        "config/agents.yaml",
        "ivr/main.yaml",
    ]
    with pytest.raises(ConfigErrors) as raised:
        load_config(tree.config_file, env={})
    assert isinstance(raised.value, ConfigError)
    assert [str(e) for e in raised.value.errors] == found
    assert str(raised.value) == "\n".join(found)
    assert (raised.value.file, raised.value.key_path) == ("config/ccswitch.yaml", "timezone")


def test_leading_zero_numbers_stay_text(tree: Tree) -> None:
    tree.edit("dialplans/demo.yaml", 'did: "88005550556"', "did: [088005550556, 88005550557]")

    config = load_config(tree.config_file, env={"CCSWITCH_DIALPLAN": "demo"})

    assert config.dialplan.rules[0].dids == frozenset({"088005550556", "88005550557"})


def test_missing_file_is_reported(tree: Tree) -> None:
    (tree.root / "config" / "agents.yaml").unlink()

    assert problems(tree) == ["config/agents.yaml: cannot read file: No such file or directory"]


def test_environment_overrides_the_first_node_and_the_store(tree: Tree) -> None:
    env = {
        "CCSWITCH_ESL_HOST": "fs.example.net",
        "CCSWITCH_ESL_PORT": "18021",
        "CCSWITCH_ESL_PASSWORD": "s3cret",
        "CCSWITCH_REDIS_URL": "redis://cache:6379/2",
    }

    config = load_config(tree.config_file, env=env)

    node = config.nodes[0]
    assert (node.name, node.host, node.port, node.password) == ("fs1", "fs.example.net", 18021, "s3cret")
    assert (config.store.backend, config.store.url) == ("redis", "redis://cache:6379/2")


SENTINEL_URL = "redis+sentinel://:s3cret@s1:26379,s2:26379/ccs/1"


def test_a_sentinel_url_selects_redis_behind_sentinel_from_the_file_or_the_environment(tree: Tree) -> None:
    from_env = load_config(tree.config_file, env={"CCSWITCH_REDIS_URL": SENTINEL_URL})
    tree.edit("config/ccswitch.yaml", "url: redis://127.0.0.1:6379/0", f'url: "{SENTINEL_URL}"')
    tree.edit("config/ccswitch.yaml", "backend: memory", "backend: redis")
    from_file = load_config(tree.config_file, env={})

    assert (from_env.store.backend, from_env.store.url) == (from_file.store.backend, from_file.store.url) == (
        "redis", SENTINEL_URL)


def test_a_broken_sentinel_url_is_reported_without_its_password(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", "url: redis://127.0.0.1:6379/0", 'url: "redis+sentinel://:s3cret@s1:99999/ccs"')

    assert problems(tree) == [
        "config/ccswitch.yaml: store.url: a redis+sentinel:// URL: a sentinel's port must be a number 1..65535"]


def test_leases_need_the_redis_store(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", "  backend: memory", "  backend: memory\n  lease_s: 3")

    assert problems(tree) == [
        "config/ccswitch.yaml: store.lease_s: leases are kept in Redis: set backend: redis (or CCSWITCH_REDIS_URL)"]
    assert load_config(tree.config_file, env={"CCSWITCH_REDIS_URL": "redis://cache:6379/0"}).store.lease_s == 3


def test_environment_sets_the_http_listeners_address_for_a_container(tree: Tree) -> None:
    assert load_config(tree.config_file, env={}).http.host == "127.0.0.1"
    assert load_config(tree.config_file, env={"CCSWITCH_HTTP_HOST": "0.0.0.0"}).http.host == "0.0.0.0"
    assert problems(tree, {"CCSWITCH_HTTP_HOST": "0.0.0.0;x"})[0].startswith(
        "environment: CCSWITCH_HTTP_HOST: unsafe value '0.0.0.0;x'")


def test_bad_environment_values_are_reported(tree: Tree) -> None:
    env = {"CCSWITCH_ESL_PORT": "80x", "CCSWITCH_ESL_PASSWORD": "a b", "CCSWITCH_DIALPLAN": "nightly"}

    assert problems(tree, env) == [
        "environment: CCSWITCH_ESL_PORT: expected a port number 1..65535, got '80x'",
        "environment: CCSWITCH_ESL_PASSWORD: unsafe value 'a b' (allowed: printable ASCII without spaces)",
        "environment: CCSWITCH_DIALPLAN: no dialplan 'nightly' (known: demo, main)",
    ]


_SHIPPED_RECORDING = "recording: {mode: sample, sample_percent: 50, stereo: true, announce: announce/recorded}"


@pytest.mark.parametrize(
    ("recording", "problem"),
    [
        ("recording: {mode: some}", "support.recording.mode: 'some' is not one of: all, sample, none"),
        ("recording: {mode: sample, sample_percent: 150}", "support.recording.sample_percent: "),
        ("recording: {mode: all, sample_percent: 50}", "support.recording.sample_percent: only used with mode: sample"),
        ("recording: {mode: all, stereo: yes please}", "support.recording.stereo: expected true or false"),
        ("recording: {mode: all, announce: announce/nope}",
         "support.recording.announce: missing prompt file sounds/announce/nope.wav"),
        ("recording: {mode: all, format: mp3}", "support.recording.format: unknown key"),
    ],
)
def test_bad_queue_recording_policy(tree: Tree, recording: str, problem: str) -> None:
    tree.edit("config/queues.yaml", _SHIPPED_RECORDING, recording)

    (found,) = problems(tree)
    assert found.startswith(f"config/queues.yaml: {problem}"), found


_TEMPLATE = 'path_template: "%Y/%m/%d/{queue}/{uuid}.wav"'


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (_TEMPLATE, 'path_template: "%Y/{nope}.wav"', "recordings.path_template: unknown field {nope}"),
        (_TEMPLATE, 'path_template: "/abs/{uuid}.wav"',
         "recordings.path_template: '/abs/{uuid}.wav' does not make a relative file path"),
        (_TEMPLATE, 'path_template: "%Y/{uuid}"',
         "recordings.path_template: '%Y/{uuid}' does not make a relative file path with an extension"),
        ("switch_dir: null", "switch_dir: relative/dir", "recordings.switch_dir: "),
    ],
)
def test_bad_recordings_settings(tree: Tree, old: str, new: str, problem: str) -> None:
    tree.edit("config/ccswitch.yaml", old, new)

    (found,) = problems(tree)
    assert found.startswith(f"config/ccswitch.yaml: {problem}"), found


def test_recording_policy_and_places_are_read(tree: Tree) -> None:
    tree.edit("config/ccswitch.yaml", "switch_dir: null", "switch_dir: /var/lib/freeswitch/recordings/")
    config = load_config(tree.config_file, env={})
    policy = config.queues["support"].recording
    assert (policy.mode.value, policy.sample_percent, policy.stereo, policy.announce) == (
        "sample", 50, True, "announce/recorded")
    assert config.queues["sales"].recording.mode.value == "none"
    assert config.recordings.dir == tree.root / "recordings"
    assert config.recordings.switch_dir == "/var/lib/freeswitch/recordings"
    assert config.records_calls


def test_a_callback_step_needs_a_queue_with_a_callback_policy(tree: Tree) -> None:
    tree.edit("config/queues.yaml", "overflow: {queue: operator}", "overflow: {callback: operator}")

    assert problems(tree) == [
        "config/queues.yaml: sales.overflow.callback: unknown callback queue 'operator' (known: support)"
    ]
