"""chatbots.yaml: the chatbots in front of chat queues, and the catalogue files they answer from.

A bot starts from the built-in intents and texts (``ccswitch.chat.defaults``); its ``intents:`` and ``texts:``
replace them per language. Patterns must be in the safe subset (``ccswitch.chat.patterns``). A catalogue is a CSV
file (``CATALOGUE_COLUMNS``) of at most ``MAX_CATALOGUE_BYTES`` and ``MAX_CATALOGUE_ITEMS`` rows, read whole here so
that the bot never touches a file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, get_args

from ccswitch.chat.defaults import BUILT_IN, TEXT_FIELDS, TEXTS, Answer
from ccswitch.chat.patterns import UnsafePattern, compile_pattern
from ccswitch.chat.text import LANGUAGES, Keyword, Language, WordIndex, keyword, template_fields
from ccswitch.config import _fields as f
from ccswitch.config._common import _name, _optional_entries
from ccswitch.config._reader import Issues, Node
from ccswitch.config.model import BotCalendar, BotIntent, Catalogue, CatalogueItem, ChatBot, Dialplan

MAX_TEXT_CHARS = 2000
MAX_KEYWORDS = 200  # per intent and language
MAX_PATTERNS = 20  # per intent
MAX_CATALOGUE_BYTES = 1024 * 1024
MAX_CATALOGUE_ITEMS = 5000
CATALOGUE_COLUMNS = ("sku", "name_en", "name_ru", "keywords", "price", "stock", "promotion_en", "promotion_ru")
_PRICE = re.compile(r"[0-9]{1,12}(?:[.,][0-9]{1,2})?")  # "4,990" is refused, not read as 4.99
_NEEDS_CATALOGUE: tuple[Answer, ...] = ("price", "availability", "promotions")
# Words of item names too common to name an item.
_NOT_NAMING = frozenset({"the", "and", "for", "with", "of", "a", "an", "и", "в", "на", "с", "для", "по"})


def _chatbots(issues: Issues, file: Path, dialplans: Mapping[str, Dialplan], refs: list[f.Ref]) -> dict[str, ChatBot]:
    """``<name>: {...}`` (see ``ChatBot``); no file means no bots. Catalogue files are relative to its folder."""
    catalogues: dict[Path, Catalogue | None] = {}
    return {name: _bot(node, name, file.parent, dialplans, catalogues, refs)
            for name, node in _optional_entries(issues, file)}


def _bot(node: Node, name: str, folder: Path, dialplans: Mapping[str, Dialplan],
         catalogues: dict[Path, Catalogue | None], refs: list[f.Ref]) -> ChatBot:
    node.known(("queue", "language", "calendar", "catalogue", "currency", "max_misses_in_row", "texts", "intents"))
    queue = node.text("queue", token=f.NAME)
    refs.append(f.Ref("queue", queue, node.file, node.at("queue")))
    calendar = _calendar(node.section("calendar"), dialplans) if "calendar" in node.data else None
    catalogue = _catalogue(node, folder, catalogues) if "catalogue" in node.data else None
    intents = _intents(node.section("intents"), has_calendar="calendar" in node.data,
                       has_catalogue="catalogue" in node.data)
    return ChatBot(
        name=name,
        queue=queue,
        language=_language(node, "language"),
        intents=intents,
        intent_index=WordIndex.build((word, position) for position, intent in enumerate(intents)
                                     for word in intent.keywords),
        texts=_texts(node.section("texts")),
        max_misses_in_row=node.integer("max_misses_in_row", 3, 1, 20),
        currency=_currency(node),
        calendar=calendar,
        catalogue=catalogue,
    )


def _currency(node: Node) -> str:
    """Shown after prices: ``₽``, ``RUB``."""
    currency = node.text("currency", "")
    if len(currency) > 10:
        node.error("currency", f"{currency[:20]!r}...: at most 10 characters")
        return ""
    return currency


def _language(node: Node, key: str) -> Language:
    value = node.choice(key, "ru", LANGUAGES)
    return "en" if value == "en" else "ru"


def _calendar(node: Node, dialplans: Mapping[str, Dialplan]) -> BotCalendar | None:
    """``{dialplan: main, rule: business-hours}``: the opening hours are those of that rule."""
    node.known(("dialplan", "rule"))
    dialplan_name, rule_name = node.text("dialplan", token=f.NAME), node.text("rule", token=f.NAME)
    dialplan = dialplans.get(dialplan_name)
    if dialplan is None:
        if dialplan_name and "dialplan" not in node.issues.unknowable:
            node.error("dialplan", f"unknown calendar: no dialplan {dialplan_name!r} "
                                   f"(known: {', '.join(sorted(dialplans)) or 'none'})")
        return None
    rule = next((rule for rule in dialplan.rules if rule.name == rule_name), None)
    if rule is None:
        if rule_name:
            node.error("rule", f"unknown calendar: dialplan {dialplan_name!r} has no rule {rule_name!r} "
                               f"(known: {', '.join(rule.name for rule in dialplan.rules) or 'none'})")
        return None
    if rule.caller_pattern is not None or (rule.did_pattern is not None and not rule.dids):
        node.error("rule", f"rule {rule_name!r} matches by a number pattern (did_pattern without did, or "
                           "caller_pattern): a chat has no number to try; name a rule with a plain did list")
        return None
    return BotCalendar(dialplan, rule, min(rule.dids, default=""))


def _per_language(node: Node, key: str) -> dict[Language, str]:
    """``{en: "...", ru: "..."}``: either or both."""
    section = node.section(key)
    section.known(LANGUAGES)
    texts: dict[Language, str] = {}
    for language in LANGUAGES:
        if language in section.data:
            text = section.text(language)
            if len(text) > MAX_TEXT_CHARS:
                section.error(language, f"{len(text):,} characters; a reply may have at most {MAX_TEXT_CHARS:,}")
            texts[language] = text
    if not section.data:
        node.error(key, "expected a text in en, ru or both")
    return texts


def _both(texts: Mapping[Language, str]) -> MappingProxyType[Language, str]:
    """A text in both languages: one given in one language only serves the other too."""
    return MappingProxyType({language: texts.get(language) or next(iter(texts.values()), "")
                             for language in LANGUAGES})


def _texts(node: Node) -> MappingProxyType[str, MappingProxyType[Language, str]]:
    node.known(TEXT_FIELDS)
    texts = {}
    for key, defaults in TEXTS.items():
        given = _per_language(node, key) if key in node.data else {}
        for language, text in given.items():
            unknown = sorted(set(template_fields(text)) - TEXT_FIELDS[key])
            if unknown:
                allowed = ", ".join(f"{{{field}}}" for field in sorted(TEXT_FIELDS[key])) or "none"
                node.error(f"{key}.{language}", f"unknown field {{{unknown[0]}}} (this text may use: {allowed})")
        texts[key] = MappingProxyType({**defaults, **given})
    return MappingProxyType(texts)


def _intents(node: Node, has_calendar: bool, has_catalogue: bool) -> tuple[BotIntent, ...]:
    """The bot's own intents in file order, then the built-in ones it can answer (hours: with a calendar; price,
    availability and promotions: with a catalogue), their words replaced per language by the file's."""
    built_in = [answer for answer in BUILT_IN
                if (answer != "hours" or has_calendar) and (answer not in _NEEDS_CATALOGUE or has_catalogue)]
    own: list[BotIntent] = []
    replaced: dict[Answer, BotIntent] = {}
    for raw_name, raw in node.data.items():
        name = str(raw_name)
        entry = node.child(name, raw)
        if entry is None or not _name(node, name):
            continue
        answer = next((kind for kind in get_args(Answer) if kind == name and kind != "reply"), None)
        if answer is None:
            own.append(_own_intent(entry, name))
        elif answer not in built_in:
            needs = "a calendar" if answer == "hours" else "a catalogue"
            node.error(name, f"the built-in intent {name!r} needs {needs} in this bot")
        else:
            replaced[answer] = _built_in_intent(entry, answer)
    return (*own, *(replaced.get(answer) or _default_intent(answer) for answer in built_in))


