from __future__ import annotations

import pytest

from deploy_actions.bundle.appspec import parse_appspec
from deploy_actions.core.errors import FileConfigurationError

SCRIPTS = {"scripts/start.sh", "scripts/stop.sh", "scripts/validate.sh", "app/server.py", "scripts/start.ps1"}


def check(text: str, present: set[str] = SCRIPTS, executable: set[str] | None = None):  # type: ignore[no-untyped-def]
    execs = present if executable is None else executable

    def has(path: str) -> bool:
        return path in present or any(p.startswith(path.rstrip("/") + "/") for p in present)

    return parse_appspec(text, "appspec.yml", has, lambda p: p in execs)


def problems(text: str, **kwargs: object) -> list[str]:
    with pytest.raises(FileConfigurationError) as caught:
        check(text, **kwargs)  # type: ignore[arg-type]
    return [f"{f.line}: {f.message}" for f in caught.value.findings()]


VALID = """\
version: 0.0
os: linux
files:
  - source: /
    destination: /opt/app
    overwrite: true
permissions:
  - object: /opt/app
    pattern: "**"
    owner: app
    mode: 755
    type:
      - file
file_exists_behavior: OVERWRITE
hooks:
  ApplicationStop:
    - location: scripts/stop.sh
      timeout: 30
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 300
      runas: root
  ValidateService:
    - location: ./scripts/validate.sh
"""


def test_a_valid_appspec_lists_its_hooks_in_lifecycle_order() -> None:
    spec = check(VALID)
    assert [(h.event, h.location, h.timeout, h.runas) for h in spec.hooks] == [
        ("ApplicationStop", "scripts/stop.sh", 30, None),
        ("ApplicationStart", "scripts/start.sh", 300, "root"),
        ("ValidateService", "scripts/validate.sh", None, None),
    ]
    assert spec.warnings == []


def test_malformed_yaml_reports_the_line() -> None:
    assert problems("version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: [unclosed\n") == [
        "6: malformed YAML: expected ',' or ']', but got '<stream end>'"
    ]
    assert problems("version: 0.0\nos: linux\nhooks:\n\tApplicationStart: x\n") == [
        "4: malformed YAML: found character '\\t' that cannot start any token"
    ]


def test_version_and_os_are_required_and_checked() -> None:
    assert problems("files: []\n") == [
        "1: 'version' is required and must be 0.0", "1: 'os' is required: linux or windows"]
    assert problems("version: 1.0\nos: Linux\n") == [
        "1: 'version' must be 0.0 (got 1.0)",
        "2: 'os' must be linux or windows (got 'Linux'); did you mean 'linux'?",
    ]


def test_unknown_keys_get_a_suggestion_with_their_line() -> None:
    found = problems("version: 0.0\nos: linux\nhook:\n  ApplicationStart: []\nfiles:\n  - source: /\n"
                     "    destinaton: /opt\n")
    assert "3: unknown top-level key 'hook'; did you mean 'hooks'?" in found
    assert "7: unknown key in files entry 'destinaton'; did you mean 'destination'?" in found


def test_hook_names_typos_and_reserved_events() -> None:
    found = problems("version: 0.0\nos: linux\nhooks:\n  AfterInstal:\n    - location: scripts/start.sh\n"
                     "  Install:\n    - location: scripts/start.sh\n")
    assert found[0] == "4: unknown lifecycle event 'AfterInstal'; did you mean 'AfterInstall'?"
    assert found[1].startswith("6: 'Install' is run by the CodeDeploy agent itself and cannot have scripts")


def test_hooks_out_of_order_is_a_warning_that_names_the_real_order() -> None:
    spec = check("version: 0.0\nos: linux\nhooks:\n  ValidateService:\n    - location: scripts/validate.sh\n"
                 "  ApplicationStart:\n    - location: scripts/start.sh\n")
    assert [(w.line, w.severity, w.message) for w in spec.warnings] == [
        (3, "warning", "hooks are listed out of order; CodeDeploy runs them as ApplicationStart → ValidateService "
                       "regardless of the order written")
    ]


