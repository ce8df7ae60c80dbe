from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_actions.cli import main
from tests.conftest import write_revision_tree


def test_help_reads_well_and_lists_the_commands() -> None:
    result = subprocess.run([sys.executable, "-m", "deploy_actions", "--help"], capture_output=True, text=True,
                            check=True)
    assert "package-revision" in result.stdout and "codedeploy-deploy" in result.stdout
    assert "Package a CodeDeploy revision" in result.stdout


def test_no_command_prints_help_and_exits_2() -> None:
    out = io.StringIO()
    assert main([], environ={}, stdout=out) == 2
    assert "usage: deploy-actions" in out.getvalue()


def test_unknown_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["package-revision", "--sauce", "x"], environ={})
    assert caught.value.code == 2
    assert "unrecognized arguments: --sauce" in capsys.readouterr().err


def test_on_github_bad_input_is_an_error_annotation_and_a_summary(tmp_path: Path) -> None:
    out, summary = io.StringIO(), tmp_path / "step-summary"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "INPUT_BUNDLE_TYPE": "rar"}
    assert main(["package-revision"], environ=env, stdout=out) == 2
    assert ("::error title=package-revision%3A configuration error::input 'bundle-type' = 'rar': must be one of: "
            "zip, tgz, tar") in out.getvalue()
    assert "### ❌ package-revision: configuration error" in summary.read_text()


