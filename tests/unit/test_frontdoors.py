"""Contract: action.yml files, GitLab components, CLI flags and docs all agree with the input models."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from deploy_actions.actions import all_actions
from deploy_actions.cli import build_parser
from deploy_actions.core.inputs import input_specs
from deploy_actions.core.outputs import output_specs
from deploy_actions.frontdoors.__main__ import expected_files
from deploy_actions.frontdoors.__main__ import main as generate

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = sorted(all_actions())


def load(path: Path) -> list[object]:
    return list(YAML(typ="safe").load_all(path.read_text()))


def test_generated_files_on_disk_match_the_models() -> None:
    assert generate(["--check", "--root", str(ROOT)]) == 0, "run: python -m deploy_actions.frontdoors"


def test_check_fails_when_a_file_drifts(tmp_path: Path) -> None:
    for path, text in expected_files(ROOT).items():
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    action = tmp_path / "package-revision" / "action.yml"
    action.write_text(action.read_text().replace("  source:\n", "  sources:\n"))
    assert generate(["--check", "--root", str(tmp_path)]) == 1


@pytest.mark.parametrize("name", ACTIONS)
def test_action_yml_inputs_outputs_and_env_match(name: str) -> None:
    spec = all_actions()[name]
    (action,) = load(ROOT / name / "action.yml")
    assert isinstance(action, dict)
    expected = {s.name: s for s in input_specs(spec.inputs)}
    assert list(action["inputs"]) == list(expected)
    for key, item in expected.items():
        declared = action["inputs"][key]
        assert declared["required"] == item.required
        assert str(declared.get("default") or "").rstrip("\n") == (item.default or "")
    assert list(action["outputs"]) == [o.name for o in output_specs(spec.outputs)]
    (step,) = action["runs"]["steps"]
    assert step["env"] == {s.env: f"${{{{ inputs.{s.name} }}}}" for s in expected.values()}
    assert "${{" not in step["run"], "inputs must reach run: only through env"
    assert action["branding"] == {"icon": spec.icon, "color": spec.color}


@pytest.mark.parametrize("name", ACTIONS)
def test_gitlab_component_inputs_match(name: str) -> None:
    spec = all_actions()[name]
    header, jobs = load(ROOT / "gitlab-templates" / f"{name}.yml")
    assert isinstance(header, dict) and isinstance(jobs, dict)
    declared = header["spec"]["inputs"]
    for item in input_specs(spec.inputs):
        assert item.name in declared
        if item.choices:
            options = declared[item.name]["options"]
            assert [o for o in options if o != ""] == list(item.choices)
            assert declared[item.name].get("default", options[0]) in options
    (job,) = jobs.values()
    for item in input_specs(spec.inputs):
        typed = declared[item.name].get("type") in ("boolean", "number")
        ref = f"$[[ inputs.{item.name} ]]"
        # Text arrives as written (no $VAR expansion inside it); booleans and numbers are GitLab's own.
        assert job["variables"][item.env] == (ref if typed else {"value": ref, "expand": False})
    assert job["artifacts"]["reports"]["dotenv"] == "deploy-actions.env"
    assert job["script"][-1] == f"deploy-actions {name}"


@pytest.mark.parametrize("name", ACTIONS)
def test_cli_flags_and_docs_list_every_input(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    spec = all_actions()[name]
    with pytest.raises(SystemExit):
        build_parser(all_actions()).parse_args([name, "--help"])
    help_text = capsys.readouterr().out.replace("\n", " ")
    docs = (ROOT / "docs" / "actions" / f"{name}.md").read_text()
    for item in input_specs(spec.inputs):
        assert re.search(rf"--{re.escape(item.name)} (VALUE|DURATION|N|LINES|\{{[^}}]+\}})", help_text)
        assert re.search(rf"^\| `{re.escape(item.name)}` \|", docs, re.M)
    for out in output_specs(spec.outputs):
        assert re.search(rf"^\| `{re.escape(out.name)}` \|", docs, re.M)


def test_root_action_takes_command_and_every_input() -> None:
    (root,) = load(ROOT / "action.yml")
    assert isinstance(root, dict)
    assert root["inputs"]["command"]["required"] is True
    for spec in all_actions().values():
        for item in input_specs(spec.inputs):
            assert item.name in root["inputs"]
            assert "default" not in root["inputs"][item.name], "the command's own default applies"
    (step,) = root["runs"]["steps"]
    assert step["env"]["INPUT_COMMAND"] == "${{ inputs.command }}"
    assert "${{" not in step["run"]


def _lines_by_command(description: str) -> dict[str, str]:
    """A root input's description, one line per group of commands: {command: its line}."""
    found: dict[str, str] = {}
    for line in description.splitlines():
        commands, _, text = line.partition(": ")
        found.update({command: text for command in commands.split(", ")})
    return found


@pytest.mark.parametrize("name", ["appspec", "bundle-type"])
def test_root_action_says_what_each_command_means_by_a_shared_name(name: str) -> None:
    (root,) = load(ROOT / "action.yml")
    assert isinstance(root, dict)
    lines = _lines_by_command(root["inputs"][name]["description"])
    assert set(lines) == {"package-revision", "codedeploy-deploy"}
    specs = {command: next(s for s in input_specs(all_actions()[command].inputs) if s.name == name)
             for command in lines}
    assert specs["package-revision"].default and not specs["codedeploy-deploy"].default  # e.g. appspec.yml / zip
    for command, line in lines.items():
        own = specs[command]
        assert line.startswith(own.description), f"{command} reads its own text"
        assert all(choice in line for choice in own.choices)
        if own.default:
            assert f"Default: {own.default}." in line
        for other in specs.values():
            if other.description != own.description:
                assert other.description not in line, f"{command} must not read another command's text"
            if other.default and other.default != own.default:
                assert f"Default: {other.default}." not in line, f"{command} must not read another's default"
    assert root["inputs"][name]["required"] is False