def test_timeouts_are_whole_seconds_up_to_an_hour_per_event() -> None:
    found = problems("version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n"
                     "      timeout: 4000\n  ValidateService:\n    - location: scripts/validate.sh\n"
                     "      timeout: 2000\n    - location: scripts/stop.sh\n      timeout: 2000\n"
                     "  ApplicationStop:\n    - location: scripts/stop.sh\n      timeout: soon\n")
    assert "6: hooks.ApplicationStart timeout 4000 must be between 1 and 3600 seconds" in found
    assert "7: hooks.ValidateService timeouts add up to 4000s; CodeDeploy allows at most 3600s per lifecycle event" \
        in found
    assert "14: hooks.ApplicationStop timeout 'soon' must be a whole number of seconds" in found


def test_hook_scripts_must_be_in_the_bundle_and_executable() -> None:
    text = ("version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: scripts/missing.sh\n"
            "  ApplicationStart:\n    - location: scripts/start.sh\n")
    found = problems(text, executable=set())
    assert found == [
        "5: hook script 'scripts/missing.sh' (BeforeInstall) is not in the bundle",
        "7: hook script 'scripts/start.sh' (ApplicationStart) is not executable; run 'chmod +x scripts/start.sh' "
        "and commit the mode (git update-index --chmod=+x)",
    ]


def test_runas_must_be_a_user_name_and_is_linux_only() -> None:
    assert problems("version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n"
                    "      runas: 'root; rm -rf /'\n") == [
        "6: hooks.ApplicationStart runas 'root; rm -rf /' is not a valid user name"]
    assert problems("version: 0.0\nos: windows\nhooks:\n  ApplicationStart:\n    - location: scripts/start.ps1\n"
                    "      runas: admin\n") == ["6: hooks.ApplicationStart runas is not supported on windows"]


def test_files_sources_and_destinations() -> None:
    found = problems("version: 0.0\nos: linux\nfiles:\n  - source: build/app.jar\n    destination: opt/app\n"
                     "  - source: app\n")
    assert found == [
        "4: files source 'build/app.jar' is not in the bundle (check include/exclude)",
        "5: files destination 'opt/app' must be an absolute path such as /opt/app",
        "6: a 'files' entry needs both source and destination",
    ]


def test_os_windows_needs_windows_paths_and_scripts_it_can_run() -> None:
    found = problems("version: 0.0\nos: windows\nfiles:\n  - source: app\n    destination: /opt/app\n"
                     "hooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n")
    assert found == [
        "5: files destination '/opt/app' must be a Windows path such as C:\\app (os: windows)",
        "8: hook script 'scripts/start.sh' (ApplicationStart) cannot run on windows: the agent runs .bat, .cmd, "
        ".ps1, .exe files there (or set os: linux)",
    ]
    check("version: 0.0\nos: windows\nfiles:\n  - source: app/server.py\n    destination: C:\\app\n"
          "hooks:\n  ApplicationStart:\n    - location: scripts/start.ps1\n")
    assert problems("version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: C:\\app\n") == [
        "5: files destination 'C:\\app' must be an absolute path such as /opt/app (a Windows path: is os meant to be "
        "windows?)"]


def test_a_files_source_never_leaves_the_bundle() -> None:
    assert problems("version: 0.0\nos: linux\nfiles:\n  - source: ../secrets\n    destination: /opt/app\n") == [
        "4: files source '../secrets' leaves the bundle ('..'); sources are paths inside the revision"]


def test_permissions_and_file_exists_behavior() -> None:
    found = problems("version: 0.0\nos: linux\npermissions:\n  - pattern: '*'\n    mode: 999\n    type: [link]\n"
                     "file_exists_behavior: OVERWRITTE\n")
    assert found == [
        "4: a 'permissions' entry needs 'object' (the path it applies to)",
        "5: permissions mode 999 must be octal digits such as 755 or 0644",
        "6: permissions type 'link' must be file or directory",
        "7: file_exists_behavior 'OVERWRITTE' is not valid; did you mean 'OVERWRITE'?",
    ]


def test_ecs_appspecs_are_pointed_elsewhere() -> None:
    found = problems("version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n")
    assert found[0].startswith("2: 'resources' belongs to ECS/Lambda appspecs")


def test_not_a_mapping() -> None:
    assert problems("- just\n- a list\n") == ["1: the appspec must be a mapping with version, os, files and hooks"]
