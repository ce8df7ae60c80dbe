from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploy_actions.bundle.deployment_info import build_epoch, overridden, render
from deploy_actions.bundle.deployment_info import standard_facts as facts_of
from deploy_actions.core.errors import InputError
from deploy_actions.core.runfacts import run_facts

HOSTILE = [
    "fix: it's \"quoted\" and 'single'",
    "$(touch /tmp/deploy-actions-pwned) `touch /tmp/deploy-actions-pwned` ${HOME} $HOME",
    "line one\nline two\n\nKEY=injected\n",
    "'; touch /tmp/deploy-actions-pwned; echo '",
    "trailing backslash \\",
    "\\'\\\"",
    "tab\tand carriage\rreturn",
    "emoji 🚀 and 한국어",
    "",
    "!!history !$ *glob* ?",
]


def source_in_bash(text: str, keys: list[str], tmp_path: Path) -> dict[str, str]:
    """What a hook sees after `set -a; source deployment-info.env`: each value printed NUL-separated."""
    env_file = tmp_path / "deployment-info.env"
    env_file.write_text(text, encoding="utf-8")
    script = "set -a; . ./deployment-info.env; set +a; " + "; ".join(f'printf "%s\\0" "${k}"' for k in keys)
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, check=True,
                            env={"PATH": "/usr/bin:/bin"})
    values = result.stdout.decode("utf-8").split("\0")[:-1]
    return dict(zip(keys, values, strict=True))


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_round_trips_through_source_and_executes_nothing(value: str, tmp_path: Path) -> None:
    marker = Path("/tmp/deploy-actions-pwned")
    marker.unlink(missing_ok=True)
    text = render({"COMMIT_SHA": "abc"}, {"COMMIT_MESSAGE": value, "BRANCH": value})
    seen = source_in_bash(text, ["COMMIT_SHA", "COMMIT_MESSAGE", "BRANCH"], tmp_path)
    assert seen == {"COMMIT_SHA": "abc", "COMMIT_MESSAGE": value, "BRANCH": value}
    assert not marker.exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=80))
def test_any_text_round_trips(tmp_path: Path, value: str) -> None:
    assert source_in_bash(render({}, {"V": value}), ["V"], tmp_path) == {"V": value}


def standard_facts(environ: dict[str, str], image: str | None) -> dict[str, str]:
    facts = run_facts(environ, cwd=Path("/"))
    return facts_of(facts, image, build_epoch(environ, facts))


def test_nul_bytes_are_rejected_as_bad_input() -> None:
    with pytest.raises(InputError, match="deployment-info"):
        render({}, {"X": "a\x00b"})


def test_standard_facts_from_github_and_gitlab() -> None:
    github = standard_facts({"GITHUB_SHA": "a1", "GITHUB_REF": "refs/heads/main", "GITHUB_REPOSITORY": "o/r",
                             "GITHUB_ACTOR": "dev", "GITHUB_RUN_ID": "42", "GITHUB_SERVER_URL": "https://github.com",
                             "SOURCE_DATE_EPOCH": "1700000000"}, "repo/app:a1")
    assert github == {"COMMIT_SHA": "a1", "REF": "refs/heads/main", "REPOSITORY": "o/r", "ACTOR": "dev",
                      "RUN_URL": "https://github.com/o/r/actions/runs/42", "IMAGE": "repo/app:a1",
                      "DEPLOYED_AT": "2023-11-14T22:13:20Z", "COMMIT_MESSAGE": ""}
    gitlab = standard_facts({"CI_COMMIT_SHA": "b2", "CI_COMMIT_REF_NAME": "main", "CI_PROJECT_PATH": "g/p",
                             "GITLAB_USER_LOGIN": "ops", "CI_JOB_URL": "https://gitlab.example/g/p/-/jobs/7",
                             "SOURCE_DATE_EPOCH": "0"}, None)
    assert gitlab["COMMIT_SHA"] == "b2" and gitlab["RUN_URL"].endswith("/jobs/7")
    assert gitlab["DEPLOYED_AT"] == "1970-01-01T00:00:00Z" and gitlab["IMAGE"] == ""


def test_bad_source_date_epoch_is_a_configuration_error() -> None:
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        standard_facts({"SOURCE_DATE_EPOCH": "yesterday"}, None)


def test_commit_message_comes_from_the_ci_event_not_from_yaml(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    hostile = "fix: it's done\nIMAGE=evil:latest\n$(id)"
    event.write_text(json.dumps({"head_commit": {"message": hostile}}))
    facts = standard_facts({"GITHUB_EVENT_PATH": str(event)}, "good:1")
    assert facts["COMMIT_MESSAGE"] == hostile
    seen = source_in_bash(render(facts, {}), ["IMAGE", "COMMIT_MESSAGE"], tmp_path)
    assert seen == {"IMAGE": "good:1", "COMMIT_MESSAGE": hostile}
    assert standard_facts({"CI_COMMIT_MESSAGE": "gitlab msg\n"}, None)["COMMIT_MESSAGE"] == "gitlab msg"


SEPARATORS = [chr(c) for c in [*range(1, 32), *range(0x7F, 0xA0)]] + ["\u2028", "\u2029", "\ufeff"]


@pytest.mark.parametrize("char", SEPARATORS, ids=lambda c: f"U+{ord(c):04X}")
def test_every_value_stays_on_one_line_whatever_it_holds(char: str, tmp_path: Path) -> None:
    value = f"a{char}PATH=/evil{char}"
    text = render({"COMMIT_SHA": "abc"}, {"X": value})
    # Any reader's idea of a line (Python's splitlines breaks at the most characters) sees 3 lines.
    assert len(text.splitlines()) == 3, text
    assert not any(line.startswith("PATH=") for line in text.splitlines())
    seen = source_in_bash(text, ["X", "COMMIT_SHA", "PATH"], tmp_path)
    assert seen == {"X": value, "COMMIT_SHA": "abc", "PATH": "/usr/bin:/bin"}


def test_bytes_that_are_not_utf8_arrive_as_the_same_bytes(tmp_path: Path) -> None:
    value = b"caf\xe9 \xff\xfe end".decode("utf-8", "surrogateescape")  # as Python reads such an env var
    text = render({}, {"X": value})
    text.encode("utf-8")  # the file itself is valid UTF-8
    env_file = tmp_path / "deployment-info.env"
    env_file.write_text(text, encoding="utf-8")
    result = subprocess.run(["bash", "-c", 'set -a; . ./deployment-info.env; printf "%s" "$X"'], cwd=tmp_path,
                            capture_output=True, check=True, env={"PATH": "/usr/bin:/bin"})
    assert result.stdout == b"caf\xe9 \xff\xfe end"


def test_the_build_moment_is_the_commits_unless_source_date_epoch_says_otherwise() -> None:
    gitlab = {"CI_COMMIT_SHA": "b2", "CI_COMMIT_MESSAGE": "m", "CI_COMMIT_TIMESTAMP": "2026-03-04T05:06:07+00:00"}
    assert standard_facts(gitlab, None)["DEPLOYED_AT"] == "2026-03-04T05:06:07Z"
    assert standard_facts({**gitlab, "SOURCE_DATE_EPOCH": "0"}, None)["DEPLOYED_AT"] == "1970-01-01T00:00:00Z"


def test_a_pair_that_replaces_a_built_in_fact_is_named() -> None:
    (warning,) = overridden({"IMAGE": "repo/app:1", "COMMIT_SHA": "a1"}, {"IMAGE": "other:2", "TEAM": "ops"})
    assert "deployment-info sets IMAGE, which replaces the built-in value ('repo/app:1' here)" in warning
