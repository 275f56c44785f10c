"""The config tests' cases run through the JSON Schemas: each mistake the loader reports is refused by the schema
of the file it is in, where a schema can say it; the cases a schema cannot express are listed with the reason (and
shown to pass the schema, so the list stays true); edits the loader accepts pass the schema too.

Every test of the config test modules is accounted for: a new one must add its cases here (or say why it has none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import pytest
import yaml

from ccswitch.campaign_files import check_config

from . import (
    test_campaigns_config,
    test_capacity_config,
    test_chat_config,
    test_chatbots_config,
    test_config_errors,
    test_overload_config,
    test_routing_config,
    test_supervisors_config,
)
from .conftest import REPO, Tree
from .schema_support import describe, every_error, key_path, link_schemas, schema_errors, schema_name
from .test_campaigns_config import CAMPAIGNS, PREVIEW, PROMO, promo_with
from .test_chat_config import SUPPORT_TOPIC, without_chat
from .test_chatbots_config import without_the_shop

MODULES: tuple[ModuleType, ...] = (
    test_config_errors, test_campaigns_config, test_routing_config, test_supervisors_config, test_overload_config,
    test_chatbots_config,
    test_capacity_config,
    test_chat_config,
)

CROSS_FILE = "names a queue, menu or callback queue defined in another file: a schema sees one file"
PROMPT_FILE = "a prompt file must exist under sounds/: a schema sees no files"
DATA_FILE = "a file it names must exist: a schema sees no files"
TIME_ZONE = "the time zone database is the host's (zoneinfo): a list in a schema would go stale"
ORDER = "start before end compares two times inside one text: no JSON Schema keyword compares values"
PORT_ORDER = "the end of a port range above its start compares two values: no JSON Schema keyword can"
OWN_NAME = "compares a value with the name of the mapping it is in: no JSON Schema keyword can"
SAFE_PATTERN = ("a pattern's safety and cost are judged by reading its parts: a schema checks its length and that it "
                "compiles")
TWO_VALUES = "compares two values of one mapping: no JSON Schema keyword can"
TWO_MAPPINGS = "the keys of one mapping must be keys of another: no JSON Schema keyword compares them"
DURATION_RANGE = ("a duration's range depends on its unit (10s, 1m, 2h, 365d): a schema checks the form of the "
                  "text and the range of bare seconds only")


@dataclass(frozen=True)
class Case:
    source: str  # the config test the case comes from
    file: str  # the YAML file the mistake is in, checked against its schema
    apply: Callable[[Tree], object]
    problem: str  # the start of the loader's message: "file: key.path"
    why_not: str = ""  # why a schema cannot express it

    def schema_errors(self, tree: Tree) -> list[str]:
        """What the schema of the shipped file the case changes finds wrong in the changed file."""
        return describe(schema_errors(tree.root / self.file, schema_name(REPO / self.file)))

    def schema_refuses_the_key(self, tree: Tree) -> bool:
        """Whether the schema finds something wrong at the key of the loader's message or in the mapping
        holding it (where a missing or unknown key, or a rule between keys, is reported)."""
        at = key_path(self.problem.partition(": ")[2])
        errors = schema_errors(tree.root / self.file, schema_name(REPO / self.file))
        return any(tuple(error.absolute_path) in (at, at[:-1]) for error in every_error(errors))

    @property
    def id(self) -> str:
        return f"{self.source.removeprefix('test_')}:{self.problem.partition(': ')[2]}"


def edit(source: str, file: str, old: str, new: str, key_path: str, why_not: str = "") -> Case:
    return Case(source, file, lambda tree: tree.edit(file, old, new), f"{file}: {key_path}", why_not)


def campaign(source: str, line: str, key_path: str, why_not: str = "") -> Case:
    """The minimal campaign of the campaign tests with ``line`` (``key: value``) replacing or added to its keys."""
    return Case(source, CAMPAIGNS, lambda tree: promo_with(tree, line), f"{CAMPAIGNS}: promo.{key_path}", why_not)


def write(source: str, file: str, text: str, key_path: str, why_not: str = "") -> Case:
    return Case(source, file, lambda tree: tree.write(file, text), f"{file}: {key_path}", why_not)


def capacity(source: str, settings: str, key: str, why_not: str = "") -> Case:
    """Agent 1008 with ``capacity: <settings>``; the problem at ``1008.capacity.<key>``."""
    return edit(source, AGENTS, "queues: [operator], login: available}",
                f"queues: [operator], login: available, capacity: {settings}}}", f"1008.capacity{key}", why_not)


CAPACITY_MISTAKE = "test_capacity_mistakes_are_reported_at_their_key"


def disposition(settings: str, key: str, why_not: str = "") -> Case:
    return write("test_disposition_mistake", CAMPAIGNS,
                 PROMO.replace("dispositions: {sale: {}}", f"dispositions: {{sale: {settings}}}"),
                 f"promo.dispositions.sale.{key}", why_not)


RECORDING = "recording: {mode: sample, sample_percent: 50, stereo: true, announce: announce/recorded}"
TEMPLATE = 'path_template: "%Y/%m/%d/{queue}/{uuid}.wav"'
QUEUES, AGENTS, MAIN = "config/queues.yaml", "config/agents.yaml", "config/ccswitch.yaml"
IVR, DIALPLAN, SUPERVISORS = "ivr/main.yaml", "dialplans/main.yaml", "config/supervisors.yaml"
BOTS, BOT_PATTERN = "config/chatbots.yaml", "patterns: ['\\bhow soon\\b.{0,30}\\b(?:get|arrive)']"
PLAIN_BOT = "plain:\n  queue: support\n  intents:\n"


def bot_pattern(pattern: str, why_not: str = "") -> Case:
    return edit("test_unsafe_patterns_are_refused", BOTS, BOT_PATTERN, f"patterns: [{pattern}]",
                "shop.intents.delivery.patterns[0]", why_not)


CHAT_ORIGINS = 'site_origins: ["http://localhost:8080", "http://127.0.0.1:8080"]'


def topic(source: str, line: str, key_path: str, why_not: str = "") -> Case:
    """The shipped support topic of the web chat replaced by ``line`` (one or more topics)."""
    return edit(source, MAIN, SUPPORT_TOPIC, line, f"chat.topics{key_path}", why_not)


REFUSED = [
    topic("test_a_topic_needs_exactly_one_of_a_bot_and_a_queue",
          '    - {name: support, label: "Support", queue: support, bot: shop}', "[1]"),
    topic("test_a_topic_needs_exactly_one_of_a_bot_and_a_queue", '    - {name: other, label: "Other"}', "[1]"),
    topic("test_topic_names_are_safe_and_unique_and_labels_short",
          '    - {name: "sales team", label: "Sales", queue: support}', "[1].name"),
    topic("test_topic_names_are_safe_and_unique_and_labels_short",
          f'    - {{name: other, label: "{"x" * 61}", queue: support}}', "[1].label"),
    edit("test_a_site_origin_is_a_scheme_a_host_and_a_port_only", MAIN, CHAT_ORIGINS,
         'site_origins: ["https://shop.example.com/"]', "chat.site_origins[0]"),
    edit("test_limits_out_of_range_are_refused", MAIN, "max_attachment_mb: 10", "max_attachment_mb: 500",
         "chat.max_attachment_mb"),
    edit("test_an_unknown_key_suggests_the_likely_one", MAIN, "offer_timeout_s: 30", "offer_timout_s: 30",
         "chat.offer_timout_s"),
    edit("test_an_overload_step_that_keeps_the_caller_on_the_node_is_refused", MAIN, "timezone:",
         "overload:\n  then: {queue: operator}\ntimezone:", "overload.then"),
    edit("test_a_confirmed_callback_with_a_cause_and_a_confirm_not_a_boolean_are_refused", MAIN, "timezone:",
         "overload:\n  then: {callback: support, cause: USER_BUSY}\ntimezone:", "overload.then.cause"),
    edit("test_pacing_leaves_callers_two_deviations_unless_configured_and_a_headroom_out_of_range_is_refused", MAIN,
         "timezone:", "overload:\n  pacing_headroom: 6\ntimezone:", "overload.pacing_headroom"),
    edit("test_a_confirmed_callback_with_a_cause_and_a_confirm_not_a_boolean_are_refused", MAIN, "timezone:",
         "overload:\n  then: {callback: support, confirm: \"no\"}\ntimezone:", "overload.then.confirm"),
    edit("test_unknown_key_suggests_the_likely_one", QUEUES, "max_wait_s: 120", "max_wiat_s: 120",
         "support.max_wiat_s"),
    edit("test_bad_regular_expression", DIALPLAN, 'did: "88005550556"', "did_pattern: '^(8800'",
         "rules[0].did_pattern"),
    edit("test_bad_hours", DIALPLAN, '"09:00-18:00"', '"9:00-18:00"', "rules[1].hours"),
    edit("test_bad_hours", DIALPLAN, '"09:00-18:00"', '"09:00-25:00"', "rules[1].hours"),
    edit("test_bad_day_and_date", DIALPLAN, "days: [mon-fri]", "days: [mon-fry]", "rules[1].days"),
    edit("test_bad_day_and_date", DIALPLAN, '"02-23"', '"02-30"', "rules[0].dates"),
    edit("test_a_wrong_format_and_a_day_not_in_the_calendar_are_told_apart", DIALPLAN, '"02-23"', '"2-23"',
         "rules[0].dates"),
    edit("test_a_wrong_format_and_a_day_not_in_the_calendar_are_told_apart", DIALPLAN, '"02-23"', '"13-01"',
         "rules[0].dates"),
    edit("test_unsafe_values_are_refused", IVR, '"0": {queue: operator, priority: 5}',
         '"0": {transfer: "1000 XML default"}', "main.options.0.transfer"),
    edit("test_unsafe_values_are_refused", MAIN, "music: local_stream://moh", "music: local_stream://${x}",
         "media.music"),
    edit("test_unsafe_values_are_refused", MAIN, "switch_sounds_dir: null", "switch_sounds_dir: '/usr/share/my sounds'",
         "media.switch_sounds_dir"),
    edit("test_unsafe_values_are_refused", IVR, "prompt: ivr/main_menu", "prompt: ../../etc/passwd", "main.prompt"),
    edit("test_unsafe_values_are_refused", QUEUES, "sales:", "sales team:", "sales team"),
    *(edit("test_bad_endpoint", AGENTS, "contact: user/1000,", f"contact: '{contact}',", "1000.contact")
      for contact in ("sip:1000@pbx", "user/1000 bad", "user/{x}1000", "user/1000,user/1001")),
    edit("test_unknown_hangup_cause_and_self_overflow", DIALPLAN, "{hangup: UNALLOCATED_NUMBER}",
         "{hangup: UNALOCATED_NUMBER}", "default.hangup"),
    edit("test_star_and_hash_cannot_both_be_options", IVR, '"9": repeat', '"*": repeat\n    "#": {queue: sales}',
         "main.options"),
    edit("test_a_step_needs_exactly_one_target", DIALPLAN, "then: {ivr: main}", "then: {ivr: main, queue: sales}",
         "rules[1].then"),
    edit("test_out_of_range_and_wrong_type", QUEUES, "ring_timeout_s: 20", "ring_timeout_s: 0",
         "operator.ring_timeout_s"),
    edit("test_out_of_range_and_wrong_type", IVR, "timeout_s: 5", "timeout_s: five", "main.timeout_s"),
    edit("test_all_problems_are_collected_at_once", AGENTS, "contact: user/1005,", "contact: 'sip:1005',",
         "1005.contact"),
    *(edit("test_bad_queue_recording_policy", QUEUES, RECORDING, recording, f"support.recording.{key}")
      for recording, key in (
          ("recording: {mode: some}", "mode"),
          ("recording: {mode: sample, sample_percent: 150}", "sample_percent"),
          ("recording: {mode: all, sample_percent: 50}", "sample_percent"),
          ("recording: {mode: all, stereo: yes please}", "stereo"),
          ("recording: {mode: all, format: mp3}", "format"),
      )),
    *(edit("test_bad_recordings_settings", MAIN, old, new, f"recordings.{key}")
      for old, new, key in (
          (TEMPLATE, 'path_template: "%Y/{nope}.wav"', "path_template"),
          (TEMPLATE, 'path_template: "/abs/{uuid}.wav"', "path_template"),
          (TEMPLATE, 'path_template: "%Y/{uuid}"', "path_template"),
          ("switch_dir: null", "switch_dir: relative/dir", "switch_dir"),
      )),
    *(write("test_missing_required_keys", CAMPAIGNS, "promo: {}\n", f"promo.{key}")
      for key in ("mode", "queue", "caller_id_number", "window", "abandon_message", "gateway", "dispositions")),
    *(campaign("test_campaign_mistake", line, key)
      for line, key in (
          ("max_atempts: 3", "max_atempts"),
          ("mode: robocall", "mode"),
          ('gateway: "my gw"', "gateway"),
          ('caller_id_number: "8800 CALL ME"', "caller_id_number"),
          ('caller_id_name: "Shop ${x}"', "caller_id_name"),
          ("window: {days: mon-fry, hours: 09:00-21:00}", "window.days"),
          ("window: {days: mon-fri}", "window.hours"),
          ("max_attempts: 0", "max_attempts"),
          ("retry: {machine: 1y}", "retry.machine"),
          ("retry: {abandoned: 1h}", "retry.abandoned"),
          ("abandon_limit: 3", "abandon_limit"),
          ("min_ring_s: 10", "min_ring_s"),
          ("ring_timeout_s: 14", "ring_timeout_s"),
          ("max_lines_per_agent: 0", "max_lines_per_agent"),
          ("machine: voicemail", "machine"),
          ("blast: {prompt: campaigns/abandoned}", "blast"),
      )),
    disposition("{final: true, retry_after: 1d}", "retry_after"),
    disposition("{final: false}", "final"),
    disposition("{do_not_call: true, retry_after: 1h}", "do_not_call"),
    disposition("{final: yes please}", "final"),
    write("test_abandon_message_is_required_unless_blast", CAMPAIGNS,
          PROMO.replace("  abandon_message: campaigns/abandoned\n", ""), "promo.abandon_message"),
    write("test_progressive_dials_one_line_per_agent", CAMPAIGNS,
          PROMO.replace("mode: predictive", "mode: progressive") + "  max_lines_per_agent: 2\n",
          "promo.max_lines_per_agent"),
    write("test_a_preview_campaign_needs_no_abandon_message_and_may_dial_a_lead_shown_too_long", CAMPAIGNS,
          PROMO + "  preview_dial_after_s: 30\n", "promo.preview_dial_after_s"),
    write("test_predictive_and_progressive_campaigns_keep_agents_for_their_lines_unless_told_not_to", CAMPAIGNS,
          PROMO + "  keep_agents: sometimes\n", "promo.keep_agents"),
    write("test_a_preview_campaign_keeps_no_agents_its_agents_dial_themselves", CAMPAIGNS,
          PREVIEW + "  keep_agents: true\n", "promo.keep_agents"),
    write("test_blast_plays_a_prompt_then_enters_a_menu", CAMPAIGNS,
          PROMO.replace("mode: predictive", "mode: blast").replace("  abandon_message: campaigns/abandoned\n", ""),
          "promo.blast"),
    edit("test_routing_mistakes_are_reported", QUEUES, "  max_no_answer: 2\n",
         "  max_no_answer: 2\n  tier_rules_apply: yes please\n", "operator.tier_rules_apply"),
    edit("test_routing_mistakes_are_reported", QUEUES, "  max_no_answer: 2\n",
         "  max_no_answer: 2\n  vip_numbers: [call-me]\n", "operator.vip_numbers"),
    edit("test_routing_mistakes_are_reported", QUEUES, "operator:\n  strategy: longest-idle-agent",
         "operator:\n  strategy: fastest", "operator.strategy"),
    edit("test_routing_mistakes_are_reported", AGENTS, "queues: [operator], login: available}",
         "queues: [{queue: operator, level: 0}], login: available}", "1008.queues[0].level"),
    edit("test_routing_mistakes_are_reported", AGENTS, "queues: [operator], login: available}",
         "queues: [operator], skills: {english: 500}, login: available}", "1008.skills.english"),
    edit("test_routing_mistakes_are_reported", MAIN, "timezone:", "pause_reasons: [lunch, 'coffee break']\ntimezone:",
         "pause_reasons"),
    edit("test_routing_mistakes_are_reported", MAIN, "timezone:", "pause_reasons: [lunch, lunch]\ntimezone:",
         "pause_reasons"),
    edit("test_mistakes_name_the_file_and_key", SUPERVISORS, "queues: [sales, support]",
         "queues: [sales, support], pin: 1234", "2001.pin"),
    write("test_mistakes_name_the_file_and_key", SUPERVISORS, '"2003": {contact: user/2003, queues: []}\n',
          "2003.queues"),
    write("test_mistakes_name_the_file_and_key", SUPERVISORS, '"2003": {contact: "user/2003;x", queues: [sales]}\n',
          "2003.contact"),
    bot_pattern("'(open'"),
    bot_pattern("'" + "a" * 201 + "'"),
    write("test_intent_mistakes", BOTS, PLAIN_BOT + "    faq: {keywords: {en: [faq]}}\n", "plain.intents.faq.reply"),
    write("test_intent_mistakes", BOTS, PLAIN_BOT + "    empty: {reply: {en: Hi}}\n", "plain.intents.empty"),
    edit("test_texts_may_use_only_their_fields", BOTS, "  texts:\n",
         "  texts:\n    wait: {en: 'About {minutes} min, {name}'}\n", "shop.texts.wait.en"),
    *(capacity(CAPACITY_MISTAKE, settings, key) for settings, key in (
        ("{total: 3, cost: {chat: -1}}", ".cost.chat"),
        ("{total: 3, cost: {chat: 0}}", ".cost.chat"),
        ("{total: 3, cost: {fax: 1}}", ".cost.fax"),
        ("{total: 3, cost: {}}", ".cost"),
        ("{total: 3}", ".cost"),
        ("{cost: {voice: 1}}", ".total"),
        ("{total: 0, cost: {voice: 1}}", ".total"),
        ("{total: 3, cost: {chat: 1}, limit: 2}", ".limit"),
        ("{total: 3, cost: {chat: 1}, offer_during: {telegram: [chat]}}", ".offer_during.telegram"),
        ("{total: 3, cost: {chat: 1}, offer_during: {chat: [chat, fax-wrap-up]}}", ".offer_during.chat[1]"),
        ("{total: 3, cost: {voice: 1}, offer_during: {voice: [voice-wrap-up]}}", ".offer_during.voice"),
        ("{total: 3, cost: {voice: 1}, offer_during: {voice: voice}}", ".offer_during.voice"),
    )),
    capacity("test_a_capacity_that_is_not_a_mapping_is_refused", "3", ""),
]


def remove(path: str) -> Callable[[Tree], object]:
    return lambda tree: (tree.root / path).unlink()


NOT_EXPRESSIBLE = [
    topic("test_a_topics_bot_and_queue_must_exist", '    - {name: support, label: "Support", queue: suport}',
          "[1].queue", CROSS_FILE),
    topic("test_a_topics_bot_and_queue_must_exist", '    - {name: other, label: "Other", bot: shopp}', "[1].bot",
          "names a chatbot defined in another file (chatbots.yaml): a schema sees one file"),
    edit("test_an_rtp_range_ending_before_it_starts_is_refused", MAIN, "      password: ClueCon",
         "      password: ClueCon\n      rtp_start_port: 30000\n      rtp_end_port: 20000",
         "freeswitch.nodes[0].rtp_end_port", PORT_ORDER),
    edit("test_a_broken_sentinel_url_is_reported_without_its_password", MAIN, "url: redis://127.0.0.1:6379/0",
         'url: "redis+sentinel://:s3cret@s1:99999/ccs"', "store.url",
         "a URL's parts (hosts, ports, service, database) are read by a parser: a pattern would repeat it"),
    edit("test_leases_need_the_redis_store", MAIN, "  backend: memory", "  backend: memory\n  lease_s: 3",
         "store.lease_s", "CCSWITCH_REDIS_URL selects redis from the environment, which a schema does not see"),
    edit("test_unknown_queue_lists_the_known_ones", IVR, '"2": {queue: support}', '"2": {queue: supprt}',
         "main.options.2.queue", CROSS_FILE),
    edit("test_unknown_queue_in_a_dialplan_rule", DIALPLAN, "then: {ivr: main}", "then: {queue: supprt, priority: 5}",
         "rules[1].then.queue", CROSS_FILE),
    edit("test_bad_hours", DIALPLAN, '"09:00-18:00"', '"22:00-06:00"', "rules[1].hours", ORDER),
    Case("test_missing_prompt_file", IVR, remove("sounds/info/opening_hours.wav"), f"{IVR}: main.options.3.say",
         PROMPT_FILE),
    edit("test_unknown_menu_target", "dialplans/demo.yaml", "then: {ivr: main}", "then: {ivr: mian}",
         "rules[0].then.ivr", CROSS_FILE),
    edit("test_unknown_hangup_cause_and_self_overflow", QUEUES, "overflow: {queue: operator}",
         "overflow: {queue: sales}", "sales.overflow", OWN_NAME),
    edit("test_all_problems_are_collected_at_once", MAIN, "timezone: Europe/Moscow", "timezone: Europe/Moskva",
         "timezone", TIME_ZONE),
    edit("test_bad_queue_recording_policy", QUEUES, RECORDING, "recording: {mode: all, announce: announce/nope}",
         "support.recording.announce", PROMPT_FILE),
    edit("test_a_callback_step_needs_a_queue_with_a_callback_policy", QUEUES, "overflow: {queue: operator}",
         "overflow: {callback: operator}", "sales.overflow.callback", CROSS_FILE),
    campaign("test_campaign_mistake", "queue: salse", "queue", CROSS_FILE),
    campaign("test_campaign_mistake", "timezone: Mars/Olympus", "timezone", TIME_ZONE),
    campaign("test_campaign_mistake", 'window: {days: mon-fri, hours: "21:00-09:00"}', "window.hours", ORDER),
    campaign("test_campaign_mistake", "retry: {busy: 10s}", "retry.busy", DURATION_RANGE),
    campaign("test_campaign_mistake", "abandon_window: 100d", "abandon_window", DURATION_RANGE),
    campaign("test_campaign_mistake", "machine: {message: campaigns/nope}", "machine.message", PROMPT_FILE),
    campaign("test_campaign_mistake", "leads: campaigns/nope.csv", "leads", DATA_FILE),
    campaign("test_campaign_mistake", "do_not_call: nope.txt", "do_not_call", DATA_FILE),
    disposition("{retry_after: 30s}", "retry_after", DURATION_RANGE),
    write("test_blast_plays_a_prompt_then_enters_a_menu", CAMPAIGNS,
          PROMO.replace("mode: predictive", "mode: blast").replace("  abandon_message: campaigns/abandoned\n", "")
          + "  blast: {ivr: mane}\n", "promo.blast.ivr", CROSS_FILE),
    edit("test_missing_global_do_not_call_file", MAIN, "do_not_call: campaigns/do_not_call.txt", "do_not_call: dnc.txt",
         "paths.do_not_call", DATA_FILE),
    edit("test_routing_mistakes_are_reported", AGENTS, "queues: [operator], login: available}",
         "queues: [operatr], login: available}", "1008.queues[0]", CROSS_FILE),
    edit("test_mistakes_name_the_file_and_key", SUPERVISORS, "queues: [sales, support]", "queues: [sales, supprt]",
         "2001.queues[1]", CROSS_FILE),
    edit("test_unknown_queue_and_calendar", BOTS, "queue: sales", "queue: salse", "shop.queue", CROSS_FILE),
    edit("test_unknown_queue_and_calendar", BOTS, "rule: business-hours", "rule: office-hours", "shop.calendar.rule",
         CROSS_FILE),
    edit("test_unknown_queue_and_calendar", BOTS, "dialplan: main", "dialplan: mian", "shop.calendar.dialplan",
         CROSS_FILE),
    *(bot_pattern(pattern, SAFE_PATTERN) for pattern in ("'(a+)+$'", "'(\\w)\\1'", "'(?<=a)b'", "'a.*b.*c'", "'x*'")),
    write("test_intent_mistakes", BOTS, PLAIN_BOT + "    hours: {keywords: {en: [open]}}\n", "plain.intents.hours",
          "depends on whether the bot has a calendar (a catalogue for price, availability, promotions): the loader "
          "says so at the intent, where a schema's if/then would point at the bot"),
    edit("test_missing_catalogue_file", BOTS, "catalogue: catalogue.csv", "catalogue: nope.csv", "shop.catalogue",
         DATA_FILE),
    capacity(CAPACITY_MISTAKE, "{total: 3, cost: {voice: 4}}", ".cost.voice", TWO_VALUES),
    capacity(CAPACITY_MISTAKE, "{total: 3, cost: {chat: 1}, offer_during: {email: [chat]}}", ".offer_during.email",
             TWO_MAPPINGS),
]

# No document reaches a schema: the editor's YAML parser reports these, as ccswitch's does.
NOT_A_DOCUMENT = [
    edit("test_yaml_syntax_error_names_the_line", QUEUES, "  max_wait_s: 120", "  max_wait_s: [120", ""),
    edit("test_duplicate_key_is_an_error_with_its_line", IVR, '"9": repeat', '"9": repeat\n    "1": repeat', ""),
    Case("test_missing_file_is_reported", AGENTS, remove(AGENTS), f"{AGENTS}: "),
]

# Edits the config tests show the loader accepts: the schema accepts them too.
ACCEPTED = [
    Case("test_without_a_chat_section_chat_is_off", MAIN, without_chat, ""),
    edit("test_pacing_leaves_callers_two_deviations_unless_configured_and_a_headroom_out_of_range_is_refused", MAIN,
         "timezone:", "overload:\n  pacing_headroom: 1.5\ntimezone:", ""),
    edit("test_a_callback_overload_step_may_hang_up_unanswered_with_a_cause_instead_of_confirming", MAIN, "timezone:",
         "overload:\n  then: {callback: support, confirm: false, cause: NORMAL_CLEARING}\ntimezone:", ""),
    edit("test_configured_limits_win_over_what_the_switch_reports", MAIN, "timezone:",
         "overload:\n  reserve: {sessions: 5, media_ports: 2}\n"
         "  then: {announce: queue/all_busy, cause: NORMAL_CIRCUIT_CONGESTION}\ntimezone:", ""),
    edit("test_a_sentinel_url_selects_redis_behind_sentinel_from_the_file_or_the_environment", MAIN,
         "url: redis://127.0.0.1:6379/0", 'url: "redis+sentinel://:s3cret@s1:26379,s2:26379/ccs/1"', ""),
] + [
    edit("test_other_endpoints_are_accepted", AGENTS, "contact: user/1000,", f"contact: {contact},", "")
    for contact in ("user/1000@pbx.example.com", "sofia/gateway/carrier/79161234567", "loopback/1002/default")
] + [
    edit("test_leading_zero_numbers_stay_text", "dialplans/demo.yaml", 'did: "88005550556"',
         "did: [088005550556, 88005550557]", ""),
    edit("test_recording_policy_and_places_are_read", MAIN, "switch_dir: null",
         "switch_dir: /var/lib/freeswitch/recordings/", ""),
    Case("test_routing_keys_are_read", QUEUES, lambda tree: (
        tree.edit(QUEUES, "operator:\n  strategy: longest-idle-agent\n", "operator:\n"),
        tree.edit(QUEUES, "  max_no_answer: 2\n",
                  "  max_no_answer: 2\n  strategy: skills-based\n  aging_s: 60\n  tier_rules_apply: true\n"
                  "  tier_wait_s: 30\n  tier_wait_multiply_level: true\n  vip_numbers: [79161234567, '+74951234567']\n"
                  "  vip_priority: 7\n")), ""),
    edit("test_routing_keys_are_read", AGENTS, "queues: [support, operator], login: available}",
         "queues: [support, {queue: operator, level: 2, position: 1}], login: available, "
         "skills: {english: 5, billing: 3}, reject_delay_s: 10, busy_delay_s: 20, no_answer_delay_s: 30}", ""),
    write("test_minimal_campaign_takes_the_defaults", CAMPAIGNS, PROMO, ""),
    write("test_a_preview_campaign_needs_no_abandon_message_and_may_dial_a_lead_shown_too_long", CAMPAIGNS,
          PREVIEW + "  preview_dial_after_s: 30\n", ""),
    write("test_blast_plays_a_prompt_then_enters_a_menu", CAMPAIGNS,
          PROMO.replace("mode: predictive", "mode: blast").replace("  abandon_message: campaigns/abandoned\n", "")
          + "  blast: {prompt: campaigns/machine, ivr: main}\n", ""),
    edit("test_leap_days_are_dates", DIALPLAN, '"02-23"', '"02-29", 2028-02-29', ""),
    write("test_every_queue_with_a_star", SUPERVISORS, '"2002": {contact: user/2002, queues: "*"}\n', ""),
    Case("test_a_bot_without_calendar_or_catalogue_has_no_intents_that_need_them", BOTS,
         lambda tree: (without_the_shop(tree), tree.write(BOTS, "plain: {queue: support}\n")), ""),
    capacity("test_an_agents_capacity_is_read_with_the_default_rules_for_channels_it_leaves_out",
             "{total: 4, cost: {voice: 2, chat: 1}, offer_during: {voice: [chat]}}", ""),
    capacity("test_wrap_up_activities_and_a_single_name_for_a_list_of_one",
             "{total: 3, cost: {chat: 1}, offer_during: {chat: voice-wrap-up}}", ""),
    *(edit(source, QUEUES, "operator:\n  strategy: longest-idle-agent\n",
           "operator:\n  strategy: longest-idle-agent\n  capacity: {total: 3, cost: {voice: 3, chat: 1}}\n", "")
      for source in ("test_a_queues_capacity_is_the_default_of_its_agents_and_an_agents_own_wins",
                     "test_the_router_gets_each_agents_capacity")),
    edit("test_the_first_of_an_agents_queues_with_a_capacity_gives_it", QUEUES,
         "support:\n  strategy: longest-idle-agent\n",
         "support:\n  strategy: longest-idle-agent\n  capacity: {total: 2, cost: {voice: 2, sms: 1}}\n", ""),
]

# Tests with no YAML mistake of their own, and why.
WITHOUT_A_CASE = {
    "test_copy_of_shipped_config_is_clean": "the shipped files: test_schemas.py validates them",
    "test_by_default_a_node_has_freeswitchs_capacity_and_overflow_hangs_up_with_congestion": "the shipped files",
    "test_environment_overrides_the_first_node_and_the_store": "environment variables, not a file",
    "test_bad_environment_values_are_reported": "environment variables, not a file",
    "test_environment_sets_the_http_listeners_address_for_a_container": "environment variables, not a file",
    "test_shipped_campaigns_load": "the shipped files: test_schemas.py validates them",
    "test_given_no_campaigns_file_then_no_campaigns": "no file",
    "test_campaigns_file_is_found_through_paths": "moves a shipped file",
    "test_campaign_and_global_do_not_call_lists_are_merged": "a do-not-call file, not YAML",
    "test_without_a_global_list_a_campaign_has_only_its_own": "removes a key the schema does not require",
    "test_bad_lines_of_leads_and_do_not_call_files_are_reported_with_their_line_numbers": "CSV and text files",
    "test_shipped_leads_file_holds_ten_numbers_one_of_them_on_the_do_not_call_list": "a CSV file",
    "test_the_loader_reads_a_leads_files_header_only_and_the_check_every_row": "a CSV file",
    "test_a_leads_files_header_is_checked_by_the_loader_and_reported_once": "a CSV file",
    "test_defaults_keep_the_shipped_behaviour": "the shipped files",
    "test_the_shipped_supervisor_monitors_sales_and_support": "the shipped files",
    "test_no_file_means_no_supervisors": "no file",
    "test_the_shipped_bot_fronts_sales_with_the_business_hours_and_the_catalogue": "the shipped files",
    "test_no_file_means_no_bots": "no file",
    "test_catalogue_too_large": "a CSV file",
    "test_bad_catalogue_rows_are_reported_with_their_line_numbers": "a CSV file",
    "test_without_capacity_settings_every_agent_takes_one_call_at_a_time": "the shipped files",
    "test_the_shipped_chat_has_a_topic_with_the_shop_bot_and_one_straight_to_support": "the shipped files",
}


@pytest.fixture
def checkout(tree: Tree) -> Tree:
    link_schemas(tree.root)
    return tree


def _loader_reports(tree: Tree, case: Case) -> list[str]:
    found = [str(error) for error in check_config(tree.config_file, env={})]
    assert any(problem.startswith(case.problem) for problem in found), found
    return found


@pytest.mark.parametrize("case", REFUSED, ids=lambda case: case.id)
def test_the_schema_refuses_what_the_loader_refuses(checkout: Tree, case: Case) -> None:
    case.apply(checkout)
    _loader_reports(checkout, case)

    assert case.schema_refuses_the_key(checkout), case.schema_errors(checkout)


@pytest.mark.parametrize("case", NOT_EXPRESSIBLE, ids=lambda case: case.id)
def test_what_a_schema_cannot_express_passes_it(checkout: Tree, case: Case) -> None:
    assert case.why_not
    case.apply(checkout)
    _loader_reports(checkout, case)

    # When this fails the schema has learnt to refuse the case: move it to REFUSED.
    assert case.schema_errors(checkout) == []


@pytest.mark.parametrize("case", NOT_A_DOCUMENT, ids=lambda case: case.source)
def test_broken_yaml_never_reaches_a_schema(checkout: Tree, case: Case) -> None:
    case.apply(checkout)
    _loader_reports(checkout, case)

    with pytest.raises((yaml.YAMLError, FileNotFoundError)):
        case.schema_errors(checkout)


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda case: f"{case.source.removeprefix('test_')}:{case.file}")
def test_what_the_loader_accepts_passes_the_schema(checkout: Tree, case: Case) -> None:
    case.apply(checkout)

    assert [str(error) for error in check_config(checkout.config_file, env={})] == []
    assert case.schema_errors(checkout) == []


def test_every_config_test_is_accounted_for() -> None:
    tests = {name for module in MODULES for name in vars(module) if name.startswith("test_")}
    with_cases = {case.source for case in REFUSED + NOT_EXPRESSIBLE + NOT_A_DOCUMENT + ACCEPTED}

    assert with_cases <= tests
    assert tests - with_cases == set(WITHOUT_A_CASE)
