"""The JSON Schemas in ccswitch/config/schemas against the loader, which stays the one authority.

The schemas are kept by hand and held to the loader here: every shipped YAML file names its schema and validates;
the names, patterns and enums they share with the loader are equal to the loader's own; and, while the loader reads
a configuration that uses every key, each mapping it checks for unknown keys and each whole number it checks for
range is probed in the schema too: an extra key must be refused where the loader refuses it, with the same known
keys, and a number just outside the loader's range must be refused while its ends pass.
(test_schema_cases.py runs the config tests' mistakes through the schemas.)
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import pytest
from click.testing import CliRunner

from ccswitch.acd.capacity import Channel
from ccswitch.acd.queues import STRATEGIES
from ccswitch.chat.defaults import BUILT_IN, TEXT_FIELDS
from ccswitch.chat.patterns import MAX_PATTERN_CHARS
from ccswitch.cli import main
from ccswitch.config import _fields as f
from ccswitch.config import check_config, load_config
from ccswitch.config._capacity import WRAP_UP_SUFFIX
from ccswitch.config._chat import MAX_KEYWORDS, MAX_PATTERNS
from ccswitch.config._reader import Node, Token
from ccswitch.config.model import DialMode, LoginState, StoreBackend
from ccswitch.config.schemas import FOLDER, NAMES, schema_path
from ccswitch.esl import commands
from ccswitch.media.recording import TEMPLATE_FIELDS, RecordingMode

from .conftest import REPO, Tree
from .schema_support import describe, every_error, key_path, link_schemas, read, schema_errors, schema_name, validator

SHIPPED_CONFIG = REPO / "config" / "ccswitch.yaml"


def _loaded_files(config_file: Path) -> dict[Path, str]:
    """Every YAML file the loader reads for ``config_file``, with the schema that describes it."""
    paths = load_config(config_file, env={}).paths
    files = {config_file.resolve(): "ccswitch"}
    files |= {path: "dialplan" for path in sorted(paths.dialplans.glob("*.yaml"))}
    files |= {path: "ivr" for path in sorted(paths.ivr.glob("*.yaml"))}
    for name, path in (("queues", paths.queues), ("agents", paths.agents),
                       ("supervisors", paths.supervisors), ("campaigns", paths.campaigns),
                       ("users", paths.users), ("chatbots", paths.chatbots)):
        if path.exists():
            files[path] = name
    return files


SHIPPED = _loaded_files(SHIPPED_CONFIG)


def test_every_shipped_yaml_file_is_one_the_loader_reads() -> None:
    """(Other tools' files in subfolders, such as config/prometheus/*.yml, have schemas of their own.)"""
    on_disk = {path.resolve() for folder in ("config", "dialplans", "ivr") for path in (REPO / folder).glob("*.yaml")}

    assert on_disk == set(SHIPPED)
    assert set(SHIPPED.values()) == set(NAMES) - {"common"}


@pytest.mark.parametrize("path", sorted(SHIPPED), ids=lambda path: path.relative_to(REPO).as_posix())
def test_shipped_file_names_its_schema_on_the_first_line_and_validates(path: Path) -> None:
    assert schema_name(path) == SHIPPED[path]
    assert describe(schema_errors(path)) == []


def test_schema_files_are_draft_7_and_the_folder_holds_exactly_the_known_ones() -> None:
    assert sorted(path.name for path in FOLDER.glob("*.json")) == sorted(f"{name}.schema.json" for name in NAMES)
    for name in NAMES:
        schema = json.loads(schema_path(name).read_text())
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        validator(name).check_schema(schema)


# --- what the schemas share with the loader's definitions -------------------------------------------------------

COMMON = json.loads(schema_path("common").read_text())["definitions"]


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_path(name).read_text())
    return schema


