"""codedeploy-deploy behaviours that each once broke unnoticed, checked by their effect on the emulator.

Each test asserts what a user observes - the fleet, the deployment and rollback in AWS, the exit code, the
outputs, the summary's rendered markdown - and waits on conditions, never on fixed sleeps: a hook that
must stay busy waits for a gate file the test opens, so nothing depends on how fast the machine is.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from tests.integration.codedeploy.test_codedeploy_deploy import GITHUB, deploy_args, deployment_ids
from tests.integration.emulator.conftest import EXAMPLE_APP, Environment, answer, wait_for

APPSPEC = (EXAMPLE_APP / "appspec.yml").read_text()
BEFORE_INSTALL = (EXAMPLE_APP / "scripts" / "before_install.sh").read_text()
ECS_APPSPEC = ("version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"
               "        TaskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/web:3\n"
               "        LoadBalancerInfo: {ContainerName: web, ContainerPort: 80}\n")
CONSOLE = "https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/"
LONGEST_WAIT_MINUTES = 2880  # the most AWS allows for a Ready or termination wait: minutes even at the test clock


def gated_before_install(gate: Path, only_if: Path | None = None) -> dict[str, str]:
    """Revision files whose BeforeInstall holds until `gate` exists (when `only_if` exists, if given).

    The hook's own timeout is raised to 300 s so it never ends the hold; the test opens the gate.
    """
    wait = f'while [ ! -e "{gate}" ]; do sleep 0.05; done\n'
    if only_if is not None:
        wait = f'if [ -e "{only_if}" ]; then\n  {wait}fi\n'
    script = BEFORE_INSTALL.replace("#!/bin/sh\n", f"#!/bin/sh\n{wait}", 1)
    appspec = APPSPEC.replace("location: scripts/before_install.sh\n      timeout: 30",
                              "location: scripts/before_install.sh\n      timeout: 300")
    assert script != BEFORE_INSTALL and appspec != APPSPEC
    return {"scripts/before_install.sh": script, "appspec.yml": appspec}


class Step:
    """`deploy-actions ...` in its own process, as on a runner (signals are real); output read as it comes."""

    def __init__(self, args: list[str], env: dict[str, str], tmp_path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "deploy_actions", *args],
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DEPLOY_ACTIONS_SUMMARY": str(tmp_path / "s.md"),
                 **env},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.seen: list[str] = []

    def _read(self) -> None:
        for line in self.process.stdout or []:
            self._lines.put(line)

    def wait_for_line(self, text: str, timeout: float = 60.0) -> str:
        """The first line holding `text` (the process must print it within `timeout` s)."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((line for line in self.seen if text in line), None)
            if found is not None:
                return found
            try:
                self.seen.append(self._lines.get(timeout=0.5))
            except queue.Empty:
                assert self._reader.is_alive(), f"the step ended without a line holding {text!r}:\n{self.log}"
                assert time.monotonic() < deadline, f"no line holding {text!r} within {timeout} s:\n{self.log}"

    @property
    def log(self) -> str:
        while not self._lines.empty():
            self.seen.append(self._lines.get())
        return "".join(self.seen)

    def finish(self) -> str:
        self.process.wait(timeout=30)
        self._reader.join(timeout=5)
        return self.log

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def rendered_elements(markdown: str) -> tuple[str, list[tuple[str, list[tuple[str, str | None]]]]]:
    """The HTML a CommonMark renderer that lets raw HTML through (as GitHub's summary does) makes of it."""
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    parser = _Elements()
    parser.feed(html)
    return html, parser.tags


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "gate"
    yield path
    path.touch()  # whatever happened, no hook of this test stays held into the next test


HELD_SECONDS = 60_000.0  # emulated: 100 s at the test clock, far beyond any step here; a stop ends it at once


