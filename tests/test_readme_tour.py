"""The README's tour is proven: its shell blocks run in order against a real `cpts-snp serve`
on a freshly seeded demo (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), and every
`curl` answers the status its comment gives (200 when it gives none) and the fields shown."""

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.databases import BACKENDS
from tests.live import cli_env, database_url, free_port, run_cli, serving

README = Path(__file__).resolve().parent.parent / "README.md"
TOUR_START, TOUR_END = "## API tour", "## Benchmarks"
README_API = "API=http://127.0.0.1:8000"
EXPECTATION = re.compile(r"→\s*(\d{3})(?:\s+(\{.*\}))?\s*$")
CURL_WORD = re.compile(r"(?<![\w$-])curl(?=\s)")

# Wraps every README curl: the body still goes where the README sends it, the status line
# is read from the dumped headers, and both are kept per call for the checks below.
WRAPPER = r"""
set -euo pipefail
readme_curl() {
  local index=$1; shift
  local headers="$CALLS/$index.headers"
  command curl -D "$headers" "$@" | tee "$CALLS/$index.body"
  echo "$index $(grep -E '^HTTP/' "$headers" | tail -1 | cut -d' ' -f2)" >> "$CALLS/log"
}
"""


@dataclass(frozen=True)
class Call:
    """One curl of the tour: where it is, what it must answer."""

    line: int
    status: int
    fields: dict[str, Any]


def tour_script() -> str:
    """The bash blocks of the README's tour, in order."""
    text = README.read_text()
    tour = text[text.index(TOUR_START) : text.index(TOUR_END)]
    return "\n".join(re.findall(r"```bash\n(.*?)```", tour, flags=re.S))


def instrument(script: str) -> tuple[str, list[Call]]:
    """The script with each curl command replaced by ``readme_curl <n>``, and what each of
    them must answer (read from the comment ending its command)."""
    calls: list[Call] = []
    pieces: list[str] = []
    quote: str | None = None
    index, last = 0, 0
    pending: list[int] = []  # curls whose command has not ended yet
    while index < len(script):
        char = script[index]
        if quote is not None:
            if char == "\\" and quote == '"':
                index += 2
                continue
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "\\":
            index += 2
            continue
        elif char == "#" and (index == 0 or script[index - 1] in " \t\n"):
            end = script.find("\n", index)
            end = len(script) if end == -1 else end
            comment = script[index:end]
            _settle(calls, pending, comment)
            index = end
            continue
        elif char == "\n":
            _settle(calls, pending, "")
        elif (match := CURL_WORD.match(script, index)) is not None:
            pieces.append(script[last:index] + f"readme_curl {len(calls)}")
            last = match.end()
            calls.append(Call(line=script.count("\n", 0, index) + 1, status=0, fields={}))
            pending.append(len(calls) - 1)
            index = match.end()
            continue
        index += 1
    _settle(calls, pending, "")
    pieces.append(script[last:])
    return "".join(pieces), calls


def _settle(calls: list[Call], pending: list[int], comment: str) -> None:
    """The command of the ``pending`` curls ended with ``comment``: record what it expects."""
    found = EXPECTATION.search(comment)
    for number in pending:
        status = int(found.group(1)) if found else 200
        fields = json.loads(found.group(2)) if found and found.group(2) else {}
        calls[number] = Call(line=calls[number].line, status=status, fields=fields)
    pending.clear()


def contains(answer: Any, expected: Any) -> bool:
    """Whether ``answer`` has every field of ``expected`` (recursively) with its value."""
    if isinstance(expected, dict):
        return isinstance(answer, dict) and all(
            key in answer and contains(answer[key], value) for key, value in expected.items()
        )
    return bool(answer == expected)


def test_the_tour_finds_every_curl_and_its_expectation() -> None:
    script, calls = instrument(tour_script())
    assert README_API in script and "source demo-tokens.env" in script
    assert len(calls) > 60
    assert script.count("readme_curl ") == len(calls)
    assert not CURL_WORD.search(re.sub(r"#.*", "", script)), "every curl command is wrapped"
    statuses = {call.status for call in calls}
    assert {200, 201, 202, 304, 404, 409} <= statuses


@pytest.mark.parametrize("backend", BACKENDS)
def test_readme_tour_runs_against_a_live_server(backend: str, tmp_path: Path) -> None:
    script, calls = instrument(tour_script())
    with database_url(backend, tmp_path) as url:
        env = cli_env(url, free_port())
        run_cli("migrate", env=env, cwd=tmp_path)
        run_cli("seed-demo", "--tokens-file", "demo-tokens.env", env=env, cwd=tmp_path)
        with serving(env, tmp_path) as base:
            record = tmp_path / "calls"
            record.mkdir()
            ran = subprocess.run(
                ["bash", "-c", WRAPPER + script.replace(README_API, f"API={base}")],
                cwd=tmp_path,
                env={**env, "CALLS": str(record)},
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
    assert ran.returncode == 0, f"the tour stopped:\n{ran.stdout[-3000:]}\n{ran.stderr[-3000:]}"
    answered: dict[int, int] = {}
    for line in (record / "log").read_text().splitlines():
        number, status = line.split()
        answered[int(number)] = int(status)  # in a polling loop, the last answer counts
    for number, call in enumerate(calls):
        where = f"README tour line {call.line}"
        assert number in answered, f"{where}: this curl never ran"
        body = (record / f"{number}.body").read_text()
        assert answered[number] == call.status, f"{where}: {answered[number]} {body[:500]}"
        if call.fields:
            assert contains(json.loads(body), call.fields), f"{where}: {body[:800]}"
