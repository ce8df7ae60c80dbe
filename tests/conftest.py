"""Shared fixtures: an AWS endpoint over HTTP, a CLI runner, and a sample revision tree."""

from __future__ import annotations

import io
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from deploy_actions.cli import main

# the aws_emulator fixture; the recorded calls checked against docs/iam/ (when a recording file is named)
pytest_plugins = ["deploy_actions.emulator.pytest_plugin", "tests.support.least_privilege"]

AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass
class AwsEndpoint:
    url: str

    @property
    def env(self) -> dict[str, str]:
        return {**AWS_TEST_ENV, "AWS_ENDPOINT_URL": self.url}

    def client(self, service: str):  # type: ignore[no-untyped-def]
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="session")
def aws(aws_emulator: Any) -> AwsEndpoint:
    """The local AWS emulator (moto's server plus our extensions) on loopback, over real HTTP.

    The same emulator as the `aws_emulator` fixture: one per process, since moto's state is global.
    """
    return AwsEndpoint(aws_emulator.endpoint_url)


@dataclass
class CliResult:
    code: int
    stdout: str
    log: str
    outputs: dict[str, str]


@pytest.fixture
def run_cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run `deploy-actions ...` in-process with a clean environment; outputs come from --json."""

    def run(*args: str, env: dict[str, str] | None = None, json_out: bool = True) -> CliResult:
        environ = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
                   "DEPLOY_ACTIONS_SUMMARY": str(tmp_path / "summary.md"), **(env or {})}
        out, err = io.StringIO(), io.StringIO()
        argv = [*args, "--json"] if json_out else list(args)
        code = main(argv, environ=environ, stdout=out, stderr=err)
        text = out.getvalue()
        outputs: dict[str, str] = {}
        if json_out and text.strip():  # failures publish what they know too
            outputs = json.loads(text.strip().splitlines()[-1])
        return CliResult(code, text, err.getvalue() if json_out else text, outputs)

    return run


def write_revision_tree(root: Path) -> Path:
    """A small revision in the seeds' style: appspec, hook scripts, app files."""
    (root / "scripts").mkdir(parents=True, exist_ok=True)
    (root / "appspec.yml").write_text(
        "version: 0.0\n"
        "os: linux\n"
        "files:\n"
        "  - source: /\n"
        "    destination: /opt/app\n"
        "hooks:\n"
        "  BeforeInstall:\n"
        "    - location: scripts/before_install.sh\n"
        "      timeout: 60\n"
        "  ApplicationStart:\n"
        "    - location: scripts/application_start.sh\n"
        "      timeout: 120\n"
        "      runas: root\n"
        "  ValidateService:\n"
        "    - location: scripts/validate_service.sh\n"
        "      timeout: 60\n"
    )
    for name in ("before_install.sh", "application_start.sh", "validate_service.sh"):
        script = root / "scripts" / name
        script.write_text(f"#!/bin/sh\necho {name}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (root / "docker-compose.yml").write_text("services:\n  app:\n    image: ${IMAGE}\n")
    (root / "README.txt").write_text("sample app\n")
    return root


@pytest.fixture
def revision_tree(tmp_path: Path) -> Path:
    return write_revision_tree(tmp_path / "app")