def test_on_github_outputs_groups_and_annotations_for_appspec_lines(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    tree = write_revision_tree(tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    gh_output = tmp_path / "gh-output"
    gh_output.touch()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(gh_output), "GITHUB_STEP_SUMMARY": str(tmp_path / "s"),
           "INPUT_SOURCE": "app"}
    out = io.StringIO()
    assert main(["package-revision"], environ=env, stdout=out) == 0
    assert "::group::Collect files and validate appspec" in out.getvalue()
    assert "bundle-path=" in gh_output.read_text() and "uploaded=false" in gh_output.read_text()
    (tree / "appspec.yml").write_text("version: 0.0\nos: linux\nhooks:\n  AfterInstal:\n    - location: x.sh\n")
    out = io.StringIO()
    assert main(["package-revision"], environ=env, stdout=out) == 2
    assert ("::error title=package-revision%3A configuration error,file=app/appspec.yml,line=4::unknown lifecycle "
            "event 'AfterInstal'; did you mean 'AfterInstall'?") in out.getvalue()


def test_an_unexpected_bug_is_reported_plainly_with_exit_1() -> None:
    from deploy_actions.actions import package_revision

    def boom(*_: object) -> None:
        raise RuntimeError("kaput")

    spec = package_revision.SPEC
    object.__setattr__(spec, "run", boom)
    try:
        out = io.StringIO()
        assert main(["package-revision"], environ={}, stdout=out) == 1
        assert "error: internal error in package-revision: RuntimeError: kaput" in out.getvalue()
    finally:
        object.__setattr__(spec, "run", package_revision.run)


def test_every_action_module_is_discovered_with_its_spec_title_read_unimported() -> None:
    import pkgutil

    from deploy_actions import actions
    from deploy_actions.actions import all_actions, entries

    modules = {f"deploy_actions.actions.{m.name}" for m in pkgutil.iter_modules(actions.__path__)}
    listed = entries()
    assert {entry.module for entry in listed.values()} == modules and len(modules) >= 2
    for name, spec in all_actions().items():
        module = sys.modules[listed[name].module]
        assert spec.name == name == module.__name__.rpartition(".")[2].replace("_", "-")
        assert listed[name].title == spec.title == module.__doc__.splitlines()[0].removesuffix(".")


@pytest.mark.parametrize("source", [
    '"""Title."""\n',
    '# comment\n\n"""Title.\n\nMore.\n"""  # trailing\nx = 1\n',
    "r\'\'\'Raw \\d title.\'\'\'\n",
    '"""Quote \\""" inside."""\n',
    '"Single-quoted title."\n',
    '"""Not alone."""; x = 1\n',
    '"""An expression.""" + "x"\n',
    'from __future__ import annotations\n"""Not a docstring."""\n',
    "x = 1\n",
])
def test_a_docstring_is_read_as_the_module_gets_it(source: str) -> None:
    import ast

    from deploy_actions.actions import docstring_of

    assert docstring_of(source) == ast.get_docstring(ast.parse(source), clean=False)


def test_an_action_module_without_a_docstring_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from deploy_actions import actions

    (tmp_path / "untitled.py").write_text("from __future__ import annotations\n\nSPEC = None\n")
    (tmp_path / "_helpers.py").write_text("SPEC = None\n")  # private: not an action
    monkeypatch.setattr(actions, "__path__", [*actions.__path__, str(tmp_path)])
    with pytest.raises(ValueError, match="needs a docstring"):
        actions.entries()
    (tmp_path / "untitled.py").write_text('"""Untitled no more."""\nfrom deploy_actions.actions import ActionSpec\n'
                                          'SPEC = ActionSpec("untitled", "A title of its own", "", "", "", '
                                          '*[None] * 3)\n')
    assert actions.entries()["untitled"].title == "Untitled no more"
    assert "_helpers" not in actions.entries() and "-helpers" not in actions.entries()
    monkeypatch.delitem(sys.modules, "deploy_actions.actions.untitled", raising=False)
    try:
        with pytest.raises(ValueError, match="title_from"):  # --help would list one title, the run show another
            actions.entries()["untitled"].load()
    finally:
        sys.modules.pop("deploy_actions.actions.untitled", None)


def _imported_by(*argv: str) -> set[str]:
    code = ("import sys; from deploy_actions.cli import main\n"
            f"try:\n    main({list(argv)!r}, environ={{}})\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(sys.modules)), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stderr.split())


def test_help_imports_no_action_no_boto3_no_pydantic() -> None:
    loaded = _imported_by("--help")
    assert not {"boto3", "botocore", "pydantic", "deploy_actions.actions.package_revision",
                "deploy_actions.actions.codedeploy_deploy"} & loaded


def test_one_command_imports_only_its_own_action_module() -> None:
    loaded = _imported_by("package-revision", "--help")
    assert "deploy_actions.actions.package_revision" in loaded
    assert "deploy_actions.actions.codedeploy_deploy" not in loaded
    assert "boto3" not in loaded and "s3transfer" not in loaded  # imported when an AWS client is made
    loaded = _imported_by("codedeploy-deploy", "--help")
    assert "deploy_actions.actions.codedeploy_deploy" in loaded
    assert "deploy_actions.actions.package_revision" not in loaded


def test_bad_input_exit_2_still_leaves_the_gitlab_dotenv_file(tmp_path: Path) -> None:
    dotenv = tmp_path / "job" / "deploy-actions.env"
    env = {"GITLAB_CI": "true", "DEPLOY_ACTIONS_DOTENV": str(dotenv), "DEPLOY_ACTIONS_SUMMARY": str(tmp_path / "s"),
           "INPUT_BUNDLE_TYPE": "rar"}
    assert main(["package-revision"], environ=env, stdout=io.StringIO()) == 2
    assert dotenv.is_file() and dotenv.read_text() == ""  # no outputs known, but artifacts:reports:dotenv finds it


def test_a_usage_error_still_leaves_the_dotenv_file(tmp_path: Path) -> None:
    dotenv = tmp_path / "deploy-actions.env"
    with pytest.raises(SystemExit) as caught:
        main(["package-revision", "--sauce", "x"], environ={"DEPLOY_ACTIONS_DOTENV": str(dotenv)},
             stderr=io.StringIO())
    assert caught.value.code == 2 and dotenv.is_file()


def test_a_failure_exit_1_leaves_the_dotenv_file_and_a_success_fills_it(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from deploy_actions.actions import package_revision

    dotenv = tmp_path / "deploy-actions.env"
    env = {"DEPLOY_ACTIONS_DOTENV": str(dotenv), "DEPLOY_ACTIONS_SUMMARY": str(tmp_path / "s")}

    def boom(*_: object) -> None:
        raise RuntimeError("kaput")

    spec = package_revision.SPEC
    object.__setattr__(spec, "run", boom)
    try:
        assert main(["package-revision"], environ=env, stdout=io.StringIO()) == 1
    finally:
        object.__setattr__(spec, "run", package_revision.run)
    assert dotenv.is_file() and dotenv.read_text() == ""
    write_revision_tree(tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    assert main(["package-revision", "--source", "app"], environ=env, stdout=io.StringIO()) == 0
    assert "BUNDLE_PATH=" in dotenv.read_text() and "UPLOADED=false" in dotenv.read_text()


def test_an_abbreviated_flag_is_not_taken_for_a_longer_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["codedeploy-deploy", "--application", "a", "--time", "5m"], environ={})
    assert caught.value.code == 2
    assert "unrecognized arguments: --time" in capsys.readouterr().err


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--timeout", "-5m", "input 'timeout' = '-5m': must be a positive duration"),
    ("--run-number", "-3", "input 'run-number' = '-3': Input should be greater than or equal to 0"),
])
def test_a_value_that_starts_with_a_dash_reaches_validation(flag: str, value: str, message: str) -> None:
    out = io.StringIO()
    code = main(["codedeploy-deploy", "--application", "a", "--deployment-group", "g", "--revision",
                 "s3://bkt/app.zip", flag, value], environ={}, stdout=out)
    assert code == 2
    assert message in out.getvalue()


def test_an_input_variable_no_input_reads_is_named_with_the_closest_input(tmp_path: Path) -> None:
    out = io.StringIO()
    env = {"INPUT_BUKET": "my-bucket", "INPUT_KEY_PREFIX": "", "INPUT_COMMAND": "package-revision",
           "INPUT_NOTHING_LIKE_IT": "x", "DEPLOY_ACTIONS_SUMMARY": str(tmp_path / "s.md")}
    main(["package-revision", "--source", str(write_revision_tree(tmp_path / "app")), "--output",
          str(tmp_path / "r.zip")], environ=env, stdout=out)
    log = out.getvalue()
    assert ("warning: INPUT_BUKET is set, but package-revision has no such input, so it is ignored; did you mean "
            "bucket (INPUT_BUCKET)?") in log
    assert "INPUT_NOTHING_LIKE_IT is set, but package-revision has no such input, so it is ignored\n" in log
    assert "INPUT_COMMAND" not in log and "INPUT_KEY_PREFIX" not in log


def test_a_terminal_run_writes_no_summary_file_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    tree = write_revision_tree(tmp_path / "app")
    assert main(["package-revision", "--source", str(tree)], environ={}, stdout=io.StringIO()) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app", "revision.zip"]
    asked = tmp_path / "summary.md"
    assert main(["package-revision", "--source", str(tree)], environ={"DEPLOY_ACTIONS_SUMMARY": str(asked)},
                stdout=io.StringIO()) == 0
    assert "### 📦 package-revision" in asked.read_text()


def test_command_help_shows_types_choices_and_defaults() -> None:
    result = subprocess.run([sys.executable, "-m", "deploy_actions", "codedeploy-deploy", "--help"],
                            capture_output=True, text=True, check=True, env={"COLUMNS": "200", "PATH": "/usr/bin"})
    text = " ".join(result.stdout.split())
    assert "--timeout DURATION How long the whole step may take" in text and "(default: 30m)" in text
    assert "--mode {deploy,rollback,stop,continue}" in text
    assert "--wait {true,false}" in text and "--run-number N" in text
    assert "--application VALUE CodeDeploy application name. (required)" in text