@pytest.mark.parametrize(
    ("definition", "token"),
    [
        ("name", f.NAME),
        ("nameOrNumber", f.NAME),
        ("prompt", f.PROMPT),
        ("destination", f.DESTINATION),
        ("media", f.MEDIA),
        ("switchDir", f.SWITCH_DIR),
        ("host", f.HOST),
        ("secret", f.SECRET),
        ("endpoint", f.ENDPOINT),
    ],
)
def test_token_patterns_are_the_loaders(definition: str, token: Token) -> None:
    schema = COMMON[definition]

    assert schema["pattern"] in (f"^{token.pattern.pattern}$", f"^(?:{token.pattern.pattern})$")
    assert schema["patternErrorMessage"] == token.allowed


def test_enums_are_the_loaders() -> None:
    queue = _schema("queues")["definitions"]["queue"]["properties"]
    campaign = _schema("campaigns")["definitions"]["campaign"]["properties"]

    assert set(COMMON["hangupCause"]["enum"]) == f.HANGUP_CAUSES
    assert COMMON["recordingPolicy"]["properties"]["mode"]["enum"] == [mode.value for mode in RecordingMode]
    assert queue["strategy"]["enum"] == list(STRATEGIES)
    assert campaign["mode"]["enum"] == list(get_args(DialMode))
    assert _schema("agents")["definitions"]["agent"]["properties"]["login"]["enum"] == list(get_args(LoginState))
    assert COMMON["channel"]["enum"] == list(Channel)
    assert COMMON["activity"]["enum"] == [f"{channel}{end}" for channel in Channel for end in ("", WRAP_UP_SUFFIX)]
    assert _schema("ccswitch")["properties"]["store"]["properties"]["backend"]["enum"] == list(get_args(StoreBackend))


def test_steps_are_the_loaders_step_kinds() -> None:
    kinds = [branch["$ref"].removeprefix("#/definitions/").removesuffix("Step") for branch in COMMON["step"]["oneOf"]]

    assert sorted(kinds) == sorted(f.STEP_KEYS)


def test_other_patterns_name_the_loaders_values() -> None:
    template = _schema("ccswitch")["properties"]["recordings"]["properties"]["path_template"]["pattern"]
    gateway = _schema("campaigns")["definitions"]["campaign"]["properties"]["gateway"]
    name = _schema("campaigns")["definitions"]["campaign"]["properties"]["caller_id_name"]

    fields = re.findall(r"\\\{\(\?:([a-z|]+)\)\\\}", template)  # in each of the three parts of a path
    assert [set(each.split("|")) for each in fields] == [set(TEMPLATE_FIELDS)] * 3
    assert gateway["pattern"] == f"^{commands._NAME.pattern}$"
    assert f"{{1,{commands.CALLER_ID_MAX_CHARS}}}" in name["pattern"]


def test_chatbot_texts_and_limits_are_the_loaders() -> None:
    bot = _schema("chatbots")["definitions"]["bot"]["properties"]
    definitions = _schema("chatbots")["definitions"]
    texts = bot["texts"]["properties"]
    check = validator("chatbots")

    assert set(texts) == set(TEXT_FIELDS)
    for key, fields in TEXT_FIELDS.items():
        pattern = re.compile(texts[key]["properties"]["en"]["pattern"])
        assert all(pattern.search(f"a {{{field}}} b {{ c }}") for field in fields), key
        assert not pattern.search("{unknown_field}"), key
    assert set(bot["intents"]["properties"]) == set(BUILT_IN)
    assert definitions["pattern"]["maxLength"] == MAX_PATTERN_CHARS
    assert definitions["keywords"]["properties"]["en"]["maxItems"] == MAX_KEYWORDS
    assert definitions["patterns"]["anyOf"][1]["maxItems"] == MAX_PATTERNS
    assert check.is_valid({"shop": {"queue": "sales", "intents": {"faq": {"patterns": "^faq$", "reply": {"en": "x"}}}}})


# --- probing the schemas where the loader checks keys and ranges -----------------------------------------------