def _own_intent(node: Node, name: str) -> BotIntent:
    node.known(("keywords", "patterns", "reply"))
    keywords, patterns = _keywords(node, {}), _patterns(node)
    if not keywords and not patterns:
        node.error(None, "an intent needs keywords, patterns or both")
    if "reply" not in node.data:
        node.error("reply", f"missing: what the bot answers (built-in intents: {', '.join(BUILT_IN)})")
    return BotIntent(name, "reply", keywords, patterns, _both(_per_language(node, "reply")) if "reply" in node.data
                     else MappingProxyType({}))


def _built_in_intent(node: Node, answer: Answer) -> BotIntent:
    node.known(("keywords", "patterns"))
    return BotIntent(answer, answer, _keywords(node, BUILT_IN[answer]), _patterns(node))


def _default_intent(answer: Answer) -> BotIntent:
    return BotIntent(answer, answer, _parsed(word for words in BUILT_IN[answer].values() for word in words), ())


def _keywords(node: Node, defaults: Mapping[Language, tuple[str, ...]]) -> tuple[Keyword, ...]:
    """``keywords: {en: [...], ru: [...]}``: a language given replaces that language's defaults."""
    section = node.section("keywords")
    section.known(LANGUAGES)
    words: list[str] = []
    for language in LANGUAGES:
        if language not in section.data:
            words += defaults.get(language, ())
            continue
        given = section.items(language)
        if len(given) > MAX_KEYWORDS:
            section.error(language, f"{len(given)} keywords; at most {MAX_KEYWORDS}")
        for index, word in enumerate(given[:MAX_KEYWORDS]):
            if not isinstance(word, str | int) or isinstance(word, bool) or keyword(str(word)) is None:
                section.error(f"{language}[{index}]", f"expected a word or phrase with letters or digits, "
                                                      f"got {word!r}")
            elif len(str(word)) > 100:
                section.error(f"{language}[{index}]", "a keyword may have at most 100 characters")
            else:
                words.append(str(word))
    return _parsed(words)


