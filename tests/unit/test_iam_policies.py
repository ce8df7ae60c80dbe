"""docs/iam/<action>.json: one well-formed policy per action, and the checker that holds them to it."""

from __future__ import annotations

from tests.support.least_privilege import (
    ACTIONS,
    Needs,
    check,
    compare,
    described_placeholders,
    needs_from_calls,
    policy_path,
    report,
    shape_problems,
)


def test_every_action_has_a_well_formed_policy_with_every_placeholder_described() -> None:
    assert all(policy_path(action).is_file() for action in ACTIONS)
    assert check({}, complete=False) == ""  # shapes only: no recorded calls here


def test_a_wildcard_a_missing_sid_a_not_action_and_an_unknown_placeholder_are_refused() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["s3:Get*"], "Resource": "arn:aws:s3:::${Bucket}/*"},
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
        {"Sid": "Wide", "Effect": "Allow", "NotAction": "iam:*", "Action": [], "Resource": "arn:aws:s3:::${Nope}"}]}
    problems = "\n".join(shape_problems("demo", policy, described_placeholders()))
    assert "'s3:Get*' is not one explicit action" in problems
    assert "'ecr:*' is not one explicit action" in problems
    assert "statement 1: needs a Sid" in problems
    assert "NotAction/NotResource widen a policy" in problems
    assert "placeholder ${Nope} is not described" in problems
    assert "${Bucket}" not in problems
    assert "Version" in "\n".join(shape_problems("demo", {**policy, "Version": "2008-10-17"}, set()))


def test_the_report_says_what_to_add_and_what_to_remove() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Push", "Effect": "Allow", "Action": ["ecr:PutImage", "ecr:BatchGetImage"], "Resource": "*"}]}
    needs = Needs()
    needs.add(["ecr:PutImage"], "PutManifest")
    needs.add(["ecr:InitiateLayerUpload"], "InitiateUpload")
    text = report([compare("build-push-ecr", needs, policy, complete=True)])
    assert text.splitlines() == [
        "build-push-ecr: MISSING FROM POLICY ecr:InitiateLayerUpload (needed by InitiateUpload): "
        "add it to docs/iam/build-push-ecr.json",
        "build-push-ecr: NEVER USED ecr:BatchGetImage: no recorded run needed it; remove it from "
        "docs/iam/build-push-ecr.json, or run the path that needs it"]
    assert report([compare("build-push-ecr", needs, policy, complete=False)]).count("NEVER USED") == 0


def test_a_registry_request_counts_for_the_action_whose_token_came_last() -> None:
    def call(operation: str, action: str = "", iam: tuple[str, ...] = ()) -> dict[str, object]:
        return {"service": "ecr", "operation": operation, "action": action, "iam": list(iam)}

    needs = needs_from_calls([
        call("GetAuthorizationToken", "build-push-ecr", ("ecr:GetAuthorizationToken",)),
        call("CheckBlob", iam=("ecr:BatchCheckLayerAvailability",)),  # buildah, with the action's token
        call("GetAuthorizationToken", iam=("ecr:GetAuthorizationToken",)),  # a test logs in by itself
        call("PutManifest", iam=("ecr:PutImage",)),  # ... and pushes: no action's need
        call("DescribeImages", iam=("ecr:DescribeImages",)),  # a test's API call: no action's either
    ])
    assert set(needs) == {"build-push-ecr"}
    assert sorted(needs["build-push-ecr"].by_iam) == ["ecr:BatchCheckLayerAvailability", "ecr:GetAuthorizationToken"]


def test_each_action_names_the_resources_aws_checks_it_against() -> None:
    group = "arn:aws:codedeploy:${Region}:${Account}:deploymentgroup:${Application}/${DeploymentGroup}"
    deployments = "arn:aws:ecs:${Region}:${Account}:service-deployment/${Cluster}/${Service}/*"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Group", "Effect": "Allow", "Action": ["codedeploy:GetDeployment", "codedeploy:StopDeployment"],
         "Resource": group},
        {"Sid": "Ecs", "Effect": "Allow", "Action": ["ecs:DescribeServiceDeployments"], "Resource": deployments},
        {"Sid": "New", "Effect": "Allow", "Action": ["ecs:ExecuteCommand"], "Resource": "*"}]}
    problems = shape_problems("demo", policy, described_placeholders())
    assert problems == [
        "demo: statement Group: codedeploy:StopDeployment has no resource-level permission: it needs "
        '"Resource": "*" (a statement of its own)',
        "demo: statement Ecs: ecs:DescribeServiceDeployments is checked against ecs:service: name one "
        "(arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName})",
        "demo: statement New: ecs:ExecuteCommand: its resource types are unknown here; add them to "
        "RESOURCE_TYPES in tests/support/least_privilege.py from the Service Authorization Reference"]
