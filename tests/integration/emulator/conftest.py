"""Fixtures for the emulator's integration tests: one emulator per session, reached over HTTP.

Every test seeds its own environment under a unique prefix, deploys the example app (or a variant
of it) and asserts what boto3 - or an HTTP client of the emulated load balancer - observes.
"""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.emulator import Emulator
from deploy_actions.emulator.seed import load_scenario, seed
from tests.support.revisions import upload_revision, zip_revision

# A 5-minute wait takes 0.5 s: fast tests, same sequence of states and answers as on AWS.
CLOCK_FACTOR = 600.0  # the plugin's default
EXAMPLE_APP = Path(__file__).resolve().parents[3] / "examples" / "app"
DONE = ("Succeeded", "Failed", "Stopped")


@pytest.fixture(scope="session")
def emulator(request: pytest.FixtureRequest) -> Emulator:
    """The plugin's session emulator (deploy_actions.emulator.pytest_plugin), at the tests' clock."""
    running: Emulator = request.getfixturevalue("aws_emulator")
    assert running.clock_factor == CLOCK_FACTOR, "run without DEPLOY_ACTIONS_EMULATOR_CLOCK_FACTOR"
    return running


@pytest.fixture(autouse=True)
def _no_faults_left(emulator: Emulator) -> Iterator[None]:
    yield
    emulator.faults.clear()


@pytest.fixture
def codedeploy(emulator: Emulator) -> Any:
    return emulator.client("codedeploy")


@pytest.fixture
def unique() -> str:
    """A fresh name per test: the session's emulator keeps every test's resources."""
    return uuid.uuid4().hex[:10]


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll until `condition()` is truthy; the last value is returned, the timeout fails the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last value {value!r})")
        time.sleep(interval)


def answer(url: str) -> str:
    """The body an HTTP GET of `url` returns (stripped), or "" when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return str(response.read().decode().strip())
    except OSError:
        return ""


class Environment:
    """A seeded scenario plus helpers to package, deploy and wait, all over HTTP."""

    def __init__(self, emulator: Emulator, scenario: dict[str, Any], prefix: str) -> None:
        self.emulator = emulator
        self.out = seed(emulator.client, scenario, prefix=prefix)
        self.codedeploy = emulator.client("codedeploy")

    def __getitem__(self, key: str) -> Any:
        return self.out[key]

    def revision(self, version: str = "1", replace: dict[str, str] | None = None) -> dict[str, Any]:
        files = {"www/version": f"version: {version}\n", **(replace or {})}
        return upload_revision(self.emulator.client("s3"), self.out["bucket"], zip_revision(EXAMPLE_APP, files))

    def create(self, revision: dict[str, Any], **extra: Any) -> str:
        return str(self.codedeploy.create_deployment(applicationName=self.out["application"],
                                                     deploymentGroupName=self.out["deployment_group"],
                                                     revision=revision, **extra)["deploymentId"])

    def info(self, deployment_id: str) -> dict[str, Any]:
        return dict(self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"])

    def wait(self, deployment_id: str, statuses: tuple[str, ...] = DONE, timeout: float = 30.0) -> dict[str, Any]:
        return dict(wait_for(lambda: (i := self.info(deployment_id))["status"] in statuses and i, timeout))

    def deploy(self, revision: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return self.wait(self.create(revision, **extra))

    def target(self, deployment_id: str, instance_id: str) -> dict[str, Any]:
        found = self.codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=instance_id)
        return dict(found["deploymentTarget"]["instanceTarget"])

    def targets(self, deployment_id: str) -> list[dict[str, Any]]:
        ids = self.codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
        found = self.codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids)
        return [t["instanceTarget"] for t in found["deploymentTargets"]]

    def failure(self, info: dict[str, Any]) -> str:
        """What went wrong, for assertion messages: the error and every failed event's diagnostics."""
        lines = [f"{info['deploymentId']} {info['status']}: {info.get('errorInformation')}"]
        for target in self.targets(info["deploymentId"]):
            lines.extend(f"  {target['targetId']} {e['lifecycleEventName']}: {e.get('diagnostics')}"
                         for e in target["lifecycleEvents"] if e["status"] == "Failed")
        return "\n".join(lines)

    def url(self, path: str = "/version") -> str:
        return self.emulator.listener_url(self.out["listener_arn"]) + path


@pytest.fixture
def environment(emulator: Emulator, unique: str) -> Callable[..., Environment]:
    """`environment("ec2-rolling", instances=3, config=...)`: seed a built-in scenario, adjusted."""

    def make(name: str, *, instances: int | None = None, config: str | None = None,
             group: dict[str, Any] | None = None, blue_green: dict[str, Any] | None = None) -> Environment:
        scenario = load_scenario(name)
        if instances is not None:
            scenario["auto_scaling_group"]["instances"] = instances
        deployment_group = scenario["application"]["deployment_group"]
        if config is not None:
            deployment_group["config"] = config
        deployment_group.update(group or {})
        if blue_green:
            deployment_group["blue_green"] = {**deployment_group.get("blue_green", {}), **blue_green}
        return Environment(emulator, scenario, prefix=f"t{unique}-")

    return make
