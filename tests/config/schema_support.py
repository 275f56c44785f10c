"""Checking YAML files against the packaged JSON Schemas the way an editor with the YAML language server does:
the schema named on the file's first line, its ``$ref``s to sibling schema files resolved beside it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from ccswitch.config._reader import _Loader
from ccswitch.config.schemas import FOLDER, NAMES, schema_path

MODELINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")

REGISTRY: Registry[Any] = Registry().with_resources(
    (path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT7))
    for path in FOLDER.glob("*.schema.json")
)


def validator(name: str) -> Draft7Validator:
    """Schema ``name`` with its references and formats (``regex``) checked."""
    return Draft7Validator(
        {"$ref": schema_path(name).name}, registry=REGISTRY, format_checker=Draft7Validator.FORMAT_CHECKER
    )


def read(path: Path) -> Any:
    """The YAML file as the loader reads it, in JSON's terms: mapping keys are text (``"1000":`` and ``1000:``
    alike) and unquoted dates are their ``YYYY-MM-DD`` text, as YAML 1.2 editors read them."""
    return _as_json(yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader))  # _Loader is a SafeLoader


def _as_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def schema_name(path: Path) -> str:
    """The schema the file's first line names (a path relative to the file)."""
    found = MODELINE.match(path.read_text(encoding="utf-8"))
    assert found, f"{path}: first line is not '# yaml-language-server: $schema=<path>'"
    target = (path.parent / found[1]).resolve()
    names = [name for name in NAMES if schema_path(name) == target]
    assert names, f"{path}: {found[1]} is not one of the packaged schemas in {FOLDER}"
    return names[0]


def link_schemas(root: Path) -> None:
    """Make a copy of the configuration under ``root`` find the schemas where its first lines say, as in a checkout."""
    (root / "ccswitch" / "config").mkdir(parents=True)
    (root / "ccswitch" / "config" / "schemas").symlink_to(FOLDER, target_is_directory=True)


def schema_errors(path: Path, name: str | None = None) -> list[ValidationError]:
    """What schema ``name`` (default: the one the file's first line names) finds wrong in the file."""
    return list(validator(name or schema_name(path)).iter_errors(read(path)))


def key_path(text: str) -> tuple[str | int, ...]:
    """A key path of the loader's messages as JSON path parts: ``rules[1].then`` → ("rules", 1, "then")."""
    return tuple(int(index) if index else name for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text))


def every_error(errors: list[ValidationError]) -> Iterator[ValidationError]:
    """The errors and, under each, those of the branches (oneOf, anyOf) that failed."""
    for error in errors:
        yield error
        yield from every_error(list(error.context or []))


def describe(errors: list[ValidationError]) -> list[str]:
    return [f"{'.'.join(map(str, error.absolute_path))}: {error.message}" for error in errors]
