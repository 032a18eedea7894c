"""The Dockerfile (no Docker daemon needed): its health check, run as Docker would run it
against a real server, follows PORT; the SQLite default lives on a volume; the user is
numeric."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

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