def test_root_action_writes_an_input_shared_alike_once_with_its_commands() -> None:
    (root,) = load(ROOT / "action.yml")
    assert isinstance(root, dict)
    description = root["inputs"]["region"]["description"]
    (region,) = [s for s in input_specs(all_actions()["package-revision"].inputs) if s.name == "region"]
    commands, _, text = description.partition(": ")
    alike = {name for name, action in all_actions().items()
             if any(s.name == "region" and s.description == region.description for s in input_specs(action.inputs))}
    assert {"package-revision", "codedeploy-deploy"} <= alike
    assert set(commands.split(", ")) == alike and text == region.description
    assert description.count(region.description) == 1 and "\n" not in description
    # Required by one command only: not required at the root (GitHub cannot make it depend on command).
    application = _lines_by_command(root["inputs"]["application"]["description"])
    assert application["codedeploy-deploy"].endswith("Required.") and root["inputs"]["application"]["required"] is False


SEVENTH = '''"""Look for a smoke signal."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from deploy_actions.actions import ActionSpec
from deploy_actions.core.inputs import AwsInputs
from deploy_actions.core.outputs import ActionOutputs


class Inputs(AwsInputs):
    signal: str = Field(description="The smoke signal to look for.")
    colour: Literal["white", "black"] = Field("white", description="Colour of the smoke.")


class Outputs(ActionOutputs):
    seen: str = Field(description="What was seen.")


def run(inputs: Inputs, ctx: object) -> Outputs:
    return Outputs(seen=f"{inputs.colour} {inputs.signal}")


SPEC = ActionSpec(
    name="smoke-check",
    title=ActionSpec.title_from(__doc__),
    description="Look for a smoke signal: a throwaway seventh action.",
    icon="eye",
    color="gray-dark",
    inputs=Inputs,
    outputs=Outputs,
    run=run,
)
'''


def test_a_seventh_action_module_appears_on_every_front_door(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Adding an action is adding its module: the real discovery and generator do the rest."""
    from deploy_actions import actions as package
    from deploy_actions.cli import main as cli

    extra = tmp_path / "extra-actions"
    extra.mkdir()
    (extra / "smoke_check.py").write_text(SEVENTH)
    # A second directory of the actions package, as a namespace portion would be: nothing else is told.
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(extra)])
    monkeypatch.delitem(sys.modules, "deploy_actions.actions.smoke_check", raising=False)
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    shutil.copy(ROOT / "README.md", root / "README.md")
    shutil.copytree(ROOT / "docs" / "actions", root / "docs" / "actions")
    try:
        assert generate(["--root", str(root)]) == 0
        assert generate(["--check", "--root", str(root)]) == 0
        capsys.readouterr()

        (own,) = load(root / "smoke-check" / "action.yml")
        assert isinstance(own, dict)
        assert list(own["inputs"])[:2] == ["signal", "colour"] and own["inputs"]["signal"]["required"] is True
        assert list(own["outputs"]) == ["seen"] and own["branding"] == {"icon": "eye", "color": "gray-dark"}
        assert own["runs"]["steps"][0]["run"].endswith(" smoke-check")

        (top,) = load(root / "action.yml")
        assert isinstance(top, dict)
        assert "smoke-check" in top["inputs"]["command"]["description"]
        assert top["inputs"]["signal"]["description"] == "smoke-check: The smoke signal to look for. Required."
        assert "smoke-check" in top["inputs"]["region"]["description"].partition(":")[0]
        assert top["runs"]["steps"][0]["env"]["INPUT_SIGNAL"] == "${{ inputs.signal }}"
        assert top["outputs"]["seen"]["description"] == "smoke-check: What was seen."

        header, jobs = load(root / "gitlab-templates" / "smoke-check.yml")
        assert isinstance(header, dict) and isinstance(jobs, dict)
        assert header["spec"]["inputs"]["colour"] == {"description": "Colour of the smoke.", "type": "string",
                                                      "options": ["white", "black"], "default": "white"}
        assert "signal" in header["spec"]["inputs"]
        assert next(iter(jobs.values()))["script"][-1] == "deploy-actions smoke-check"

        doc = (root / "docs" / "actions" / "smoke-check.md").read_text()
        assert doc.startswith("# Look for a smoke signal\n")
        assert "| `signal` | The smoke signal to look for. | required |" in doc and "| `seen` | What was seen. |" in doc

        readme = (root / "README.md").read_text()
        assert ("| smoke-check | Look for a smoke signal: a throwaway seventh action. | "
                "[docs/actions/smoke-check.md](docs/actions/smoke-check.md) |") in readme

        with pytest.raises(SystemExit):
            cli(["--help"], environ={})
        assert re.search(r"smoke-check\s+Look for a smoke signal", capsys.readouterr().out)
        with pytest.raises(SystemExit):
            cli(["smoke-check", "--help"], environ={})
        help_text = capsys.readouterr().out
        assert "--signal VALUE" in help_text and "--colour {" in help_text and "--region VALUE" in help_text
        assert cli(["smoke-check", "--signal", "puff", "--json"], environ={}) == 0
        assert '"seen": "white puff"' in capsys.readouterr().out
    finally:
        sys.modules.pop("deploy_actions.actions.smoke_check", None)
    assert "smoke-check" not in (ROOT / "action.yml").read_text(), "the generator wrote only under --root"
