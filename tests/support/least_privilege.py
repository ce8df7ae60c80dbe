"""Least privilege, checked: the IAM actions each action's calls needed (recorded at the emulator, see
deploy_actions/emulator/core/calls.py) against what its policy in docs/iam/<action>.json allows.

Two findings, per action: a call its policy does not allow (the policy is too small: the action would fail
on AWS with AccessDenied), and an allowed IAM action no recorded run needed (the policy is too large, or a
path is not exercised). A policy is also checked for shape: Version 2012-10-17, a Sid on every statement,
explicit actions only (no wildcard), a Resource on every statement that names, for each action, an ARN of each
resource type AWS checks it against ("*" alone for an action without resource-level permission), and every
${Placeholder} described in docs/iam/README.md.

Run against a whole test session's recording (every emulator of the session appends to one file):

    DEPLOY_ACTIONS_EMULATOR_RECORD_CALLS=/tmp/calls.jsonl .venv/bin/pytest tests/integration tests/e2e
    .venv/bin/python -m tests.support.least_privilege /tmp/calls.jsonl [--complete]

Without --complete only calls missing from a policy are reported (any subset of the suite may run);
with it, allowed actions no run made are reported too (the full suite ran).

As a pytest plugin (tests/conftest.py loads it): when DEPLOY_ACTIONS_EMULATOR_RECORD_CALLS names a file,
the session's calls are checked at its end, and a call a policy does not allow fails the session.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy_actions.emulator.core.calls import REGISTRY_OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
IAM_DOCS = ROOT / "docs" / "iam"
ACTIONS = ("build-push-ecr", "package-revision", "codedeploy-deploy", "ecs-deploy", "switch-listener",
           "verify-and-notify")
PLACEHOLDER = re.compile(r"\$\{([A-Za-z]+)\}")
# The resource types AWS checks each action against, from the Service Authorization Reference (as parliament
# 1.6.4's IAM definitions hold it). Each inner tuple is one resource the statement must name (any of its types;
# Elastic Load Balancing lists an ALB's and an NLB's listener as alternatives); () means the action has no
# resource-level permission and takes only "*". ecs:Stop/ContinueServiceDeployment are newer than that
# snapshot: taken as checked against the service deployment (the statement names the service too).
RESOURCE_TYPES: dict[str, tuple[tuple[str, ...], ...]] = {
    "cloudwatch:DescribeAlarms": (("cloudwatch:alarm",),),
    "codedeploy:BatchGetDeploymentTargets": (),
    "codedeploy:BatchGetDeployments": (("codedeploy:deploymentgroup",),),
    "codedeploy:ContinueDeployment": (),
    "codedeploy:CreateDeployment": (("codedeploy:deploymentgroup",),),
    "codedeploy:GetApplication": (("codedeploy:application",),),
    "codedeploy:GetDeployment": (("codedeploy:deploymentgroup",),),
    "codedeploy:GetDeploymentConfig": (("codedeploy:deploymentconfig",),),
    "codedeploy:GetDeploymentGroup": (("codedeploy:deploymentgroup",),),
    "codedeploy:ListDeploymentTargets": (),
    "codedeploy:ListDeployments": (("codedeploy:deploymentgroup",),),
    "codedeploy:RegisterApplicationRevision": (("codedeploy:application",),),
    "codedeploy:StopDeployment": (),
    **{f"ecr:{name}": (("ecr:repository",),) for name in (
        "BatchCheckLayerAvailability", "CompleteLayerUpload", "CreateRepository", "DescribeImageScanFindings",
        "DescribeImages", "DescribeRepositories", "InitiateLayerUpload", "ListImages", "PutImage",
        "PutLifecyclePolicy", "StartImageScan", "UploadLayerPart", "BatchGetImage", "GetDownloadUrlForLayer")},
    "ecr:GetAuthorizationToken": (),
    "ecs:ContinueServiceDeployment": (("ecs:service-deployment",),),
    "ecs:DeregisterTaskDefinition": (),
    "ecs:DescribeServiceDeployments": (("ecs:service",), ("ecs:service-deployment",)),
    "ecs:DescribeServiceRevisions": (("ecs:service",), ("ecs:service-revision",)),
    "ecs:DescribeServices": (("ecs:service",),),
    "ecs:DescribeTaskDefinition": (),
    "ecs:DescribeTasks": (("ecs:task",),),
    "ecs:StopTask": (("ecs:task",),),
    "ecs:ListServiceDeployments": (("ecs:service",),),
    "ecs:ListServices": (),
    "ecs:ListTaskDefinitions": (),
    "ecs:ListTasks": (("ecs:container-instance",),),
    "ecs:RegisterTaskDefinition": (("ecs:task-definition",),),
    "ecs:RunTask": (("ecs:task-definition",),),
    "ecs:StopServiceDeployment": (("ecs:service-deployment",),),
    "ecs:TagResource": (("ecs:task-definition", "ecs:service", "ecs:task", "ecs:cluster"),),
    "ecs:UpdateService": (("ecs:service",),),
    "elasticloadbalancing:DescribeListeners": (),
    "elasticloadbalancing:DescribeRules": (),
    "elasticloadbalancing:DescribeTargetGroups": (),
    "elasticloadbalancing:DescribeTargetHealth": (),
    "elasticloadbalancing:ModifyListener": (("elasticloadbalancing:listener/app",
                                             "elasticloadbalancing:listener/net"),),
    "elasticloadbalancing:ModifyRule": (("elasticloadbalancing:listener-rule/app",
                                         "elasticloadbalancing:listener-rule/net"),),
    "iam:PassRole": (("iam:role",),),
    "logs:DescribeLogGroups": (),
    "logs:FilterLogEvents": (("logs:log-group",),),
    "logs:GetLogEvents": (("logs:log-stream",),),
    "s3:AbortMultipartUpload": (("s3:object",),),
    "s3:GetObject": (("s3:object",),),
    "s3:GetObjectVersion": (("s3:object",),),
    "s3:ListBucket": (("s3:bucket",),),
    "s3:PutObject": (("s3:object",),),
}
# Each resource type's ARN, as the reference writes it.
ARN_FORMATS = {
    "cloudwatch:alarm": "arn:${Partition}:cloudwatch:${Region}:${Account}:alarm:${AlarmName}",
    "codedeploy:application": "arn:${Partition}:codedeploy:${Region}:${Account}:application:${ApplicationName}",
    "codedeploy:deploymentconfig": "arn:${Partition}:codedeploy:${Region}:${Account}:deploymentconfig:${Name}",
    "codedeploy:deploymentgroup": "arn:${Partition}:codedeploy:${Region}:${Account}:deploymentgroup:${App}/${Group}",
    "ecr:repository": "arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}",
    "ecs:cluster": "arn:${Partition}:ecs:${Region}:${Account}:cluster/${ClusterName}",
    "ecs:container-instance": "arn:${Partition}:ecs:${Region}:${Account}:container-instance/${Cluster}/${Id}",
    "ecs:service": "arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}",
    "ecs:service-deployment": "arn:${Partition}:ecs:${Region}:${Account}:service-deployment/${C}/${Service}/${Id}",
    "ecs:service-revision": "arn:${Partition}:ecs:${Region}:${Account}:service-revision/${C}/${Service}/${Id}",
    "ecs:task": "arn:${Partition}:ecs:${Region}:${Account}:task/${ClusterName}/${TaskId}",
    "ecs:task-definition": "arn:${Partition}:ecs:${Region}:${Account}:task-definition/${Family}:${Revision}",
    "elasticloadbalancing:listener/app":
        "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:listener/app/${Name}/${Id}/${ListenerId}",
    "elasticloadbalancing:listener/net":
        "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:listener/net/${Name}/${Id}/${ListenerId}",
    "elasticloadbalancing:listener-rule/app":
        "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:listener-rule/app/${Name}/${Id}/${Listener}/${Rule}",
    "elasticloadbalancing:listener-rule/net":
        "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:listener-rule/net/${Name}/${Id}/${Listener}/${Rule}",
    "iam:role": "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
    "logs:log-group": "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}",
    "logs:log-stream": "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${StreamName}",
    "s3:bucket": "arn:${Partition}:s3:::${BucketName}",
    "s3:object": "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
}
EXPLICIT_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")


def policy_path(action: str) -> Path:
    return IAM_DOCS / f"{action}.json"


def load_policy(action: str) -> dict[str, Any]:
    return dict(json.loads(policy_path(action).read_text()))


def statements(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = policy.get("Statement", [])
    return [dict(s) for s in (found if isinstance(found, list) else [found])]


def as_list(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def allowed_actions(policy: Mapping[str, Any]) -> set[str]:
    return {name for statement in statements(policy) if statement.get("Effect") == "Allow"
            for name in as_list(statement.get("Action", []))}


def shape_problems(action: str, policy: Mapping[str, Any], described: set[str]) -> list[str]:
    """What makes a policy document not one a reviewer should accept (empty when it is fine)."""
    problems = []
    if policy.get("Version") != "2012-10-17":
        problems.append(f"{action}: Version must be 2012-10-17 (policy variables need it)")
    sids = [s.get("Sid") for s in statements(policy)]
    for index, statement in enumerate(statements(policy)):
        sid = statement.get("Sid")
        where = f"{action}: statement {sid or index}"
        if not sid or not re.fullmatch(r"[A-Za-z0-9]+", str(sid)):
            problems.append(f"{where}: needs a Sid of letters and digits")
        if statement.get("Effect") != "Allow":
            problems.append(f"{where}: Effect must be Allow")
        if "NotAction" in statement or "NotResource" in statement:
            problems.append(f"{where}: NotAction/NotResource widen a policy; name actions and resources")
        for name in as_list(statement.get("Action", [])):
            if not EXPLICIT_ACTION.match(name):
                problems.append(f"{where}: {name!r} is not one explicit action (no wildcards)")
            else:
                problems += [f"{where}: {problem}" for problem in resource_problems(name, as_list(
                    statement.get("Resource", [])))]
        if not statement.get("Resource"):
            problems.append(f"{where}: needs a Resource")
        text = json.dumps(statement)
        for name in sorted(set(PLACEHOLDER.findall(text)) - described):
            problems.append(f"{where}: placeholder ${{{name}}} is not described in docs/iam/README.md")
    if len(set(sids)) != len(sids):
        problems.append(f"{action}: Sids must be unique")
    return problems


def _sample(arn: str) -> str:
    """An ARN with every ${Name} replaced the same way, so a policy's ARN (a glob) can be tried on a format's."""
    return PLACEHOLDER.sub(lambda m: "aws" if m.group(1) == "Partition" else "x", arn)


def resource_problems(action: str, resources: list[str]) -> list[str]:
    """Whether the Resource names, for each resource type AWS checks `action` against, an ARN of that type;
    and only "*" for an action AWS checks against no resource."""
    if action not in RESOURCE_TYPES:
        return [f"{action}: its resource types are unknown here; add them to RESOURCE_TYPES in "
                "tests/support/least_privilege.py from the Service Authorization Reference"]
    needed = RESOURCE_TYPES[action]
    if not needed:
        return [] if resources == ["*"] else [
            f"{action} has no resource-level permission: it needs \"Resource\": \"*\" (a statement of its own)"]
    problems = []
    for alternatives in needed:
        samples = [_sample(ARN_FORMATS[kind]) for kind in alternatives]
        if not any(fnmatch.fnmatchcase(sample, _sample(arn)) for arn in resources for sample in samples):
            problems.append(f"{action} is checked against {' or '.join(alternatives)}: name one "
                            f"({ARN_FORMATS[alternatives[0]]})")
    return problems


def described_placeholders() -> set[str]:
    """The ${Name}s docs/iam/README.md's placeholder table describes (lines starting `| ${Name}`)."""
    text = (IAM_DOCS / "README.md").read_text()
    return set(re.findall(r"^\|\s*`\$\{([A-Za-z]+)\}`", text, flags=re.MULTILINE))


