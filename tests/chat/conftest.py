"""A chatbot built from YAML in a copy of the shipped configuration, for the engine's tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ccswitch.config import load_config
from ccswitch.config.model import ChatBot

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_bot(tmp_path: Path) -> object:
    """``make_bot(yaml, catalogue=None)``: the bot ``test`` defined by ``yaml`` (a bot's settings), with the
    shipped dialplans and queues."""
    for folder in ("config", "dialplans", "ivr"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    for wav in (REPO / "sounds").rglob("*.wav"):  # the loader checks that prompts exist, not what they hold
        stand_in = tmp_path / "sounds" / wav.relative_to(REPO / "sounds")
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.touch()
    main = tmp_path / "config" / "ccswitch.yaml"  # the web chat's topic greets with the test bot, not the shop
    main.write_text(main.read_text().replace("bot: shop}", "bot: test}"))

    def make(settings: str, catalogue: str | None = None) -> ChatBot:
        if catalogue is not None:
            (tmp_path / "config" / "catalogue.csv").write_text(catalogue)
        (tmp_path / "config" / "chatbots.yaml").write_text("test:\n" + "".join(
            f"  {line}\n" for line in settings.splitlines()))
        return load_config(tmp_path / "config" / "ccswitch.yaml", env={}).chatbots["test"]

    return make