# Added to a copy of the shipped configuration so that the loader reads every key of every file at least once.
EVERY_KEY_DIALPLAN = """\
default: {transfer: "1000", context: default}
rules:
  - name: everything
    did: ["88005550556", 88005550557]
    did_pattern: "^8800"
    caller_pattern: "^7916"
    days: [mon-fri, sat]
    hours: ["09:00-18:00", "19:00-24:00"]
    dates: [2026-12-31, "01-01"]
    then: {queue: sales, priority: 5, skills: {english: 3}}
    recording: {mode: sample, sample_percent: 50, stereo: false, announce: announce/recorded}
  - {name: voicemail, then: {voicemail: queue/leave_message, max_s: 60}}
  - {name: callback, then: {callback: support, otherwise: {hangup: USER_BUSY}, confirm: false, cause: USER_BUSY}}
  - {name: announce, then: {announce: announce/closed, cause: USER_BUSY}}
"""
EVERY_KEY_EDITS = [
    ("config/ccswitch.yaml", "timezone:", "pause_reasons: [break, lunch]\ntimezone:"),
    ("config/ccswitch.yaml", "timezone:", """documents:
  from: 88005550556@pbx.example.com
  public_url: https://cc.example.com
  folder: documents
  link_ttl_h: 24
  max_mb: 10
  phones: internal
  trunk: {profile: external, host: sms.carrier.example}
  library: {price-list: ccswitch.yaml}
timezone:"""),
    ("config/ccswitch.yaml", "      password: ClueCon", """\
      password: ClueCon
      max_sessions: 500
      sessions_per_second: 50
      rtp_start_port: 20000
      rtp_end_port: 21000"""),
    ("config/ccswitch.yaml", "timezone:", """\
overload:
  reserve: {sessions: 10, sessions_per_second: 3, media_ports: 10}
  then: {announce: queue/all_busy, cause: NORMAL_CIRCUIT_CONGESTION}
  pacing_headroom: 1.5
timezone:"""),
    ("config/ccswitch.yaml", "  music: local_stream://moh", "  say_language: en\n  music: local_stream://moh"),
    ("config/ccswitch.yaml", "  backend: memory", "  backend: redis\n  lease_s: 3"),
    ("config/ccswitch.yaml", "  port: 8080", "  port: 8080\n  sso: {issuer: https://login.example.com, client_id: cc, "
     "redirect_uri: https://cc.example.com/api/sso/callback, user_claim: email, label: Keycloak}"),
    ("config/queues.yaml", "operator:", """\
everything:
  strategy: skills-based
  music: local_stream://moh
  max_wait_s: 60
  overflow: {queue: sales}
  wrap_up_s: 5
  ring_timeout_s: 10
  max_no_answer: 1
  max_length: 10
  service_level_s: 30
  aging_s: 60
  tier_rules_apply: true
  tier_wait_s: 10
  tier_wait_multiply_level: true
  ring_progressively_delay_s: 5
  vip_numbers: [79161234567, "+74951234567"]
  vip_priority: 20
  recording: {mode: all, stereo: true}
  when_no_agents: {queue: operator}
  no_agents_wait_s: 30
  rejoin_window_s: 60
  short_abandon_s: 3
  announcements: {every_s: 30, first_after_s: 10, prompt: queue/please_hold, position: true, wait_time: true}
  exit: {key: "#", then: {queue: operator}}
  callback: {key: 1, gateway: trunk, caller_id_number: "+88005550556", offer: queue/callback_offer,
             confirm: queue/callback_confirm, attempts: 2, retry_s: 60, ring_timeout_s: 30}
  agent_announce: queue/agent_sales
  default_aht_s: 120
  unanswered_wait_s: 40
  capacity: {total: 3, cost: {voice: 3, chat: 1}, offer_during: {chat: [chat, voice-wrap-up]}}

operator:"""),
    ("config/agents.yaml", '"1000":', """\
"2500": {name: Every Key, contact: user/2500, queues: [sales, {queue: support, level: 2, position: 3}], wrap_up_s: 5,
         login: logged_out, skills: {english: 5}, reject_delay_s: 1, busy_delay_s: 1, no_answer_delay_s: 1,
         capacity: {total: 4, cost: {voice: 2, chat: 1}, offer_during: {voice: chat}}}
"1000":"""),
    ("config/campaigns.yaml", "renewals:", """\
blast-all:
  mode: blast
  queue: sales
  gateway: trunk
  caller_id_number: "+7 (916) 123-45-67"
  caller_id_name: Example Shop
  blast: {prompt: campaigns/machine, ivr: main}
  max_attempts: 2
  retry: {no_answer: 3600, busy: never, machine: 4h, failed: 30m}
  window: {days: mon-fri, hours: "09:00-21:00"}
  timezone: Europe/London
  abandon_limit: 0.05
  abandon_window: 7200
  min_ring_s: 15
  ring_timeout_s: 20
  max_lines_per_agent: 2
  machine: hangup
  abandon_message: campaigns/abandoned
  dispositions: {done: {final: true}, later: {final: false, retry_after: 3600}, stop: {do_not_call: true}}
  leads: campaigns/promo-nov.csv
  do_not_call: campaigns/do_not_call.txt
  recording: {mode: all}

preview-all:
  mode: preview
  queue: support
  gateway: trunk
  caller_id_number: 88005550556
  window: {hours: "09:00-21:00"}
  dispositions: {done: }
  preview_dial_after_s: 30

keep-none:
  mode: predictive
  queue: sales
  gateway: trunk
  caller_id_number: 88005550556
  window: {hours: "09:00-21:00"}
  dispositions: {done: }
  abandon_message: campaigns/abandoned
  keep_agents: false

renewals:"""),
    ("config/chatbots.yaml", "shop:", """\
every-key:
  queue: support
  language: en
  calendar: {dialplan: main, rule: business-hours}
  catalogue: catalogue.csv
  currency: RUB
  max_misses_in_row: 5
  texts:
    greeting: {en: "greeting"}
    fallback: {en: "fallback"}
    handover: {en: "handover"}
    handover_closed: {en: "{hours} {next}"}
    hours_open: {en: "{hours}"}
    hours_closed: {en: "{hours} {next}"}
    wait: {en: "{minutes}"}
    wait_unknown: {en: "wait_unknown"}
    price: {en: "{name} {price}"}
    no_price: {en: "{name}"}
    in_stock: {en: "{name} {stock}"}
    out_of_stock: {en: "{name}"}
    stock_unknown: {en: "{name}"}
    promotion: {en: "{name} {promotion}"}
    no_promotions: {en: "no_promotions"}
    which_item: {en: "{items}"}
  intents:
    faq: {keywords: {en: [faq]}, patterns: ["^faq$"], reply: {en: See the FAQ, ru: Смотрите FAQ}}
    price: {keywords: {en: [price], ru: [цена]}, patterns: "\\\\bcost\\\\b"}

shop:"""),
]