@dataclass
class Needs:
    """The IAM actions one action's recorded calls needed, each with the operations that needed it."""

    by_iam: dict[str, set[str]] = field(default_factory=dict)

    def add(self, iam: Iterable[str], operation: str) -> None:
        for name in iam:
            self.by_iam.setdefault(name, set()).add(operation)


def needs_from_calls(calls: Iterable[Mapping[str, Any]]) -> dict[str, Needs]:
    """Per action, from recorded calls (`Call.as_json()` dicts, in the order they were made). A registry request
    (docker's, buildah's: their user agent names no action) counts for the action whose GetAuthorizationToken
    came last before it, whose token it pushes with; other calls naming no action (a test's own) count for none."""
    found: dict[str, Needs] = {}
    token_owner = ""
    for call in calls:
        action = str(call.get("action") or "")
        if call.get("service") == "ecr" and call.get("operation") == "GetAuthorizationToken":
            token_owner = action
        elif not action and call.get("service") == "ecr" and call.get("operation") in REGISTRY_OPERATIONS:
            action = token_owner
        if action:
            found.setdefault(action, Needs()).add(call.get("iam") or (), str(call.get("operation")))
    return found


@dataclass
class Finding:
    action: str
    not_allowed: dict[str, set[str]]  # IAM action -> the operations that needed it
    never_used: set[str]

    @property
    def ok(self) -> bool:
        return not self.not_allowed and not self.never_used


