"""deploy/: the systemd unit (systemd-analyze where available), the container recipe (every file it copies exists,
and the layout it builds passes ``ccswitch check``), the compose file and what it provisions (Prometheus with the
alert rules, Grafana with the dashboard). Docker cannot build here, so the recipe is checked by reading it."""

from __future__ import annotations

import glob
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ccswitch.cli import main as main_command
from ccswitch.config import check_config, load_config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "systemd" / "ccswitch.service"
LAYOUT_CONFIG = "/etc/ccswitch/ccswitch.yaml"


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def layout() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "ccswitch.yaml").read_text())
    return data


def test_the_unit_runs_the_layouts_config_hardened_with_only_state_and_recordings_writable() -> None:
    unit = unit_settings()
    assert unit["ExecStart"] == [f"/opt/ccswitch/.venv/bin/ccswitch run --config {LAYOUT_CONFIG}"]
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                       ("PrivateTmp", "yes"), ("PrivateDevices", "yes"), ("RestrictSUIDSGID", "yes"),
                       ("CapabilityBoundingSet", ""), ("User", "ccswitch")):
        assert unit[key] == [value], key
    writable = {path.lstrip("-") for paths in unit["ReadWritePaths"] for path in paths.split()}
    history = layout()["history"]["url"].removeprefix("sqlite:///")
    assert writable == {"/var/lib/ccswitch", layout()["recordings"]["dir"]}
    assert Path(history).parent.as_posix() in writable


def unit_for_this_machine(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this checkout's ccswitch (systemd-analyze checks the program exists)."""
    program = Path(sys.executable).with_name("ccswitch")
    if not program.exists():
        pytest.skip(f"no ccswitch script beside {sys.executable} to stand in for /opt/ccswitch/.venv/bin/ccswitch")
    unit = tmp_path / "ccswitch.service"
    unit.write_text(UNIT.read_text().replace("/opt/ccswitch/.venv/bin/ccswitch", str(program)))
    return unit


def systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (Debian: systemd package): the unit was not verified")
    return tool


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    tool, unit = systemd_analyze(), unit_for_this_machine(tmp_path)
    result = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    # verify exits 0 even for an unknown or misspelt setting; it names the file and line on stderr
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if unit.name in line]
    assert result.returncode == 0 and complaints == [], result.stdout + result.stderr


def test_systemd_analyze_security_rates_the_unit_ok(tmp_path: Path) -> None:
    tool, unit = systemd_analyze(), unit_for_this_machine(tmp_path)
    result = subprocess.run([tool, "security", "--offline=yes", str(unit)], capture_output=True, text=True,
                            timeout=60)
    level = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout + result.stderr)
    if level is None:
        pytest.skip(f"this systemd-analyze cannot rate a unit file offline: {result.stderr.strip()[:200]}")
    assert float(level.group(1)) <= 2.0, result.stdout  # systemd: up to 2.0 "OK"; a bare unit is 9.6 "UNSAFE"


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined: (INSTRUCTION, the rest of the line)."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.split(None, 1) for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return [(instruction, rest.strip()) for instruction, rest in lines]


def instructions(name: str) -> list[str]:
    return [rest for instruction, rest in dockerfile() if instruction == name]


def build_layout(root: Path) -> Path:
    """Do the Dockerfile's COPY instructions into ``root`` (its WORKDIR and absolute targets under it), create its
    folders, and point the copied main config at them: the image's file layout, without docker."""
    workdir = root
    for instruction, rest in dockerfile():
        if instruction == "WORKDIR":
            workdir = root / rest.lstrip("/")
        elif instruction == "COPY":
            *sources, target = shlex.split(rest)
            destination = root / target.lstrip("/") if target.startswith("/") else workdir / target
            for source in sources:
                matches = sorted(glob.glob(str(ROOT / source)))
                assert matches, f"deploy/Dockerfile copies {source}, which the checkout does not have"
                for match in map(Path, matches):
                    into = destination / match.name if target.endswith("/") or len(matches) > 1 else destination
                    into.parent.mkdir(parents=True, exist_ok=True)
                    (shutil.copytree if match.is_dir() else shutil.copyfile)(match, into)
    (root / "var/lib/ccswitch/recordings").mkdir(parents=True)
    main = root / LAYOUT_CONFIG.lstrip("/")
    text = main.read_text()
    for folder in ("/opt/ccswitch", "/var/lib/ccswitch", "/etc/ccswitch"):
        text = text.replace(folder, f"{root}{folder}")
    main.write_text(text)
    return main


