"""Elastic Load Balancing v2: listeners, rules, target groups and their targets' health."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deploy_actions.core.aws import aws_failure, error_code
from deploy_actions.core.errors import InputError

TARGET_GROUP_ARN = ":targetgroup/"


def listener(elb: Any, arn: str, *, input_name: str = "listener-arn") -> dict[str, Any]:
    """DescribeListeners for one listener; an unknown or malformed ARN is the user's to fix (exit 2)."""
    return _one(elb.describe_listeners, {"ListenerArns": [arn]}, "Listeners", arn, "ListenerNotFound", input_name,
                "no such listener in this account and region; copy its ARN from "
                "`aws elbv2 describe-listeners --load-balancer-arn ...`", "listener")


def rule(elb: Any, arn: str, *, input_name: str = "rule-arn") -> dict[str, Any]:
    """DescribeRules for one rule; an unknown or malformed ARN is the user's to fix (exit 2)."""
    return _one(elb.describe_rules, {"RuleArns": [arn]}, "Rules", arn, "RuleNotFound", input_name,
                "no such listener rule in this account and region; copy its ARN from "
                "`aws elbv2 describe-rules --listener-arn ...`", "rule")


def target_group(elb: Any, ref: str, *, input_name: str) -> dict[str, Any]:
    """A target group by ARN or by name; one that does not exist is the user's to fix (exit 2)."""
    args = {"TargetGroupArns": [ref]} if TARGET_GROUP_ARN in ref else {"Names": [ref]}
    return _one(elb.describe_target_groups, args, "TargetGroups", ref, "TargetGroupNotFound", input_name,
                "no such target group in this account and region; give its name or ARN", "target group")


def _one(describe: Callable[..., Any], args: dict[str, Any], key: str, ref: str, not_found: str, input_name: str,
         fix: str, what: str) -> dict[str, Any]:
    """The one resource a Describe call finds by `ref`; `not_found` or a malformed `ref` is the user's to fix
    (exit 2, naming `input_name` and `fix`), any other failure is AWS's (exit 1)."""
    try:
        found: dict[str, Any] = describe(**args)[key][0]
        return found
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in (not_found, "ValidationError"):
            raise InputError.single(input_name, ref, fix) from None
        raise aws_failure(f"reading {what} {ref}", exc) from None


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