@pytest.fixture
def held(emulator: Any) -> Iterator[Callable[..., str]]:
    """`held(env, revision)`: a deployment created outside the action and held in its BeforeInstall until
    it is stopped - InProgress however slow the machine is. Whatever is still held is stopped at the end."""
    made: list[tuple[Environment, str]] = []

    def hold(env: Environment, revision: dict[str, Any]) -> str:
        emulator.faults.delay("BeforeInstall", HELD_SECONDS, times=1)
        deployment_id = env.create(revision)
        made.append((env, deployment_id))
        wait_for(lambda: holding(env, deployment_id), timeout=30)
        return deployment_id

    yield hold
    for env, deployment_id in made:
        if env.info(deployment_id)["status"] not in ("Succeeded", "Failed", "Stopped"):
            env.codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=False)
        env.wait(deployment_id)


def holding(env: Environment, deployment_id: str) -> bool:
    """Whether the deployment's BeforeInstall is in progress (the hold took, on this deployment)."""
    try:
        targets = env.targets(deployment_id)
    except Exception:  # no target listed yet
        return False
    return any(event["lifecycleEventName"] == "BeforeInstall" and event["status"] == "InProgress"
               for target in targets for event in target["lifecycleEvents"])


# -- 1, 9: a cancelled job (SIGTERM, or SIGINT first as GitHub sends it) -----------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_cancel_exits_within_seconds_and_stops_and_rolls_back(environment: Any, emulator: Any, tmp_path: Path,
                                                                 gate: Path, signum: signal.Signals) -> None:
    """The stop of a deployment lets the event in flight run to its end, which may take many minutes; a
    runner kills a cancelled step seconds after its signal, so the step must not wait for the stop."""
    env: Environment = environment("ec2-rolling", instances=1)
    good = env.revision("1")
    assert env.deploy(good)["status"] == "Succeeded"
    step = Step(deploy_args(env, env.revision("2", gated_before_install(gate))), emulator.env(), tmp_path)
    try:
        deployment_id = step.wait_for_line("Created deployment ").split("Created deployment ", 1)[1].split()[0]
        step.wait_for_line("BeforeInstall started")  # held there until the gate opens
        step.process.send_signal(signum)
        signalled = time.monotonic()
        try:
            step.process.wait(timeout=20)  # a stop waited for would hold it until the gate opens
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running 20 s after {signum.name}:\n{step.log}")
        took = time.monotonic() - signalled
        log = step.finish()
    finally:
        step.kill()
        gate.touch()

    assert step.process.returncode == 128 + signum, log  # 143 / 130, as a shell reports it
    assert f"cancelled ({signum.name})" in log and f"stopping {deployment_id} and rolling back" in log, log
    assert took < 20
    # The stop asked for takes effect once the held event ends; CodeDeploy then rolls back to version 1.
    stopped = env.wait(deployment_id, timeout=60)
    assert stopped["status"] == "Stopped", env.failure(stopped)
    rollback_id = wait_for(lambda: env.info(deployment_id).get("rollbackInfo", {}).get("rollbackDeploymentId"))
    rollback = env.wait(rollback_id, timeout=60)
    assert rollback["status"] == "Succeeded" and rollback["revision"] == good, env.failure(rollback)
    assert wait_for(lambda: answer(env.url()) == "version: 1")


# -- 2: original-fleet: terminate-now --------------------------------------------------------------------

def test_terminate_now_ends_the_termination_wait_and_the_original_fleet(environment: Any, emulator: Any,
                                                                        run_cli: Any) -> None:
    env: Environment = environment("asg-blue-green", blue_green={"termination_wait_minutes": LONGEST_WAIT_MINUTES})
    autoscaling = emulator.client("autoscaling")
    original_asg = env["auto_scaling_group"]
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[original_asg])["AutoScalingGroups"]
    original_instances = {i["InstanceId"] for i in group["Instances"]}
    assert original_instances
    termination_wait = emulator.clock.real(LONGEST_WAIT_MINUTES * 60)  # real seconds at the emulator's clock

    started = time.monotonic()
    # A timeout far shorter than the wait: sitting through it would time out, stop and roll back.
    result = run_cli(*deploy_args(env, env.revision("1"), "--original-fleet", "terminate-now", "--timeout", "2m"),
                     env=emulator.env())
    took = time.monotonic() - started

    assert result.code == 0, result.log
    assert result.outputs["status"] == "Succeeded"
    assert env.info(result.outputs["deployment-id"])["status"] == "Succeeded"
    assert took < termination_wait / 2, f"{took:.0f}s: the step sat through the {termination_wait:.0f}s wait"
    # The original fleet is gone: its Auto Scaling group deleted, its instances out of every group.
    assert autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[original_asg])["AutoScalingGroups"] == []
    pages = autoscaling.get_paginator("describe_auto_scaling_groups").paginate()  # the session holds > 50 groups
    remaining = {i["InstanceId"] for page in pages for g in page["AutoScalingGroups"] for i in g["Instances"]}
    assert not original_instances & remaining
    replacement = {i["id"] for i in json.loads(result.outputs["instances"]) if i["fleet"] == "replacement"}
    assert replacement and replacement <= remaining
    assert wait_for(lambda: answer(env.url()) == "version: 1")


