"""A writable copy of the shipped configuration: YAML files copied, prompt files as empty stand-ins."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


class Tree:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.config_file = root / "config" / "ccswitch.yaml"

    def edit(self, file: str, old: str, new: str) -> None:
        """Replace ``old`` (which must be there) by ``new`` in ``file``."""
        path = self.root / file
        text = path.read_text()
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new, 1))

    def write(self, file: str, text: str) -> None:
        path = self.root / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    for folder in ("config", "dialplans", "ivr"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    for wav in (REPO / "sounds").rglob("*.wav"):
        stand_in = tmp_path / "sounds" / wav.relative_to(REPO / "sounds")
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.touch()
    return Tree(tmp_path)
