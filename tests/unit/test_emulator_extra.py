"""moto[server] is the optional extra `emulator`: without it the emulator's commands say what to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

from deploy_actions.emulator import cli as emulator_cli
from deploy_actions.emulator.core.defaults import missing_server_modules
from deploy_actions.emulator.demo import __main__ as demo


@pytest.fixture
def no_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)  # find_spec and import both see it as absent


def test_with_the_dev_environment_nothing_is_missing() -> None:
    assert missing_server_modules() == []


@pytest.mark.usefixtures("no_moto")
def test_start_without_moto_says_to_install_the_extra(capsys: pytest.CaptureFixture[str]) -> None:
    assert missing_server_modules() == ["moto"]
    assert emulator_cli.main(["start", "--detach"]) == 2
    err = capsys.readouterr().err
    assert "deploy-actions emulator start needs moto[server] (moto not installed)" in err
    assert "install ci-deploy-actions[emulator]" in err


@pytest.mark.usefixtures("no_moto")
def test_other_verbs_without_a_running_emulator_say_it_too(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert emulator_cli.main(["--state-dir", str(tmp_path), "status"]) == 2
    err = capsys.readouterr().err
    assert "not running" in err and "install ci-deploy-actions[emulator]" in err


@pytest.mark.usefixtures("no_moto")
@pytest.mark.parametrize("argv", [[], ["--cli"]])
def test_the_demo_without_moto_says_to_install_the_extra(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(argv) == 2
    assert "demo: the demo needs moto[server] (moto not installed); install ci-deploy-actions[emulator]" in (
        capsys.readouterr().err)


def test_the_demo_without_markdown_it_says_to_install_the_extra(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "markdown_it", None)
    assert demo.main([]) == 2
    assert "demo: the demo's report needs markdown-it-py (not installed); install ci-deploy-actions[emulator]" in (
        capsys.readouterr().err)


def test_the_actions_do_not_import_moto() -> None:
    code = ("import sys; from deploy_actions.cli import main; "
            "main(['package-revision', '--source', '/nonexistent'], environ={}); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('moto', 'flask', 'werkzeug')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