def compare(action: str, needs: Needs, policy: Mapping[str, Any], *, complete: bool) -> Finding:
    allowed = allowed_actions(policy)
    missing = {name: ops for name, ops in needs.by_iam.items() if name not in allowed}
    unused = allowed - set(needs.by_iam) if complete else set()
    return Finding(action, missing, unused)


def report(findings: Iterable[Finding], shapes: Iterable[str] = ()) -> str:
    """A diff the reader can act on: what to add to which policy, what to remove (or exercise)."""
    lines = list(shapes)
    for finding in findings:
        for name, ops in sorted(finding.not_allowed.items()):
            lines.append(f"{finding.action}: MISSING FROM POLICY {name} (needed by {', '.join(sorted(ops))}): "
                         f"add it to docs/iam/{finding.action}.json")
        for name in sorted(finding.never_used):
            lines.append(f"{finding.action}: NEVER USED {name}: no recorded run needed it; remove it from "
                         f"docs/iam/{finding.action}.json, or run the path that needs it")
    return "\n".join(lines)


def check(needs: Mapping[str, Needs], *, complete: bool, actions: Iterable[str] = ACTIONS) -> str:
    """The whole check for `actions` ("" when every policy is well formed and matches its needs)."""
    described = described_placeholders()
    shapes: list[str] = []
    findings = []
    for action in actions:
        policy = load_policy(action)
        shapes += shape_problems(action, policy, described)
        finding = compare(action, needs.get(action, Needs()), policy, complete=complete)
        if not finding.ok:
            findings.append(finding)
    unknown = sorted(set(needs) - set(ACTIONS))
    shapes += [f"{name}: calls recorded for an action with no policy in docs/iam/" for name in unknown]
    return report(findings, shapes)