# -- 3: a rollback that fails or is stopped --------------------------------------------------------------

def test_a_rollback_that_fails_too_is_reported_as_failed(environment: Any, emulator: Any, run_cli: Any,
                                                         tmp_path: Path) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    assert env.deploy(env.revision("1"))["status"] == "Succeeded"
    emulator.faults.fail_hook("ValidateService", instance=1, times=2)  # the deployment, then its rollback
    summary_file = tmp_path / "step-summary.md"

    result = run_cli(*deploy_args(env, env.revision("2")),
                     env={**emulator.env(), **GITHUB, "GITHUB_STEP_SUMMARY": str(summary_file)})

    rollback_id = result.outputs["rollback-deployment-id"]
    assert rollback_id and rollback_id == env.info(result.outputs["deployment-id"])["rollbackInfo"][
        "rollbackDeploymentId"], result.log
    assert env.info(rollback_id)["status"] == "Failed"
    assert_rollback_reported(result, rollback_id, "Failed", summary_file.read_text())


def test_a_rollback_that_is_stopped_is_reported_as_stopped(environment: Any, emulator: Any, run_cli: Any,
                                                           tmp_path: Path, gate: Path) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    held = tmp_path / "hold-rollback"
    good = env.revision("1", gated_before_install(gate, only_if=held))  # held only once `held` exists
    assert env.deploy(good)["status"] == "Succeeded"
    first = deployment_ids(env)[0]
    held.touch()
    emulator.faults.fail_hook("ValidateService", instance=1)
    summary_file = tmp_path / "step-summary.md"
    problems: list[BaseException] = []

    def stop_the_rollback() -> None:  # someone stops the rollback while its BeforeInstall is held
        try:
            codedeploy = emulator.client("codedeploy")
            rollback_id = wait_for(lambda: next(
                (d for d in deployment_ids(env)[1:]
                 if codedeploy.get_deployment(deploymentId=d)["deploymentInfo"].get("creator") == "codeDeployRollback"),
                None), timeout=120)
            codedeploy.stop_deployment(deploymentId=rollback_id, autoRollbackEnabled=False)
        except BaseException as exc:  # reported by the test, not lost in the thread
            problems.append(exc)
        finally:
            gate.touch()

    stopper = threading.Thread(target=stop_the_rollback, daemon=True)
    stopper.start()
    result = run_cli(*deploy_args(env, env.revision("2")),
                     env={**emulator.env(), **GITHUB, "GITHUB_STEP_SUMMARY": str(summary_file)})
    stopper.join(timeout=30)
    assert not problems, problems

    rollback_id = result.outputs["rollback-deployment-id"]
    assert rollback_id and rollback_id not in (first, result.outputs["deployment-id"]), result.log
    assert env.info(rollback_id)["status"] == "Stopped"
    assert_rollback_reported(result, rollback_id, "Stopped", summary_file.read_text())


def assert_rollback_reported(result: Any, rollback_id: str, status: str, summary: str) -> None:
    assert result.code == 1, result.log
    assert result.outputs["status"] == "Failed"
    assert "restored" not in result.log, result.log
    assert (f"::error title=codedeploy-deploy%3A the automatic rollback failed too::Rollback {rollback_id} ended "
            f"{status}") in result.log, result.log
    assert f"Automatic rollback [`{rollback_id}`] ended **{status}**." in summary, summary
    assert "restored" not in summary


