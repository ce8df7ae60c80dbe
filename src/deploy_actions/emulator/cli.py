"""`deploy-actions emulator start|stop|status|env|seed|fault`: the emulator from a terminal or a CI job.

`start` runs in the foreground until Ctrl-C (or `stop`), or with `--detach` in the background; both
write `<state-dir>/emulator.json` so the other commands find the running emulator.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from deploy_actions.emulator.core.defaults import LOOPBACK, server_missing_message

STATE_FILE = "emulator.json"


def default_state_dir() -> Path:
    configured = os.environ.get("DEPLOY_ACTIONS_EMULATOR_STATE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "deploy-actions" / "emulator"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="deploy-actions emulator", description=__doc__)
    root.add_argument("--state-dir", type=Path, default=None,
                      help="where the running emulator is recorded (default: $DEPLOY_ACTIONS_EMULATOR_STATE_DIR "
                           "or ~/.local/state/deploy-actions/emulator)")
    # `--state-dir` is also accepted after the verb (`emulator start --state-dir D`), as the docs show it.
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--state-dir", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    verbs = root.add_subparsers(dest="verb", required=True)

    def verb(name: str, help: str) -> argparse.ArgumentParser:
        return verbs.add_parser(name, help=help, parents=[shared])

    start = verb("start", "start the emulator (foreground unless --detach)")
    start.add_argument("--port", type=int, default=4566, help="port on 127.0.0.1; 0 picks a free one")
    start.add_argument("--region", default="us-east-1")
    start.add_argument("--clock-factor", type=float, default=1.0,
                       help="AWS waits run this many times faster (60: a minute takes a second)")
    start.add_argument("--detach", action="store_true", help="run in the background and return")
    verb("stop", "stop the running emulator and every process its instances started")
    status = verb("status", "endpoint, load balancer addresses, instances, faults")
    status.add_argument("--json", action="store_true")
    verb("env", "print `export AWS_ENDPOINT_URL=...` lines for the running emulator")
    seed = verb("seed", "create a scenario's resources: a built-in one (asg-blue-green, ec2-rolling, ...; "
                "an unknown name lists them all) or a YAML file")
    seed.add_argument("scenario")
    seed.add_argument("--prefix", default="", help="prefix for every resource name")
    fault = verb("fault", "inject a fault into the running emulator")
    kinds = fault.add_subparsers(dest="kind", required=True)
    hook = kinds.add_parser("hook", help="fail a lifecycle event on the k-th instance")
    hook.add_argument("--event", required=True)
    hook.add_argument("--instance", default="1", help="position in the deployment (1-based) or instance id")
    hook.add_argument("--exit-code", type=int, default=1)
    hook.add_argument("--times", type=int, default=1)
    unhealthy = kinds.add_parser("unhealthy", help="make targets fail their health checks")
    unhealthy.add_argument("--target-group", default="")
    unhealthy.add_argument("--target", default="")
    unhealthy.add_argument("--seconds", type=float, default=None, help="emulated seconds; default: until cleared")
    alarm = kinds.add_parser("alarm", help="put a CloudWatch alarm into ALARM at time t")
    alarm.add_argument("--alarm", required=True)
    alarm.add_argument("--at", type=float, default=0.0, help="emulated seconds from now")
    alarm.add_argument("--state", default="ALARM")
    alarm.add_argument("--for-seconds", type=float, default=None,
                       help="emulated seconds to hold it, then back to its previous state (default: until new data)")
    throttle = kinds.add_parser("throttle", help="answer a fraction of API calls with a throttling error")
    throttle.add_argument("--fraction", type=float, required=True)
    throttle.add_argument("--service", default="", help="signing name: codedeploy, elasticloadbalancing, s3, ...")
    throttle.add_argument("--operation", default="")
    delay = kinds.add_parser("delay", help="hold a lifecycle event (or Created) for extra emulated seconds")
    delay.add_argument("--state", required=True)
    delay.add_argument("--seconds", type=float, required=True)
    delay.add_argument("--times", type=int, default=None, help="how many times it applies (default: every time)")
    findings = kinds.add_parser("scan-findings", help="what the next ECR scans of a repository's images find")
    findings.add_argument("--repository", required=True)
    findings.add_argument("--tag", default="", help="only images with a tag matching this pattern")
    findings.add_argument("--finding", action="append", default=[], metavar="NAME=SEVERITY",
                          help="e.g. CVE-2024-1234=CRITICAL (repeat); none: a clean scan")
    findings.add_argument("--seconds", type=float, default=None, help="emulated seconds a scan takes (10)")
    kinds.add_parser("clear", help="remove every fault")
    lifecycle = verb("lifecycle", "run ECR lifecycle policies now (or as if N days had passed)")
    lifecycle.add_argument("--repository", default="", help="one repository (default: all)")
    lifecycle.add_argument("--days-later", type=float, default=0.0, help="evaluate this many emulated days ahead")
    return root


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(list(argv))
    state_dir: Path = args.state_dir or default_state_dir()
    try:
        if args.verb == "start":
            unmet = server_missing_message("deploy-actions emulator start")
            if unmet:
                print(unmet, file=sys.stderr)
                return 2
            return _start(args, state_dir)
        running = _running(state_dir)
        if running is None:
            unmet = server_missing_message("starting it")
            print(f"deploy-actions emulator: not running (no {state_dir / STATE_FILE}); start it with "
                  "`deploy-actions emulator start --detach`" + (f"; {unmet}" if unmet else ""), file=sys.stderr)
            return 2 if unmet else 1
        return _command(args, running)
    except (OSError, ValueError) as error:
        print(f"deploy-actions emulator: {error}", file=sys.stderr)
        return 1


def _running(state_dir: Path) -> dict[str, Any] | None:
    path = state_dir / STATE_FILE
    if not path.is_file():
        return None
    recorded: dict[str, Any] = json.loads(path.read_text())
    try:
        _call(recorded["endpoint"], "GET", "status")
    except OSError:
        return None  # a stale record of an emulator that is gone
    return recorded


def _call(endpoint: str, method: str, path: str, payload: object | None = None) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(f"{endpoint}/_emulator/{path}", data=data, method=method,  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback endpoint
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raise ValueError(json.loads(error.read() or b"{}").get("error", str(error))) from error


def exports(env: dict[str, str]) -> str:
    return "\n".join(f"export {key}={value}" for key, value in env.items())


def _env_of(running: dict[str, Any]) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": running["endpoint"], "AWS_REGION": running["region"],
            "AWS_DEFAULT_REGION": running["region"], "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing"}


def _start(args: argparse.Namespace, state_dir: Path) -> int:
    if _running(state_dir) is not None:
        print(f"deploy-actions emulator: already running (see {state_dir / STATE_FILE})", file=sys.stderr)
        return 1
    busy = _port_in_use(args.port)
    if busy:
        print(f"deploy-actions emulator: port {args.port} on {LOOPBACK} is in use ({busy}); stop what holds it, "
              f"or start on another: --port 0 picks a free one (`deploy-actions emulator env` prints it)",
              file=sys.stderr)
        return 1
    state_dir.mkdir(parents=True, exist_ok=True)
    if args.detach:
        return _start_detached(args, state_dir)
    from deploy_actions.emulator.server import Emulator

    emulator = Emulator(region=args.region, port=args.port, state_dir=state_dir / "instances-root",
                        clock_factor=args.clock_factor)
    emulator.start()
    record = {"endpoint": emulator.endpoint_url, "region": emulator.region, "pid": os.getpid(),
              "clock_factor": args.clock_factor}
    (state_dir / STATE_FILE).write_text(json.dumps(record))
    # SIGTERM (from `stop` or a CI runner) ends the emulator as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: emulator.shutdown_requested.set())
    print(f"emulator listening on {emulator.endpoint_url}; stop with Ctrl-C or `deploy-actions emulator stop`")
    print(exports(emulator.env()), flush=True)
    try:
        while not emulator.shutdown_requested.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        (state_dir / STATE_FILE).unlink(missing_ok=True)
    return 0


def _port_in_use(port: int) -> str:
    """Why port on loopback cannot be bound (as the server binds it, SO_REUSEADDR), or "" when it can."""
    if port == 0:
        return ""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError as error:
            return error.strerror or str(error)
    return ""


def _start_detached(args: argparse.Namespace, state_dir: Path) -> int:
    command = [sys.executable, "-m", "deploy_actions.emulator.cli", "--state-dir", str(state_dir), "start",
               "--port", str(args.port), "--region", args.region, "--clock-factor", str(args.clock_factor)]
    log = (state_dir / "emulator.log").open("ab")
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        running = _running(state_dir)
        if running is not None and running.get("pid") == process.pid:
            print(exports(_env_of(running)))
            return 0
        if process.poll() is not None:
            print(f"deploy-actions emulator: failed to start; see {state_dir / 'emulator.log'}", file=sys.stderr)
            return 1
        time.sleep(0.1)
    process.kill()
    print("deploy-actions emulator: did not start within 60 s", file=sys.stderr)
    return 1


def _command(args: argparse.Namespace, running: dict[str, Any]) -> int:
    endpoint = running["endpoint"]
    if args.verb == "env":
        print(exports(_env_of(running)))
    elif args.verb == "status":
        status = _call(endpoint, "GET", "status")
        print(json.dumps(status, indent=2) if args.json else _describe(status))
    elif args.verb == "stop":
        _call(endpoint, "POST", "shutdown", {})
        _wait_gone(endpoint)
        print("emulator stopped")
    elif args.verb == "seed":
        print(json.dumps(_seed(running, args.scenario, args.prefix), indent=2))
    elif args.verb == "lifecycle":
        print(json.dumps(_call(endpoint, "POST", "ecr/lifecycle",
                               {"repository": args.repository, "days_later": args.days_later}), indent=2))
    elif args.verb == "fault":
        if args.kind == "clear":
            _call(endpoint, "DELETE", "faults")
        else:
            fault = {k: v for k, v in vars(args).items() if k not in ("verb", "state_dir") and v is not None}
            _call(endpoint, "POST", "faults", fault)
        print(json.dumps(_call(endpoint, "GET", "status")["faults"], indent=2))
    return 0


def _wait_gone(endpoint: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _call(endpoint, "GET", "status")
        except OSError:
            return
        time.sleep(0.1)


def _seed(running: dict[str, Any], scenario: str, prefix: str) -> dict[str, Any]:
    import boto3
    from botocore.exceptions import ClientError

    from deploy_actions.emulator.core.defaults import DUMMY_CREDENTIALS
    from deploy_actions.emulator.seed import load_scenario, seed

    session = boto3.session.Session(region_name=running["region"], **DUMMY_CREDENTIALS)
    try:
        return seed(lambda service: session.client(service, endpoint_url=running["endpoint"]),
                    load_scenario(scenario), prefix=prefix)
    except ClientError as error:  # a scenario AWS would refuse: say what, not a traceback
        raise ValueError(f"seeding {scenario} stopped (what was created before stays): {error}") from None


def _describe(status: dict[str, Any]) -> str:
    lines = [f"endpoint      {status['endpoint']} ({status['region']}, clock x{status['clock_factor']:g})"]
    for name, address in status["load_balancers"].items():
        lines.append(f"load balancer {name}: http://{address}")
        # each listener's own address and its ARN (what switch-listener and a test-url need)
        for arn, listening in status.get("listeners", {}).items():
            if arn.split(":listener/", 1)[-1].split("/")[1:2] == [name]:
                lines.append(f"  listener    http://{listening} {arn}")
    for instance in status["instances"]:
        group = instance.get("auto_scaling_group") or ""
        where = ", ".join([*([f"group {group}"] if group else []),
                           *(f"in {tg}" for tg in instance.get("target_groups", []))])
        lines.append(f"instance      {instance['id']} at {instance['address']}{f' ({where})' if where else ''} "
                     f"({instance['root']})")
    for service in status.get("ecs_services", []):
        lines.append(f"ecs service   {service['service']}")
        for task in service["tasks"]:
            lines.append(f"  task        {task['task'].rsplit('/', 1)[-1]} {task['lastStatus']} at {task['address']} "
                         f"({task['runtime']}, {task['of']})")
    active = {kind: faults for kind, faults in status["faults"].items() if faults}
    lines.append(f"faults        {json.dumps(active) if active else 'none'}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