RECORD_CALLS_ENV = "DEPLOY_ACTIONS_EMULATOR_RECORD_CALLS"


def read_recording(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """The session's recording (a file named by DEPLOY_ACTIONS_EMULATOR_RECORD_CALLS) against docs/iam/."""
    setting = os.environ.get(RECORD_CALLS_ENV, "")
    if setting in ("", "0", "1") or not Path(setting).is_file():
        return
    problems = check(needs_from_calls(read_recording(Path(setting))), complete=False)
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        terminal.write_line("")
        terminal.write_sep("=", "least privilege: the recorded calls against docs/iam/")
        terminal.write_line(problems or f"every call recorded in {setting} is allowed by its action's policy")
    if problems:
        session.exitstatus = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.least_privilege",
                                     description="Compare a recording of the emulator's calls with docs/iam/.")
    parser.add_argument("recording", type=Path, help="the JSON-lines file DEPLOY_ACTIONS_EMULATOR_RECORD_CALLS named")
    parser.add_argument("--complete", action="store_true",
                        help="the whole suite ran: report allowed actions no run needed as well")
    args = parser.parse_args(argv)
    needs = needs_from_calls(read_recording(args.recording))
    problems = check(needs, complete=args.complete)
    for action in ACTIONS:
        used = needs.get(action, Needs()).by_iam
        print(f"{action}: {len(used)} IAM actions needed by the recorded calls")
    print(problems or "every recorded call is allowed by its action's policy"
          + (", and every allowed action was needed" if args.complete else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
