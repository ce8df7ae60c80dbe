"""ecs-deploy rolling 20 services in one step, beside 20 sequential aws-actions-style steps, same emulator run.

    .venv/bin/python benchmarks/ecs_many.py [--services 20] [--clock-factor 6] [--repeat 1]

One emulator in this process (its ECS engine: stand-in tasks, real rolling deployments, 2 tasks per service,
maximumPercent 200, circuit breaker on). Each side rolls the same kind of change (a new image) out to its own
fresh services:

- `deploy-actions ecs-deploy --services <one per line> --containers app=IMAGE`, run as a step runs it (its
  own process); once for ONE service, then for all N: the goal is N services in at most 1.2x the time of one;
- aws-actions style, one step per service, one after the other: DescribeTaskDefinition, render (image
  replaced, read-only keys dropped), RegisterTaskDefinition, UpdateService, then the `services_stable` waiter
  polling DescribeServices every 15 s (what `aws ecs wait services-stable` and
  amazon-ecs-deploy-task-definition do).

API calls: ours from its own count (DEPLOY_ACTIONS_DEBUG prints them); the other side's from botocore's
before-call hook. "Per poll": the calls of one round of the follow loop (ours: DescribeServices per 10
services + DescribeServiceDeployments per 20 deployments) against DescribeServices per service per waiter poll.
Prints markdown for RESULTS.md.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from typing import Any

from _common import CLI, machine

from deploy_actions.emulator.server import Emulator

LABELS = {"deploy-actions.emulator.runtime": "stand-in"}
READ_ONLY = ("taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt",
             "registeredBy", "deregisteredAt")


def client(emulator: Emulator, service: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=emulator.endpoint_url, region_name="us-east-1",
                        aws_access_key_id="bench", aws_secret_access_key="bench")  # noqa: S106 - the emulator's


def fleet(emulator: Emulator, count: int) -> tuple[str, list[str]]:
    """A cluster with `count` services running one revision, every first deployment finished."""
    ecs, ec2 = client(emulator, "ecs"), client(emulator, "ec2")
    suffix = uuid.uuid4().hex[:6]
    cluster = f"bench-{suffix}"
    ecs.create_cluster(clusterName=cluster)
    arn = ecs.register_task_definition(
        family=f"web-{suffix}", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": "repo/web:1", "essential": True,
                               "portMappings": [{"containerPort": 8080}], "dockerLabels": LABELS}],
    )["taskDefinition"]["taskDefinitionArn"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}}
    names = [f"svc-{n:02d}" for n in range(count)]
    for name in names:
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=arn, desiredCount=2, launchType="FARGATE",
                           networkConfiguration=network, deploymentConfiguration={
                               "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                               "maximumPercent": 200, "minimumHealthyPercent": 100})
    deadline = time.monotonic() + 300
    while not all(settled(ecs, cluster, names)):
        assert time.monotonic() < deadline, "the services never settled"
        time.sleep(0.5)
    return cluster, names


def settled(ecs: Any, cluster: str, names: list[str]) -> list[bool]:
    found = []
    for start in range(0, len(names), 10):
        for service in ecs.describe_services(cluster=cluster, services=names[start:start + 10])["services"]:
            deployments = service["deployments"]
            found.append(len(deployments) == 1 and deployments[0].get("rolloutState") == "COMPLETED")
    return found


def ours(emulator: Emulator, cluster: str, names: list[str], image: str) -> tuple[float, Counter[str], float]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": tempfile.mkdtemp(), "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": emulator.endpoint_url,
           "DEPLOY_ACTIONS_DEBUG": "1"}
    started = time.monotonic()
    done = subprocess.run([str(CLI), "ecs-deploy", "--cluster", cluster, "--services", "\n".join(names),
                           "--containers", f"app={image}"], env=env, capture_output=True, text=True, timeout=900,
                          check=False)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    match = re.search(r"AWS API calls: \d+ (\{.*\})", done.stdout)
    polls = re.search(r"followed .*: (\d+) polls, (\d+) API calls", done.stdout)
    assert match and polls, done.stdout
    return seconds, Counter(ast.literal_eval(match.group(1))), int(polls.group(2)) / int(polls.group(1))


def aws_actions_style(emulator: Emulator, cluster: str, names: list[str], image: str) -> tuple[float, Counter[str]]:
    ecs = client(emulator, "ecs")
    calls: Counter[str] = Counter()
    ecs.meta.events.register("before-call", lambda model, **_: calls.update([f"ecs.{model.name}"]))
    started = time.monotonic()
    for name in names:  # one workflow step per service, one after the other
        current = ecs.describe_services(cluster=cluster, services=[name])["services"][0]["taskDefinition"]
        definition = ecs.describe_task_definition(taskDefinition=current)["taskDefinition"]
        for key in READ_ONLY:
            definition.pop(key, None)
        definition["containerDefinitions"][0]["image"] = image
        arn = ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
        ecs.update_service(cluster=cluster, service=name, taskDefinition=arn)
        ecs.get_waiter("services_stable").wait(cluster=cluster, services=[name],
                                               WaiterConfig={"Delay": 15, "MaxAttempts": 40})
    return time.monotonic() - started, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--clock-factor", type=float, default=6.0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    rows = []
    with Emulator(state_dir=tempfile.mkdtemp(), clock_factor=args.clock_factor) as emulator:
        for round_ in range(args.repeat):
            cluster, one = fleet(emulator, 1)
            t1, c1, p1 = ours(emulator, cluster, one, f"repo/web:one-{round_}")
            print(f"ours, 1 service: {t1:.1f}s", file=sys.stderr, flush=True)
            cluster, many = fleet(emulator, args.services)
            tn, cn, pn = ours(emulator, cluster, many, f"repo/web:many-{round_}")
            print(f"ours, {args.services} services: {tn:.1f}s", file=sys.stderr, flush=True)
            cluster, seq = fleet(emulator, args.services)
            ts, cs = aws_actions_style(emulator, cluster, seq, f"repo/web:seq-{round_}")
            rows.append((t1, c1, p1, tn, cn, pn, ts, cs))
            print(f"round {round_ + 1}: ours 1 service {t1:.1f}s, ours {args.services} services {tn:.1f}s, "
                  f"{args.services} sequential steps {ts:.1f}s", file=sys.stderr)
    print(f"Machine: {machine()}; emulator clock x{args.clock_factor:g} (a task starts in 15 emulated s), "
          f"{args.services} services of 2 tasks each.\n")
    print("| side | wall time | API calls | calls per poll | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for t1, c1, p1, tn, cn, pn, ts, cs in rows:
        print(f"| ecs-deploy, 1 service | {t1:.1f} s | {sum(c1.values())} | {p1:.1f} | 1.00 |")
        print(f"| ecs-deploy, {args.services} services in one step | {tn:.1f} s | {sum(cn.values())} | "
              f"{pn:.1f} | {tn / t1:.2f} |")
        print(f"| aws-actions style, {args.services} sequential steps (waiter every 15 s) | {ts:.1f} s | "
              f"{sum(cs.values())} | 1 per service | {ts / t1:.2f} |")
        print(f"\nOurs, {args.services} services, calls by operation: "
              + ", ".join(f"{k.split('.', 1)[1]} {v}" for k, v in sorted(cn.items())))
        print("aws-actions style, calls by operation: "
              + ", ".join(f"{k.split('.', 1)[1]} {v}" for k, v in sorted(cs.items())))


if __name__ == "__main__":
    main()
