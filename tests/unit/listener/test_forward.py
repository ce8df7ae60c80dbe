"""Weight plans and forward-action rewrites: pure logic."""

from __future__ import annotations

import re
from typing import Any

import pytest

from deploy_actions.listener.forward import (
    Forward,
    linear_steps,
    live_side,
    parse_steps,
    remaining_steps,
    share,
    step_weights,
)

BLUE = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/blue/1"
GREEN = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/green/2"


@pytest.mark.parametrize(("text", "steps"), [
    ("10,50,100", [10, 50, 100]), ("10, 50, 100", [10, 50, 100]), ("100", [100]), ("5%,100%", [5, 100]),
    ("1 2 100", [1, 2, 100]),
])
def test_steps_are_parsed(text: str, steps: list[int]) -> None:
    assert parse_steps(text) == steps


@pytest.mark.parametrize(("text", "message"), [
    ("", "give the percentages"),
    ("10,x,100", "'x' is not a whole percentage"),
    ("10.5,100", "'10.5' is not a whole percentage"),
    ("50,10,100", "strictly ascending"),
    ("10,10,100", "strictly ascending"),
    ("10,50", "the last step must be 100 (all traffic on the destination); write e.g. 10,50,100"),
    ("0,100", "from 1 to 100"),
    ("10,999", "from 1 to 100"),
    ("-5,100", "not a whole percentage"),
])
def test_bad_steps_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_steps(text)


def test_linear_steps_end_at_100() -> None:
    assert linear_steps(25) == [25, 50, 75, 100]
    assert linear_steps(30) == [30, 60, 90, 100]
    assert linear_steps(99) == [99, 100]


def test_a_rerun_mid_shift_takes_only_the_steps_ahead() -> None:
    assert remaining_steps([10, 50, 100], 0.0) == [10, 50, 100]
    assert remaining_steps([10, 50, 100], 10.0) == [50, 100]
    assert remaining_steps([10, 50, 100], 30.0) == [50, 100]
    assert remaining_steps([10, 50, 100], 100.0) == []


def test_the_live_side_comes_from_the_weights() -> None:
    assert live_side(1, 0) == "blue"
    assert live_side(0, 7) == "green"
    assert live_side(90, 10) is None
    assert share(90, 10, "green") == 10.0
    assert share(1, 2, "blue") == pytest.approx(33.33, abs=0.01)
    assert step_weights(10, "green") == {"green": 10, "blue": 90}
    assert step_weights(100, "blue") == {"blue": 100, "green": 0}


def test_a_single_target_group_forward_is_read_as_weight_one() -> None:
    forward = Forward.read([{"Type": "forward", "TargetGroupArn": BLUE}])
    assert forward is not None and forward.weights == {BLUE: 1}
    assert Forward.read([{"Type": "redirect", "RedirectConfig": {"StatusCode": "HTTP_301"}}]) is None


def test_rewriting_weights_keeps_stickiness_order_and_other_actions() -> None:
    actions: list[dict[str, Any]] = [
        {"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": {"Issuer": "https://idp"}},
        {"Type": "forward", "Order": 2, "TargetGroupArn": BLUE, "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": BLUE, "Weight": 1}],
            "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 600}}},
    ]
    forward = Forward.read(actions)
    assert forward is not None
    rewritten = forward.with_weights({BLUE: 90, GREEN: 10})
    # AWS never returns the OIDC client secret: the rewrite keeps the existing one
    assert rewritten[0] == {**actions[0], "AuthenticateOidcConfig": {"Issuer": "https://idp",
                                                                      "UseExistingClientSecret": True}}
    assert rewritten[1] == {"Type": "forward", "Order": 2, "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": BLUE, "Weight": 90}, {"TargetGroupArn": GREEN, "Weight": 10}],
        "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 600}}}
    assert forward.original() == rewritten[:1] + actions[1:]  # a rollback writes back what was read


def test_a_plain_target_group_forward_becomes_a_weighted_one() -> None:
    forward = Forward.read([{"Type": "forward", "TargetGroupArn": BLUE}])
    assert forward is not None
    assert forward.with_weights({BLUE: 0, GREEN: 100}) == [{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": BLUE, "Weight": 0}, {"TargetGroupArn": GREEN, "Weight": 100}]}}]


def test_other_groups_with_traffic_are_reported() -> None:
    third = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/third/3"
    forward = Forward.read([{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": BLUE, "Weight": 5}, {"TargetGroupArn": third, "Weight": 1},
        {"TargetGroupArn": GREEN, "Weight": 0}]}}])
    assert forward is not None and forward.others(BLUE, GREEN) == {third: 1}
