"""Requests through the emulated ALB while `deploy-actions switch-listener` moves the traffic: none may fail.

    .venv/bin/python benchmarks/listener_load.py [--clients 4] [--bake-time 3s] [--max-requests 50000]

One emulator in this process (clock factor 600) serves a listener in front of two real HTTP apps, `blue`
and `green`, each registered in its own IP target group (health from real probes). `--clients` threads
request the listener's URL in a loop (bounded: `--max-requests` in all, and at most 120 s per scenario),
each response recorded: its body (which side answered), or the status or error when it failed. While they
run, the CLI (`.venv/bin/deploy-actions`, its own process, as a CI step runs it) does:

1. an all-at-once flip blue -> green (`--to green`);
2. a canary back to blue: `--to toggle --strategy canary --steps 10,50,100 --bake-time 3s`.

The load keeps going for one second after the step ends. Printed: requests, failures, which side answered
each share of the requests between the step's log lines (`now receives N%`), requests per second.
Prints markdown for RESULTS.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from _common import CLI, REPO, command_line, exit_cleanly_on_sigterm, load, machine
from tests.integration.emulator.apps import App

from deploy_actions.emulator.server import Emulator

SCENARIO_LIMIT = 120.0  # seconds: the load loop stops whatever happens


@dataclass
class Load:
    """`clients` threads requesting `url` until stopped or `limit` requests were made; every answer kept."""

    url: str
    clients: int
    limit: int
    answers: list[tuple[float, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(self.clients)]
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            answer = request(self.url)
            with self._lock:
                if len(self.answers) >= self.limit:
                    return
                self.answers.append((time.monotonic(), answer))

    def stop(self) -> list[tuple[float, str]]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        return list(self.answers)


def request(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(response.read().decode())
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except OSError as error:
        return f"error: {error.__class__.__name__}"


@dataclass
class Scenario:
    name: str
    argv: list[str]
    code: int = 0
    seconds: float = 0.0
    marks: list[tuple[float, str]] = field(default_factory=list)  # (time, "10%") when the step said so
    answers: list[tuple[float, str]] = field(default_factory=list)


def run_scenario(scenario: Scenario, url: str, env: dict[str, str], clients: int, limit: int) -> None:
    traffic = Load(url, clients, limit)
    time.sleep(1.0)  # a second of steady traffic before the step starts
    started = time.monotonic()
    process = subprocess.Popen([str(CLI), *scenario.argv], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    scenario.marks.append((started, "step started"))
    assert process.stdout is not None
    for line in process.stdout:
        if " now receives " in line:
            side, _, rest = line.strip().partition(" ")
            scenario.marks.append((time.monotonic(), f"{side} at {rest.split(' now receives ', 1)[1].split(':')[0]}"))
        if time.monotonic() - started > SCENARIO_LIMIT:
            process.terminate()
    scenario.code = process.wait()
    scenario.seconds = time.monotonic() - started
    time.sleep(1.0)
    scenario.answers = traffic.stop()


def phases(scenario: Scenario) -> list[tuple[str, Counter[str]]]:
    """The answers between one mark and the next (the last phase runs to the end of the load)."""
    bounds = [*scenario.marks, (float("inf"), "")]
    found = []
    for (start, label), (end, _) in itertools.pairwise(bounds):
        found.append((label, Counter(body for at, body in scenario.answers if start <= at < end)))
    before = Counter(body for at, body in scenario.answers if at < bounds[0][0])
    return [("before the step", before), *found]


def report(scenario: Scenario, clients: int) -> str:
    total = len(scenario.answers)
    failed = sum(1 for _, body in scenario.answers if body not in ("blue", "green"))
    span = (scenario.answers[-1][0] - scenario.answers[0][0]) if total > 1 else 0.0
    lines = [f"### {scenario.name}", "",
             f"`{shlex.join(['deploy-actions', *[_short(a) for a in scenario.argv]])}` — exit {scenario.code}, "
             f"{scenario.seconds:.1f} s; {clients} clients, {total:,} requests ({total / span:.0f}/s), "
             f"**{failed} failed**", "",
             "| phase (from the step's log line) | requests | blue | green | failed | green share |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for label, counts in phases(scenario):
        n = sum(counts.values())
        bad = n - counts["blue"] - counts["green"]
        share = f"{100 * counts['green'] / n:.1f} %" if n else "—"
        lines.append(f"| {label} | {n:,} | {counts['blue']:,} | {counts['green']:,} | {bad} | {share} |")
    return "\n".join(lines) + "\n"


def _short(arg: str) -> str:
    return arg.rsplit("/", 3)[0] + "/…" if arg.startswith("arn:") else arg


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--bake-time", default="3s")
    parser.add_argument("--max-requests", type=int, default=50000)
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    print(f"{machine()}\n")
    print(f"`{command_line([__file__, *sys.argv[1:]])}`\n")
    with tempfile.TemporaryDirectory() as scratch, Emulator(state_dir=Path(scratch), clock_factor=600) as emulator:
        elbv2 = emulator.client("elbv2")
        vpc = emulator.client("ec2").describe_vpcs()["Vpcs"][0]["VpcId"]
        apps = {side: App(side) for side in ("blue", "green")}
        groups = {}
        for side, app in apps.items():
            groups[side] = elbv2.create_target_group(
                Name=f"bench-{side}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip", HealthCheckPath="/health",
                HealthCheckIntervalSeconds=10, HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
            elbv2.register_targets(TargetGroupArn=groups[side], Targets=[{"Id": "127.0.0.1", "Port": app.port}])
        subnets = [s["SubnetId"] for s in emulator.client("ec2").describe_subnets()["Subnets"][:2]]
        balancer = elbv2.create_load_balancer(Name="bench", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        listener = elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=[
            {"Type": "forward", "TargetGroupArn": groups["blue"]}])["Listeners"][0]["ListenerArn"]
        deadline = time.monotonic() + 30
        while not all(d["TargetHealth"]["State"] == "healthy" for side in groups for d in
                      elbv2.describe_target_health(TargetGroupArn=groups[side])["TargetHealthDescriptions"]):
            if time.monotonic() > deadline:
                raise SystemExit("the apps never turned healthy")
            time.sleep(0.1)
        url = emulator.listener_url(listener) + "/"
        env = {"PATH": os.environ.get("PATH", ""), "HOME": scratch, **emulator.env()}
        common = ["switch-listener", "--listener-arn", listener, "--blue-target-group", "bench-blue",
                  "--green-target-group", "bench-green"]
        scenarios = [
            Scenario("All at once, blue → green", [*common, "--to", "green"]),
            Scenario(f"Canary 10/50/100 back to blue, bake {args.bake_time}",
                     [*common, "--to", "toggle", "--strategy", "canary", "--steps", "10,50,100",
                      "--bake-time", args.bake_time]),
        ]
        for scenario in scenarios:
            run_scenario(scenario, url, env, args.clients, args.max_requests)
            print(report(scenario, args.clients))
        for app in apps.values():
            app.stop()
    print(f"{load()} at the end")
    failed = sum(1 for s in scenarios for _, body in s.answers if body not in ("blue", "green"))
    return 0 if failed == 0 and all(s.code == 0 for s in scenarios) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