def _parsed(words: Iterable[str]) -> tuple[Keyword, ...]:
    unique = {parsed.text: parsed for word in words if (parsed := keyword(word)) is not None}
    return tuple(unique.values())


def _patterns(node: Node) -> tuple[re.Pattern[str], ...]:
    raw = node.items("patterns")
    if len(raw) > MAX_PATTERNS:
        node.error("patterns", f"{len(raw)} patterns; at most {MAX_PATTERNS}")
    compiled = []
    for index, text in enumerate(raw[:MAX_PATTERNS]):
        where = f"patterns[{index}]"
        if not isinstance(text, str) or not text:
            node.error(where, f"expected a regular expression, got {text!r}")
            continue
        try:
            compiled.append(compile_pattern(text))
        except UnsafePattern as exc:
            node.error(where, f"{exc} in {text[:60]!r}")
    return tuple(compiled)


def _catalogue(node: Node, folder: Path, catalogues: dict[Path, Catalogue | None]) -> Catalogue | None:
    name = node.text("catalogue")
    if not name:
        return None
    path = (folder / name).resolve()
    if path.suffix != ".csv":
        node.error("catalogue", f"expected a .csv file, got {name!r}")
        return None
    if not path.is_file():
        node.error("catalogue", f"file not found: {node.issues.display(path)}")
        return None
    if path not in catalogues:
        catalogues[path] = _read_catalogue(node.issues, path)
    return catalogues[path]


def _read_catalogue(issues: Issues, path: Path) -> Catalogue | None:
    file = issues.display(path)
    size = path.stat().st_size
    if size > MAX_CATALOGUE_BYTES:
        issues.add(file, "", f"file is {size:,} bytes; a catalogue may have at most {MAX_CATALOGUE_BYTES:,}")
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        issues.add(file, "", f"cannot read the catalogue: {exc}")
        return None
    rows = csv.DictReader(io.StringIO(text, newline=""))
    header = rows.fieldnames or []
    unknown = [column for column in header if column not in CATALOGUE_COLUMNS]
    if unknown or "sku" not in header or not {"name_en", "name_ru"} & set(header):
        issues.add(file, "line 1", f"expected the columns sku, name_en and/or name_ru, and optionally "
                                   f"{', '.join(CATALOGUE_COLUMNS[3:])}; got {', '.join(header) or 'nothing'}")
        return None
    items: list[CatalogueItem] = []
    words: list[tuple[Keyword, int]] = []
    for line, row in enumerate(rows, start=2):
        if len(items) == MAX_CATALOGUE_ITEMS:
            issues.add(file, "", f"more than {MAX_CATALOGUE_ITEMS:,} items; a catalogue may have at most "
                                 f"{MAX_CATALOGUE_ITEMS:,}")
            return None
        read = _item(issues, file, line, row)
        if read is None:
            continue
        item, item_words = read
        if any(each.sku == item.sku for each in items):
            issues.add(file, f"line {line}", f"sku {item.sku!r} listed twice")
        words += ((word, len(items)) for word in item_words)
        items.append(item)
    return Catalogue(path, tuple(items), WordIndex.build(words))


def _item(issues: Issues, file: str, line: int, row: dict[str | Any, str | Any]
          ) -> tuple[CatalogueItem, tuple[Keyword, ...]] | None:
    """The row's item and the words that name it: those of its names (less the most common ones) and its
    ``keywords`` (``;``-separated words or phrases)."""
    def problem(text: str) -> None:
        issues.add(file, f"line {line}", text)

    if None in row:  # more fields than the header
        problem(f"{len(row) - 1 + len(row[None])} fields; the header has {len(row) - 1}")
        return None
    cell = {column: (row.get(column) or "").strip() for column in CATALOGUE_COLUMNS}
    if not f.NAME.pattern.fullmatch(cell["sku"]):
        problem(f"sku: {cell['sku']!r} is not letters, digits, '_' and '-'")
        return None
    names = {language: cell[f"name_{language}"] for language in LANGUAGES if cell[f"name_{language}"]}
    if not names:
        problem("name_en, name_ru: the item needs a name")
        return None
    price = None
    if cell["price"]:
        digits = cell["price"].replace(" ", "")
        if not _PRICE.fullmatch(digits):
            problem(f"price: expected a number such as 4990 or 12.50 (spaces between thousands, '.' or ',' before "
                    f"at most two decimals), got {cell['price']!r}")
            return None
        price = Decimal(digits.replace(",", "."))
    stock = None
    if cell["stock"]:
        if not cell["stock"].isdigit() or len(cell["stock"]) > 9:
            problem(f"stock: expected a whole number of at least 0, got {cell['stock']!r}")
            return None
        stock = int(cell["stock"])
    promotions = {language: cell[f"promotion_{language}"] for language in LANGUAGES if cell[f"promotion_{language}"]}
    item = CatalogueItem(cell["sku"], _both(names), price, stock,
                         _both(promotions) if promotions else MappingProxyType({}))
    name_words = [word for name in names.values() for word in name.split() if word.casefold() not in _NOT_NAMING]
    return item, _parsed([*name_words, *(word for word in cell["keywords"].split(";") if word.strip())])
