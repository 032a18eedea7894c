"""The Dockerfile and compose.yaml (no Docker daemon needed): the health check, run as Docker
would run it against a real server, follows PORT; the SQLite default lives on a volume; the
user is numeric; compose runs migrations once, in its release service, before the API
replicas (which do not migrate) and the workers."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from app import cli
from tests.live import cli_env, database_url, free_port, run_cli, serving

DOCKERFILE = Path(__file__).resolve().parent.parent / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (keyword, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def single(keyword: str) -> str:
    """The arguments of the one instruction ``keyword``."""
    (found,) = [arguments for word, arguments in instructions() if word == keyword]
    return found


def environment() -> dict[str, str]:
    """The image's ENV values."""
    pairs = re.findall(r"(\w+)=(\S+)", " ".join(a for w, a in instructions() if w == "ENV"))
    return dict(pairs)


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's command, which must be in exec form (a JSON array)."""
    command = single("HEALTHCHECK").split(" CMD ", 1)[1].strip()
    assert command.startswith("["), "HEALTHCHECK must use the exec form, not a shell"
    argv = json.loads(command)
    assert isinstance(argv, list)
    return [str(part) for part in argv]


def test_user_is_numeric_and_the_sqlite_default_is_on_a_volume() -> None:
    assert single("USER").isdigit()
    database = environment()["DATABASE_URL"]
    assert database.startswith("sqlite:////")
    volumes = json.loads(single("VOLUME"))
    assert any(database.removeprefix("sqlite:///").startswith(v.rstrip("/") + "/") for v in volumes)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_healthcheck_follows_port(backend: str, tmp_path: Path) -> None:
    argv = healthcheck_command()
    assert argv[0] == "python"
    probe = [sys.executable, *argv[1:]]
    with database_url(backend, tmp_path) as url:
        env = cli_env(url, free_port())
        run_cli("migrate", env=env, cwd=tmp_path)
        with serving(env, tmp_path):
            healthy = subprocess.run(probe, env=env, capture_output=True, timeout=10)
            assert healthy.returncode == 0, healthy.stderr
            elsewhere = {**env, "PORT": str(free_port())}
            unhealthy = subprocess.run(probe, env=elsewhere, capture_output=True, timeout=10)
            assert unhealthy.returncode != 0


def test_environment_and_public_base_url_are_documented_in_the_image() -> None:
    env = environment()
    assert env["ENVIRONMENT"] == "development"
    assert env["PUBLIC_BASE_URL"].startswith("http")
    text = DOCKERFILE.read_text()
    assert "ENVIRONMENT=production refuses SQLite" in text


COMPOSE = DOCKERFILE.with_name("compose.yaml")


def compose() -> dict[str, Any]:
    """compose.yaml, parsed (anchors and merge keys resolved)."""
    parsed = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(parsed, dict)
    return parsed


def command(service: dict[str, Any]) -> list[str]:
    """A service's command, which must be in exec form (a list)."""
    argv = service["command"]
    assert isinstance(argv, list), "commands use the exec form"
    return [str(part) for part in argv]


def test_compose_has_the_production_services() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "release", "api", "worker"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["db"]["healthcheck"]["test"][0] == "CMD"
    for name in ("release", "api", "worker"):
        env = services[name]["environment"]
        assert env["ENVIRONMENT"] == "production"
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@db:5432/" in env["DATABASE_URL"]
        assert env["JOB_BACKEND"] == "procrastinate"
        assert "PUBLIC_BASE_URL" in env
    assert command(services["worker"]) == ["cpts-snp", "worker"]
    assert services["worker"]["healthcheck"] == {"disable": True}
    assert "healthcheck" not in services["api"], "the API keeps the image's HEALTHCHECK"
    assert services["api"]["environment"]["PORT"] == "8000"
    assert any(str(p).endswith(":8000") for p in services["api"]["ports"])


def test_compose_migrates_once_in_the_release_service_only() -> None:
    services = compose()["services"]
    assert command(services["release"]) == ["cpts-snp", "migrate"]
    assert services["release"]["restart"] == "no"
    assert services["release"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("api", "worker"):
        argv = command(services[name])
        assert "migrate" not in argv
        assert services[name]["depends_on"] == {
            "release": {"condition": "service_completed_successfully"}
        }
    assert command(services["api"])[:3] == ["cpts-snp", "serve", "--no-migrate"]
    assert services["api"]["deploy"]["replicas"] >= 2


@pytest.mark.parametrize("flag", [[], ["--no-migrate"]])
def test_serve_migrates_unless_told_not_to(
    flag: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    migrated: list[str] = []
    served: list[dict[str, Any]] = []
    monkeypatch.setattr(cli.schema, "upgrade", migrated.append)
    monkeypatch.setattr(cli, "serve", lambda *a, **kw: served.append(kw))
    cli.main(["serve", *flag])
    assert len(migrated) == (0 if flag else 1)
    assert len(served) == 1