# Lower bounds the loader takes from another key, which a schema cannot follow (it checks the fixed bound).
FOLLOWS_ANOTHER_KEY = {("campaigns", "ring_timeout_s"): "at least the campaign's min_ring_s"}


@dataclass(frozen=True)
class KnownKeys:
    file: Path
    path: tuple[str | int, ...]
    keys: frozenset[str]
    present: frozenset[str]


@dataclass(frozen=True)
class Range:
    file: Path
    path: tuple[str | int, ...]
    key: str
    low: int
    high: int


@pytest.fixture
def every_key(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[KnownKeys], list[Range]]]:
    """What the loader checks while it reads a configuration that uses every key."""
    link_schemas(tree.root)
    for file, old, new in EVERY_KEY_EDITS:
        tree.edit(file, old, new)
    modeline = (tree.root / "dialplans" / "main.yaml").read_text().splitlines()[0]
    tree.write("dialplans/every_key.yaml", f"{modeline}\n{EVERY_KEY_DIALPLAN}")
    known_keys: list[KnownKeys] = []
    ranges: list[Range] = []
    original_known, original_integer = Node.known, Node.integer

    def known(node: Node, keys: Any) -> None:
        keys = frozenset(keys)
        if node.file != "environment":
            present = frozenset(map(str, node.data))
            known_keys.append(KnownKeys(tree.root / node.file, key_path(node.path), keys, present))
        original_known(node, keys)

    def integer(node: Node, key: str, default: Any, low: int, high: int) -> int:
        if node.file != "environment" and key in node.data:
            ranges.append(Range(tree.root / node.file, key_path(node.path), key, low, high))
        return original_integer(node, key, default, low, high)

    monkeypatch.setattr(Node, "known", known)
    monkeypatch.setattr(Node, "integer", integer)
    assert [str(error) for error in check_config(tree.config_file, env={})] == []
    monkeypatch.undo()
    for path, name in _loaded_files(tree.config_file).items():
        assert (schema_name(path), describe(schema_errors(path))) == (name, []), path
    yield known_keys, ranges


