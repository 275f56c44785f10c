"""``ccswitch bot``: talk to a chatbot of the configuration from the terminal or a script, as the engineer editing
chatbots.yaml does: each line read is a customer message; the bot's replies come back with what it understood
(the intent, the keywords and patterns found, the catalogue items named). Nothing runs but the pure bot."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ccswitch.cli._root import config_option, main
from ccswitch.errors import CcswitchError

if TYPE_CHECKING:
    from ccswitch.chat.bot import Turn
    from ccswitch.config.model import ChatBot


@main.command("bot")
@config_option
@click.option("--bot", "name", help="The bot in chatbots.yaml [the only one].")
@click.option("--at", "at_text", help='The time of every message: "2026-12-08 19:30" in the dialplan\'s time zone, or '
                                      "ISO 8601 with an offset [now, at each message].")
@click.option("--wait", "wait_s", type=click.FloatRange(min=0),
              help="The expected wait for a person, in seconds, as the router would supply it [an estimate from the "
                   "configuration: the first in line, the bot's queue's default_aht_s over its agents].")
@click.option("--intents", "show_intents", is_flag=True, help="List the bot's intents with their words and stop.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line for each message read.")
def bot_command(config_path: Path, name: str | None, at_text: str | None, wait_s: float | None, show_intents: bool,
                as_json: bool) -> None:
    """Talk to a chatbot: each line on standard input is a customer message. A handed-over conversation ends with
    the transcript the agent would get, and the next line starts a new one."""
    from ccswitch.acd.waiting import expected_wait_s
    from ccswitch.chat.bot import CustomerMessage, Opened, new_conversation, step
    from ccswitch.config import load_config
    from ccswitch.routing.explain import parse_at

    try:
        config = load_config(config_path)
    except CcswitchError as exc:
        raise click.ClickException(str(exc)) from exc
    bot = _chosen(config.chatbots, name)
    if show_intents:
        _echo_intents(bot)
        return
    try:
        at = parse_at(at_text, config.timezone) if at_text else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--at'") from exc
    if wait_s is None:
        queue = config.queues[bot.queue]
        wait_s = expected_wait_s(1, len(config.members(bot.queue)), queue.default_aht_s)
    interactive = sys.stdin.isatty() and not as_json
    conversation = None
    while True:
        now = at or datetime.now(UTC)
        if conversation is None:
            turn = step(bot, new_conversation(bot), Opened(), now)
            _echo_turn(turn, None, as_json, config.timezone)
            conversation = turn.conversation
        if interactive:
            click.echo("> ", nl=False)
        line = sys.stdin.readline()
        if not line:
            return
        turn = step(bot, conversation, CustomerMessage(line.rstrip("\n")), now, wait_s)
        _echo_turn(turn, line.rstrip("\n"), as_json, config.timezone)
        conversation = None if turn.handover else turn.conversation


def _chosen(bots: Any, name: str | None) -> ChatBot:
    if name is None and len(bots) == 1:
        return next(iter(bots.values()))  # type: ignore[no-any-return]
    if name not in bots:
        known = ", ".join(sorted(bots)) or "none: add one to chatbots.yaml"
        raise click.BadParameter(f"no bot {name!r} (known: {known})" if name else f"name one (known: {known})",
                                 param_hint="'--bot'")
    return bots[name]  # type: ignore[no-any-return]


def _echo_turn(turn: Turn, message: str | None, as_json: bool, zone: tzinfo) -> None:
    understood, handover = turn.understood, turn.handover
    if as_json:
        click.echo(json.dumps({
            "message": message,
            "understood": None if understood is None else {
                "intent": understood.intent, "keywords": list(understood.keywords),
                "patterns": list(understood.patterns), "items": list(understood.items)},
            "replies": list(turn.replies),
            "language": turn.conversation.language,
            "misses_in_row": turn.conversation.misses_in_row,
            "handover": None if handover is None else {
                "queue": handover.queue, "reason": handover.reason, "language": handover.language,
                "transcript": [{"at": line.at.astimezone(zone).isoformat(), "by": line.by, "text": line.text}
                               for line in handover.transcript]},
        }, ensure_ascii=False))
        return
    if understood is not None:
        found = [*understood.keywords, *(f"/{pattern}/" for pattern in understood.patterns)]
        items = f"; items: {', '.join(understood.items)}" if understood.items else ""
        click.echo(f"  ~ {understood.intent or 'not understood'}"
                   f"{': ' + ', '.join(found) if found else ''}{items}")
    for reply in turn.replies:
        click.echo(f"bot: {reply}")
    if handover is not None:
        click.echo(f"  ~ handed over to queue {handover.queue} ({handover.reason}); the agent sees:")
        for line in handover.transcript:
            click.echo(f"    {line.at.astimezone(zone):%H:%M:%S} {line.by}: {line.text}")
        click.echo("  ~ a new conversation")


def _echo_intents(bot: ChatBot) -> None:
    for intent in bot.intents:
        click.echo(f"{intent.name} ({intent.answer})")
        if intent.keywords:
            click.echo(f"  keywords: {', '.join(keyword.text for keyword in intent.keywords)}")
        for pattern in intent.patterns:
            click.echo(f"  pattern: {pattern.pattern}")