def test_every_file_the_dockerfile_copies_exists_and_its_layout_passes_ccswitch_check(tmp_path: Path) -> None:
    main = build_layout(tmp_path)
    assert check_config(main, env={}) == []
    config = load_config(main, env={})
    assert config.history_url == f"sqlite:///{tmp_path}/var/lib/ccswitch/history.sqlite"
    assert config.paths.sounds == tmp_path / "opt/ccswitch/sounds"
    (check,) = [run for run in instructions("RUN") if f"ccswitch check --config {LAYOUT_CONFIG}" in run]  # when built
    # The layout warns (the placeholder ESL password): exit 3, which the build must let through, and errors not.
    result = CliRunner().invoke(main_command, ["check", "--config", str(main)], env={"CCSWITCH_ESL_PASSWORD": None})
    assert result.exit_code == 3, result.output
    assert f"ccswitch check --config {LAYOUT_CONFIG} || [ $? -eq 3 ]" in check
    assert [json.loads(entry) for entry in instructions("ENTRYPOINT")] == [["/opt/ccswitch/.venv/bin/ccswitch"]]
    assert [json.loads(cmd) for cmd in instructions("CMD")] == [["run", "--config", LAYOUT_CONFIG]]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def container_env() -> dict[str, str]:
    """The ccswitch container's environment: the Dockerfile's ENV, then compose's (required values filled in)."""
    env: dict[str, str] = {}
    for rest in instructions("ENV"):
        env.update(word.split("=", 1) for word in shlex.split(rest))
    for name, value in compose()["services"]["ccswitch"]["environment"].items():
        env[name] = re.sub(r"\$\{[A-Z_]+(:-([^}]*)|:\?[^}]*)\}", lambda m: m.group(2) or "fs.example.net", value)
    return env


def test_compose_starts_ccswitch_with_redis_prometheus_and_grafana_from_files_that_exist() -> None:
    services = compose()["services"]
    assert set(services) == {"ccswitch", "redis", "prometheus", "grafana"}
    build = services["ccswitch"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, which does not exist"
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_the_container_listens_for_prometheus_and_stores_in_redis(tmp_path: Path) -> None:
    config = load_config(build_layout(tmp_path), env=container_env())
    assert (config.http.host, config.store.backend, config.store.url) == ("0.0.0.0", "redis", "redis://redis:6379/0")
    assert container_env()["CCSWITCH_HTTP_OPEN"] == "1"  # no users: 'run' serves 0.0.0.0 as published on loopback
    assert config.nodes[0].host == "fs.example.net"
    assert instructions("EXPOSE") == [str(config.http.port)]
    assert compose()["services"]["ccswitch"]["ports"] == [f"127.0.0.1:{config.http.port}:{config.http.port}"]
    prometheus = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = prometheus["scrape_configs"]
    assert job["static_configs"][0]["targets"] == [f"ccswitch:{config.http.port}"]


def test_prometheus_in_compose_loads_the_shipped_alert_rules(tmp_path: Path) -> None:
    mounts = dict(volume.split(":")[:2] for volume in compose()["services"]["prometheus"]["volumes"])
    assert mounts["./prometheus/prometheus.yml"] == "/etc/prometheus/prometheus.yml"
    assert mounts["../config/prometheus/alerts.yml"] == "/etc/prometheus/alerts.yml"  # rule_files: alerts.yml
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian: prometheus package)")
    for source, target in mounts.items():  # the container's /etc/prometheus
        if source.startswith(".") and target.startswith("/etc/prometheus/"):
            shutil.copyfile(DEPLOY / source, tmp_path / Path(target).name)
    result = subprocess.run([promtool, "check", "config", "prometheus.yml"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr and "rules found" in result.stdout + result.stderr


def test_grafana_is_provisioned_with_prometheus_and_the_shipped_dashboard() -> None:
    grafana = compose()["services"]["grafana"]
    mounts = dict(volume.split(":")[:2] for volume in grafana["volumes"])
    provisioning = DEPLOY / "grafana" / "provisioning"
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    (datasource,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert datasource["type"] == "prometheus" and datasource["isDefault"] is True
    assert datasource["url"] == "http://prometheus:9090" and "prometheus" in compose()["services"]
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "ccswitch.yml").read_text())["providers"]
    dashboard_target = mounts["../config/grafana/ccswitch.json"]
    assert Path(dashboard_target).parent.as_posix() == provider["options"]["path"]
    dashboard = yaml.safe_load((ROOT / "config" / "grafana" / "ccswitch.json").read_text())
    # provisioning cannot fill an exported dashboard's __inputs; the datasource variable picks the default one
    assert "__inputs" not in dashboard
    assert any(v["type"] == "datasource" and v["query"] == "prometheus" for v in dashboard["templating"]["list"])