def _at(document: Any, path: tuple[str | int, ...]) -> Any:
    """The value at ``path``; None where there is none."""
    for part in path:
        try:
            document = document[part]
        except (KeyError, IndexError, TypeError):
            return None
    return document


def _with(document: Any, path: tuple[str | int, ...], key: str, value: Any) -> Any:
    changed = copy.deepcopy(document)
    _at(changed, path)[key] = value
    return changed


def test_every_key_the_loader_knows_is_used_by_the_probe(every_key: tuple[list[KnownKeys], list[Range]]) -> None:
    known_keys, _ = every_key
    unused: dict[frozenset[str], set[str]] = {}
    for each in known_keys:
        unused[each.keys] = unused.get(each.keys, set(each.keys)) - each.present

    assert {tuple(sorted(keys)): sorted(left) for keys, left in unused.items() if left} == {}


def test_each_mapping_refuses_unknown_keys_and_knows_the_loaders(
    every_key: tuple[list[KnownKeys], list[Range]],
) -> None:
    known_keys, _ = every_key
    mismatches = []
    for each in known_keys:
        document = read(each.file)
        if not isinstance(_at(document, each.path), dict):
            continue  # an absent section, read as empty
        errors = validator(schema_name(each.file)).iter_errors(_with(document, each.path, "zz_unknown", 1))
        refusals = [
            error for error in every_error(list(errors))
            if error.validator == "additionalProperties" and tuple(error.absolute_path) == each.path
        ]
        in_schema = [set(error.schema.get("properties", ())) for error in refusals]
        if not refusals:
            mismatches.append(f"{each.file.name}: {each.path}: the schema takes any key")
        elif each.keys not in in_schema:
            closest = min(in_schema, key=lambda keys: len(keys ^ each.keys))
            mismatches.append(f"{each.file.name}: {each.path}: only the loader knows {sorted(each.keys - closest)}, "
                              f"only the schema {sorted(closest - each.keys)}")

    assert mismatches == []


def test_each_whole_number_has_the_loaders_range(every_key: tuple[list[KnownKeys], list[Range]]) -> None:
    _, ranges = every_key
    mismatches = []
    for each in ranges:
        name = schema_name(each.file)
        document = read(each.file)
        check = validator(name)
        values = {each.low: True, each.high: True, each.high + 1: False, "9": False}
        if (name, each.key) not in FOLLOWS_ANOTHER_KEY:
            values[each.low - 1] = False
        for value, passes in values.items():
            if check.is_valid(_with(document, each.path, each.key, value)) != passes:
                mismatches.append(f"{each.file.name}: {each.path}.{each.key} = {value!r}: "
                                  f"loader range {each.low}..{each.high}, schema {'refuses' if passes else 'passes'}")

    assert mismatches == []


def test_the_schema_command_prints_a_schema_or_the_folder() -> None:
    runner = CliRunner()

    assert runner.invoke(main, ["schema"]).output == f"{FOLDER}\n"
    printed = runner.invoke(main, ["schema", "queues"])
    assert (printed.exit_code, json.loads(printed.output)) == (0, _schema("queues"))
    unknown = runner.invoke(main, ["schema", "queue"])
    assert unknown.exit_code == 2
    assert "no schema 'queue' (known: ccswitch, dialplan, ivr, queues" in unknown.output
