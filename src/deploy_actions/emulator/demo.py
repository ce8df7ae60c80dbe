"""The README's first command: a blue/green pipeline on the emulator, end to end, offline.

`python -m deploy_actions.emulator.demo` starts the emulator, seeds the ASG blue/green scenario,
packages examples/app twice (version 1, then version 2), deploys both with CodeDeploy calls, and
shows the fleet and the answers of the load balancer switching from one version to the other.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy_actions.emulator.bundle import upload_revision, zip_revision
from deploy_actions.emulator.seed import load_scenario, seed
from deploy_actions.emulator.server import Emulator

# Takes an app directory, the revisions bucket and the emulator; returns CreateDeployment's `revision`.
Packager = Callable[[Path, str, Emulator], dict[str, Any]]
EXAMPLE_APP = Path(__file__).resolve().parents[3] / "examples" / "app"
DONE = ("Succeeded", "Failed", "Stopped")


def zip_and_upload(source: Path, bucket: str, emulator: Emulator) -> dict[str, Any]:
    """The default packager (package-revision can replace it: see `run_demo(package=...)`)."""
    return upload_revision(emulator.client("s3"), bucket, zip_revision(source))


def app_version(source: Path, version: str, workdir: Path) -> Path:
    target = workdir / f"app-{version}"
    shutil.copytree(source, target)
    (target / "www" / "version").write_text(f"version: {version}\n")
    (target / "www" / "index.html").write_text(f"<!doctype html><title>example</title><p>version: {version}</p>\n")
    return target


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - a loopback URL we built
            return str(response.read().decode().strip())
    except OSError as error:
        return f"({type(error).__name__})"


class Watcher:
    """Polls the load balancer while a deployment runs and reports each change of answer."""

    def __init__(self, url: str, say: Callable[[str], None]) -> None:
        self.url, self.say = url, say
        self.seen: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.wait(0.1):
            answer = fetch(self.url)
            if not self.seen or self.seen[-1] != answer:
                self.seen.append(answer)
                self.say(f"  {time.monotonic() - started:5.1f}s  load balancer answers: {answer}")


def deploy(emulator: Emulator, env: dict[str, Any], revision: dict[str, Any], say: Callable[[str], None],
           timeout: float = 60) -> dict[str, Any]:
    codedeploy = emulator.client("codedeploy")
    deployment_id = codedeploy.create_deployment(applicationName=env["application"],
                                                 deploymentGroupName=env["deployment_group"], revision=revision,
                                                 description="deploy-actions demo")["deploymentId"]
    say(f"  deployment {deployment_id} created")
    last = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        overview = info.get("deploymentOverview") or {}
        line = f"{info['status']:<11} " + " ".join(f"{k}={v}" for k, v in overview.items() if v)
        if info.get("instanceTerminationWaitTimeStarted") and info["status"] not in DONE:
            line += "  (traffic rerouted; waiting to terminate the original fleet)"
        if line != last:
            say(f"  {deployment_id}: {line}")
            last = line
        if info["status"] in DONE:
            return dict(info)
        time.sleep(0.1)
    raise TimeoutError(f"{deployment_id} did not finish in {timeout} s")


def fleet(emulator: Emulator, env: dict[str, Any]) -> str:
    group = emulator.client("codedeploy").get_deployment_group(
        applicationName=env["application"], deploymentGroupName=env["deployment_group"])["deploymentGroupInfo"]
    names = [g["name"] for g in group.get("autoScalingGroups", [])]
    groups = emulator.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=names)
    return "; ".join(f"{g['AutoScalingGroupName']} ({', '.join(i['InstanceId'] for i in g['Instances'])})"
                     for g in groups["AutoScalingGroups"])


def run_demo(say: Callable[[str], None] = print, clock_factor: float = 300.0,
             package: Packager = zip_and_upload, app: Path = EXAMPLE_APP) -> int:
    """0 when version 2 ends up served through the load balancer, 1 otherwise."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="deploy-actions-demo-") as work, \
            Emulator(clock_factor=clock_factor) as emulator:
        say(f"emulator on {emulator.endpoint_url} (clock x{clock_factor:g}: a 5-minute wait takes "
            f"{300 / clock_factor:.1f} s)")
        env = seed(emulator.client, load_scenario("asg-blue-green"))
        url = emulator.listener_url(env["listener_arn"]) + "/version"
        say(f"seeded asg-blue-green: application {env['application']}, group {env['deployment_group']}, "
            f"load balancer {url.rsplit('/', 1)[0]}")
        say(f"fleet: {fleet(emulator, env)}")
        results = []
        for version in ("1", "2"):
            say(f"\nversion {version}: package {app.name} and deploy (blue/green, copy of the Auto Scaling group)")
            revision = package(app_version(app, version, Path(work)), env["bucket"], emulator)
            say(f"  revision s3://{revision['s3Location']['bucket']}/{revision['s3Location']['key']}")
            with Watcher(url, say):
                info = deploy(emulator, env, revision, say)
            results.append(info)
            say(f"  fleet now: {fleet(emulator, env)}")
            if info["status"] != "Succeeded":
                say(f"  failed: {info.get('errorInformation')}")
                return 1
        served = fetch(url)
        say(f"\nresult: {len(results)} deployments succeeded; the load balancer serves '{served}' "
            f"({time.monotonic() - started:.1f} s)")
        return 0 if served == "version: 2" else 1


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m deploy_actions.emulator.demo", description=__doc__)
    parser.add_argument("--clock-factor", type=float, default=300.0, help="AWS waits run this many times faster")
    parser.add_argument("--app", type=Path, default=EXAMPLE_APP, help="the app to deploy (default: examples/app)")
    args = parser.parse_args(argv)
    if not (args.app / "appspec.yml").is_file():
        print(f"demo: no appspec.yml in {args.app}; run from a checkout of deploy-actions or pass --app DIR",
              file=sys.stderr)
        return 2
    return run_demo(clock_factor=args.clock_factor, app=args.app)


if __name__ == "__main__":
    sys.exit(main())
