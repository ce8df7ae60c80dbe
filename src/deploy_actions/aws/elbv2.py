"""Elastic Load Balancing v2: listeners, rules, target groups and their targets' health."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deploy_actions.core.aws import aws_failure, error_code
from deploy_actions.core.errors import InputError

TARGET_GROUP_ARN = ":targetgroup/"


def listener(elb: Any, arn: str, *, input_name: str = "listener-arn") -> dict[str, Any]:
    """DescribeListeners for one listener; an unknown or malformed ARN is the user's to fix (exit 2)."""
    try:
        found: dict[str, Any] = elb.describe_listeners(ListenerArns=[arn])["Listeners"][0]
        return found
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in ("ListenerNotFound", "ValidationError"):
            raise InputError.single(input_name, arn, "no such listener in this account and region; copy its ARN "
                                    "from `aws elbv2 describe-listeners --load-balancer-arn ...`") from None
        raise aws_failure(f"reading listener {arn}", exc) from None


def rule(elb: Any, arn: str, *, input_name: str = "rule-arn") -> dict[str, Any]:
    """DescribeRules for one rule; an unknown or malformed ARN is the user's to fix (exit 2)."""
    try:
        found: dict[str, Any] = elb.describe_rules(RuleArns=[arn])["Rules"][0]
        return found
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in ("RuleNotFound", "ValidationError"):
            raise InputError.single(input_name, arn, "no such listener rule in this account and region; copy its "
                                    "ARN from `aws elbv2 describe-rules --listener-arn ...`") from None
        raise aws_failure(f"reading rule {arn}", exc) from None


def target_group(elb: Any, ref: str, *, input_name: str) -> dict[str, Any]:
    """A target group by ARN or by name; one that does not exist is the user's to fix (exit 2)."""
    args = {"TargetGroupArns": [ref]} if TARGET_GROUP_ARN in ref else {"Names": [ref]}
    try:
        found: dict[str, Any] = elb.describe_target_groups(**args)["TargetGroups"][0]
        return found
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in ("TargetGroupNotFound", "ValidationError"):
            raise InputError.single(input_name, ref, "no such target group in this account and region; give its "
                                    "name or ARN") from None
        raise aws_failure(f"reading target group {ref}", exc) from None


def target_health(elb: Any, arn: str) -> list[dict[str, Any]]:
    """Every registered target of the group with its TargetHealth (State, Reason, Description)."""
    try:
        found: list[dict[str, Any]] = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        return found
    except (ClientError, BotoCoreError) as exc:
        raise aws_failure(f"reading the health of target group {arn}", exc) from None


def set_listener_actions(elb: Any, arn: str, actions: list[dict[str, Any]]) -> None:
    """ModifyListener with DefaultActions only: every other property of the listener stays as it is."""
    try:
        elb.modify_listener(ListenerArn=arn, DefaultActions=actions)
    except (ClientError, BotoCoreError) as exc:
        raise aws_failure(f"modifying listener {arn}", exc) from None


def set_rule_actions(elb: Any, arn: str, actions: list[dict[str, Any]]) -> None:
    """ModifyRule with Actions only: the rule's conditions, priority and transforms stay as they are."""
    try:
        elb.modify_rule(RuleArn=arn, Actions=actions)
    except (ClientError, BotoCoreError) as exc:
        raise aws_failure(f"modifying rule {arn}", exc) from None