# -- 5, 12: mode stop / continue refuse what they cannot do, before any change ---------------------------

def test_mode_continue_of_a_deployment_not_ready_exits_2_and_changes_nothing(environment: Any, emulator: Any,
                                                                             run_cli: Any, held: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    done = env.deploy(env.revision("1"))["deploymentId"]
    active = held(env, env.revision("2"))
    for deployment_id, status in ((active, "InProgress"), (done, "Succeeded")):
        result = run_cli("codedeploy-deploy", "--application", env["application"], "--mode", "continue",
                         "--deployment-id", deployment_id, env=emulator.env())
        assert result.code == 2, result.log
        assert f"input 'deployment-id' = '{deployment_id}': it is {status}, not Ready" in result.log
    assert holding(env, active) and env.info(active)["status"] == "InProgress"  # left as it was
    assert env.info(done)["status"] == "Succeeded"
    assert deployment_ids(env) == [done, active]


def revision_and_appspec(env: Environment) -> list[tuple[str, str]]:
    return [("--revision", json.dumps(env.revision("9"))), ("--appspec", ECS_APPSPEC)]


def test_mode_stop_with_a_revision_or_appspec_exits_2_and_stops_nothing(environment: Any, emulator: Any,
                                                                        run_cli: Any, held: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    active = held(env, env.revision("1"))
    for flag, value in revision_and_appspec(env):
        result = run_cli("codedeploy-deploy", "--application", env["application"], "--mode", "stop",
                         "--deployment-id", active, flag, value, env=emulator.env())
        assert result.code == 2, result.log
        assert "mode: stop deploys nothing; remove revision/appspec" in result.log
    assert holding(env, active) and env.info(active)["status"] == "InProgress"  # not stopped
    assert deployment_ids(env) == [active]


def test_mode_continue_with_a_revision_or_appspec_exits_2_and_reroutes_nothing(environment: Any, emulator: Any,
                                                                               run_cli: Any) -> None:
    env: Environment = environment("asg-blue-green", blue_green={"ready": "STOP_DEPLOYMENT",
                                                                 "ready_wait_minutes": LONGEST_WAIT_MINUTES})
    ready = env.create(env.revision("1"))
    try:
        env.wait(ready, ("Ready",))
        for flag, value in revision_and_appspec(env):
            result = run_cli("codedeploy-deploy", "--application", env["application"], "--mode", "continue",
                             "--deployment-id", ready, flag, value, env=emulator.env())
            assert result.code == 2, result.log
            assert "mode: continue deploys nothing; remove revision/appspec" in result.log
        info = env.info(ready)
        assert info["status"] == "Ready" and not info.get("instanceTerminationWaitTimeStarted")
        assert deployment_ids(env) == [ready]
    finally:  # no deployment of this test waits on in Ready for minutes
        env.codedeploy.stop_deployment(deploymentId=ready, autoRollbackEnabled=False)
        env.wait(ready)


# -- 6: mode stop with auto-rollback: off ----------------------------------------------------------------

def test_mode_stop_with_auto_rollback_off_leaves_no_rollback(environment: Any, emulator: Any, run_cli: Any,
                                                             held: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    good = env.revision("1")
    assert env.deploy(good)["status"] == "Succeeded"  # a rollback would have somewhere to go

    active = held(env, env.revision("2"))
    result = run_cli("codedeploy-deploy", "--application", env["application"], "--mode", "stop",
                     "--deployment-id", active, "--auto-rollback", "off", env=emulator.env())
    assert result.code == 0, result.log
    assert result.outputs["status"] == "Stopped" and result.outputs["rollback-deployment-id"] == ""
    info = env.info(active)
    assert info["status"] == "Stopped" and "rollbackDeploymentId" not in info.get("rollbackInfo", {})
    assert len(deployment_ids(env)) == 2  # the good one and the stopped one: no rollback deployment

    # The same stop with the default does roll back, to the good revision: so "off" is what prevented it.
    again = held(env, env.revision("3"))
    rolled = run_cli("codedeploy-deploy", "--application", env["application"], "--mode", "stop",
                     "--deployment-id", again, env=emulator.env())
    assert rolled.code == 0, rolled.log
    rollback_id = rolled.outputs["rollback-deployment-id"]
    assert rollback_id and env.info(rollback_id)["revision"] == good
    assert len(deployment_ids(env)) == 4


# -- 7, 8: the failing hook's log, as the log, the annotation and the summary show it ---------------------

LONG_LOG_VALIDATE = """#!/bin/sh
i=1
while [ $i -le 500 ]; do
  echo "progress line $i of 500"
  i=$((i + 1))
done
echo "FATAL: migration 0042 failed: relation orders does not exist"
exit 3
"""


def test_the_failing_hooks_log_tail_keeps_its_last_lines(environment: Any, emulator: Any, run_cli: Any,
                                                         tmp_path: Path) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    summary_file = tmp_path / "step-summary.md"
    result = run_cli(*deploy_args(env, env.revision("1", {"scripts/validate.sh": LONG_LOG_VALIDATE}),
                                  "--auto-rollback", "off"),
                     env={**emulator.env(), **GITHUB, "GITHUB_STEP_SUMMARY": str(summary_file)})
    assert result.code == 1, result.log
    fatal = "FATAL: migration 0042 failed: relation orders does not exist"

    annotation = next(line for line in result.log.splitlines() if line.startswith("::error title=ValidateService"))
    assert annotation.endswith(f"[stdout]{fatal}"), annotation
    assert "progress line 499 of 500" in annotation and "progress line 1 of 500" not in annotation

    lines = result.log.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("::stop-commands::"))
    tail = lines[start + 1:lines.index(f"::{lines[start].split('::')[2]}::", start)]
    assert tail[-1] == f"  | [stdout]{fatal}", tail
    assert tail[-2] == "  | [stdout]progress line 500 of 500", tail
    assert not any("progress line 1 of 500" in line for line in tail)

    log_tail = summary_file.read_text().split("```text\n", 1)[1].split("\n```", 1)[0]
    assert log_tail.endswith(f"[stdout]{fatal}"), log_tail
    assert "progress line 500 of 500" in log_tail


HOSTILE_NAME = "scripts/<img src=x onerror=alert(1)>.sh"
HOSTILE_VALIDATE = r"""#!/bin/sh
echo 'checking the service'
printf 'a carriage return starts a line for some readers\r```\n'
printf 'so this line may start with a tag\r<img src=x onerror=alert(document.domain)>\n'
echo '</details><img src=y onerror=alert(2)><script>alert(3)</script>'
echo '[click](https://evil.example) ![x](https://evil.example/x.png)'
exit 1
"""


def test_hostile_hook_text_reaches_the_summary_as_text(environment: Any, emulator: Any, run_cli: Any,
                                                       tmp_path: Path) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    appspec = APPSPEC.replace("location: scripts/validate.sh", f"location: '{HOSTILE_NAME}'")
    assert appspec != APPSPEC
    revision = env.revision("1", {"appspec.yml": appspec, HOSTILE_NAME: HOSTILE_VALIDATE})
    summary_file = tmp_path / "step-summary.md"

    result = run_cli(*deploy_args(env, revision, "--auto-rollback", "off"),
                     env={**emulator.env(), **GITHUB, "GITHUB_STEP_SUMMARY": str(summary_file)})

    assert result.code == 1, result.log
    summary = summary_file.read_text()
    assert "onerror=alert(document.domain)" in summary and "<img src=x onerror=alert(1)>" in result.log
    html, elements = rendered_elements(summary)
    assert [tag for tag, _ in elements if tag in ("img", "script")] == [], html
    links = [dict(attrs).get("href") or "" for tag, attrs in elements if tag == "a"]
    assert [link for link in links if not link.startswith(CONSOLE)] == [], html  # only ours
    assert not [(tag, name) for tag, attrs in elements for name, _ in attrs if name.startswith("on")], html
    # Our own markup still works: the table, and the log tail folded in its details block.
    assert [tag for tag, _ in elements].count("details") == 1 and "table" in [tag for tag, _ in elements]
