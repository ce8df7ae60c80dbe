from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from pydantic import Field

from deploy_actions.core.outputs import ActionOutputs, OutputSink, ensure_dotenv, output_specs


class Sample(ActionOutputs):
    deployment_id: str = Field(description="id")
    ok: bool = Field(description="ok")
    details: dict[str, object] | None = Field(None, description="json")
    notes: str = Field("", description="text")


def read_github_output(path: Path) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT the way the runner does (name=value, or name<<DELIM ... DELIM)."""
    values: dict[str, str] = {}
    lines = path.read_text().split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            values[name] = "\n".join(lines[index + 1:end])
            index = end + 1
        elif line:
            name, value = line.split("=", 1)
            values[name] = value
            index += 1
        else:
            index += 1
    return values


def test_outputs_reach_github_gitlab_and_json(tmp_path: Path) -> None:
    gh, dotenv, stream = tmp_path / "gh", tmp_path / "dotenv", io.StringIO()
    gh.touch()
    outputs = Sample(deployment_id="d-1", ok=True, details={"a": [1, 2]}, notes="line1\nline2=x\nghadelimiter")
    sink = OutputSink(Sample, {"GITHUB_OUTPUT": str(gh), "DEPLOY_ACTIONS_DOTENV": str(dotenv)})
    sink.merge(outputs)
    sink.finish(stream)

    parsed = read_github_output(gh)
    assert parsed == {"deployment-id": "d-1", "ok": "true", "details": '{"a":[1,2]}',
                      "notes": "line1\nline2=x\nghadelimiter"}
    assert dotenv.read_text().splitlines() == [
        "DEPLOYMENT_ID=d-1", "OK=true", 'DETAILS={"a":[1,2]}', 'NOTES="line1\\nline2=x\\nghadelimiter"',
    ]
    assert json.loads(stream.getvalue()) == parsed
    assert re.search(r"notes<<ghadelimiter_[0-9a-f-]{36}\n", gh.read_text())


def test_output_specs_are_kebab_case_with_descriptions() -> None:
    assert [(o.name, o.description) for o in output_specs(Sample)][:2] == [("deployment-id", "id"), ("ok", "ok")]


def test_an_output_set_during_the_run_is_written_at_once_and_the_dotenv_holds_each_key_once(tmp_path: Path) -> None:
    gh, dotenv = tmp_path / "gh", tmp_path / "dotenv"
    gh.touch()
    environ = {"GITHUB_OUTPUT": str(gh), "DEPLOY_ACTIONS_DOTENV": str(dotenv)}
    sink = OutputSink(Sample, environ)
    sink.set(deployment_id="d-1")
    # A job killed right now still reports the deployment.
    assert read_github_output(gh) == {"deployment-id": "d-1"}
    assert dotenv.read_text() == "DEPLOYMENT_ID=d-1\n"
    sink.merge(Sample(deployment_id="d-1", ok=False, notes="rolled back"))
    assert read_github_output(gh) == {"deployment-id": "d-1", "ok": "false", "details": "", "notes": "rolled back"}
    assert dotenv.read_text().splitlines() == ["DEPLOYMENT_ID=d-1", "OK=false", "DETAILS=", "NOTES=rolled back"]
    stream = io.StringIO()
    sink.finish(stream)
    assert json.loads(stream.getvalue())["notes"] == "rolled back"


def test_a_run_starts_its_dotenv_file_empty(tmp_path: Path) -> None:
    dotenv = tmp_path / "dotenv"
    dotenv.write_text("DEPLOYMENT_ID=d-old\nSTATUS=Succeeded\n")  # a reused working directory
    ensure_dotenv({"DEPLOY_ACTIONS_DOTENV": str(dotenv)})
    assert dotenv.read_text() == ""


def test_an_unknown_output_name_is_a_bug_caught_at_once(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="deployment"):
        OutputSink(Sample, {}).set(deployment="d-1")


def test_a_dotenv_report_stays_within_gitlabs_limit_by_leaving_out_the_largest_value(tmp_path: Path) -> None:
    dotenv, gh = tmp_path / "dotenv", tmp_path / "gh"
    gh.touch()
    sink = OutputSink(Sample, {"GITHUB_OUTPUT": str(gh), "DEPLOY_ACTIONS_DOTENV": str(dotenv)})
    sink.set(deployment_id="d-1", ok=True, details={"checks": ["x" * 100] * 60}, notes="n" * 200)
    written = dotenv.read_text()
    assert len(written.encode()) <= 5120  # GitLab refuses the whole report (every output) above this
    assert "DEPLOYMENT_ID=d-1\n" in written and "NOTES=" in written and "DETAILS=" not in written
    assert sink.left_out_of_dotenv == ["details"]
    assert "checks" in read_github_output(gh)["details"]  # GitHub's outputs keep it
