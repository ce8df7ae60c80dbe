"""The in-process demo (`make demo-cli`, no Docker needed): the documented blue/green pipeline on the emulator.

`python -m deploy_actions.emulator.demo --cli` starts the emulator, seeds the ASG blue/green scenario, and
for version 1, then version 2 of examples/app runs the project's own actions through the CLI, as a
pipeline would: `deploy-actions package-revision` (bundle, upload to S3, register) and
`deploy-actions codedeploy-deploy --revision <package-revision's revision output>`. Meanwhile it
polls the load balancer and shows its answers switching from one version to the other.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_actions.emulator.demo.watch import Say, Watcher, fetch
from deploy_actions.emulator.seed import load_scenario, seed

if TYPE_CHECKING:
    from deploy_actions.emulator.server import Emulator  # imports moto: only once main() checked it is there

EXAMPLE_APP = Path(__file__).resolve().parents[4] / "examples" / "app"


def app_version(source: Path, version: str, workdir: Path) -> Path:
    target = workdir / f"app-{version}"
    shutil.copytree(source, target)
    (target / "www" / "version").write_text(f"version: {version}\n")
    (target / "www" / "index.html").write_text(f"<!doctype html><title>example</title><p>version: {version}</p>\n")
    return target


class _Lines(io.StringIO):
    """A text stream that hands each complete line to `say`, indented: an action's log inside the demo's."""

    def __init__(self, say: Say, indent: str) -> None:
        super().__init__()
        self.say, self.indent, self._pending = say, indent, ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self.say(f"{self.indent}{line}" if line else "")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.write("\n")


def _shown(arg: str, limit: int = 60) -> str:
    """An argument as a shell would take it; a long one (the revision JSON) cut short for the eye."""
    quoted = shlex.quote(arg)
    return quoted if len(quoted) <= limit else quoted[:limit - 2] + "…" + quoted[-1]


def run_action(name: str, inputs: dict[str, str], environ: dict[str, str], say: Say) -> tuple[int, dict[str, str]]:
    """`deploy-actions <name> --<input> VALUE ... --json`, in this process; returns exit code and outputs."""
    from deploy_actions.cli import main as cli

    argv = [name, *(part for key, value in inputs.items() for part in (f"--{key}", value)), "--json"]
    say(f"  $ deploy-actions {' '.join(_shown(part) for part in argv)}")
    outputs_json, log = io.StringIO(), _Lines(say, "  │ ")
    code = cli(argv, environ=environ, stdout=outputs_json, stderr=log)
    log.flush()
    lines = outputs_json.getvalue().strip().splitlines()
    outputs: dict[str, str] = json.loads(lines[-1]) if lines else {}
    say(f"  exit {code}")
    return code, outputs


def fleet(emulator: Emulator, env: dict[str, Any]) -> str:
    group = emulator.client("codedeploy").get_deployment_group(
        applicationName=env["application"], deploymentGroupName=env["deployment_group"])["deploymentGroupInfo"]
    names = [g["name"] for g in group.get("autoScalingGroups", [])]
    groups = emulator.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=names)
    return "; ".join(f"{g['AutoScalingGroupName']} ({', '.join(i['InstanceId'] for i in g['Instances'])})"
                     for g in groups["AutoScalingGroups"])


def action_environ(emulator: Emulator, work: Path) -> dict[str, str]:
    """What a CI job would give the actions: the emulator's AWS variables, PATH and HOME, nothing else."""
    environ = emulator.env()
    for name in ("PATH", "HOME"):
        if name in os.environ:
            environ[name] = os.environ[name]
    environ["DEPLOY_ACTIONS_SUMMARY"] = str(work / "summary.md")  # not into the caller's directory
    return environ


def run_demo(say: Say = print, clock_factor: float = 300.0, app: Path = EXAMPLE_APP) -> int:
    """0 when version 2 ends up served through the load balancer, 1 otherwise."""
    started = time.monotonic()
    from deploy_actions.emulator.server import Emulator

    with tempfile.TemporaryDirectory(prefix="deploy-actions-demo-") as tmp, \
            Emulator(clock_factor=clock_factor) as emulator:
        work = Path(tmp)
        say(f"emulator on {emulator.endpoint_url} (clock x{clock_factor:g}: a 5-minute wait takes "
            f"{300 / clock_factor:.1f} s)")
        env = seed(emulator.client, load_scenario("asg-blue-green"))
        url = emulator.listener_url(env["listener_arn"]) + "/version"
        say(f"seeded asg-blue-green: application {env['application']}, group {env['deployment_group']}, "
            f"bucket {env['bucket']}, load balancer {url.rsplit('/', 1)[0]}")
        say(f"fleet: {fleet(emulator, env)}")
        environ = action_environ(emulator, work)
        deployed = []
        for version in ("1", "2"):
            say(f"\n━━ version {version}: package {app.name}, then deploy it blue/green "
                "(a copy of the Auto Scaling group)")
            source = app_version(app, version, work)
            code, package = run_action("package-revision", {
                "source": str(source), "output": str(work / f"revision-{version}.zip"),
                "bucket": env["bucket"], "key-prefix": "releases/shop", "application": env["application"],
                "description": f"deploy-actions demo, version {version}",
            }, environ, say)
            if code != 0 or not package.get("revision"):
                say(f"  package-revision failed (exit {code})")
                return 1
            say(f"  → revision s3://{package['s3-bucket']}/{package['s3-key']} (sha256 {package['sha256'][:12]}…)")
            with Watcher(url, say):
                code, deploy = run_action("codedeploy-deploy", {
                    "application": env["application"], "deployment-group": env["deployment_group"],
                    "revision": package["revision"], "description": f"deploy-actions demo, version {version}",
                    "timeout": "5m",
                }, environ, say)
            say(f"  → deployment {deploy.get('deployment-id') or '(none)'}: {deploy.get('status') or 'no outputs'}")
            if code != 0:
                say(f"  codedeploy-deploy failed (exit {code})")
                return 1
            deployed.append(f"{deploy['deployment-id']} {deploy['status']}")
            say(f"  fleet now: {fleet(emulator, env)}")
        served = fetch(url)
        # TrafficRerouted is a success too: the step ends once traffic is on the new fleet (original-fleet:
        # leave), and CodeDeploy may still wait to terminate the original one; Succeeded when that wait is over.
        say(f"\nresult: {len(deployed)} deployments done ({', '.join(deployed)}); the load balancer "
            f"serves '{served}' ({time.monotonic() - started:.1f} s)")
        return 0 if served == "version: 2" else 1
