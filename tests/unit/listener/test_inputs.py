"""switch-listener's inputs: conflicting or malformed ones refused before any AWS call."""

from __future__ import annotations

import pytest

from deploy_actions.actions.switch_listener import Inputs
from deploy_actions.core.errors import InputError
from deploy_actions.core.inputs import parse_inputs

BASE = {"listener-arn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/lb/1/2",
        "blue-target-group": "blue", "green-target-group": "green"}


def test_defaults_flip_all_at_once_to_the_idle_side() -> None:
    inputs = parse_inputs(Inputs, BASE)
    assert (inputs.to, inputs.strategy, inputs.plan_steps()) == ("toggle", "all-at-once", (100,))
    assert parse_inputs(Inputs, {**BASE, "strategy": "canary"}).plan_steps() == (10, 50, 100)
    assert parse_inputs(Inputs, {**BASE, "strategy": "linear"}).plan_steps() == tuple(range(10, 101, 10))


@pytest.mark.parametrize(("extra", "message"), [
    ({"steps": "10,100"}, "input 'steps' = '10,100': only used with strategy: canary"),
    ({"strategy": "linear", "steps": "10,100"}, "only used with strategy: canary (strategy is linear)"),
    ({"step-percent": "20"}, "input 'step-percent' = '20': only used with strategy: linear"),
    ({"strategy": "linear", "step-percent": "100"}, "input 'step-percent' = '100'"),
    ({"strategy": "canary", "steps": "10,50"}, "the last step must be 100"),
    ({"green-target-group": "blue"}, "input 'green-target-group' = 'blue': is the same as blue-target-group"),
    ({"bake-time": "5"}, "input 'bake-time' = '5': give a unit: 5m or 5s"),
    ({"bake-time": "25h"}, "must be at most 24h per step"),
    ({"require-healthy": "0"}, "input 'require-healthy' = '0': give all"),
    ({"to": "purple"}, "input 'to' = 'purple': must be one of: green, blue, toggle, inactive"),
    ({"strategy": "canary", "bake-time": "10m", "timeout": "15m"},
     "input 'bake-time' = '10m': 2 bakes take 20m00s, more than timeout (15m)"),
])
def test_bad_inputs_name_the_input_value_and_fix(extra: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_inputs(Inputs, {**BASE, **extra})
    assert message in str(caught.value)


def test_a_test_url_with_a_password_is_refused_without_quoting_it() -> None:
    with pytest.raises(InputError) as caught:
        parse_inputs(Inputs, {**BASE, "test-listener-arn": "arn:test", "test-url": "http://u:s3cret@host:8080/"})
    assert "input 'test-url' (value not shown): must carry no user or password" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    with pytest.raises(InputError, match="only used with test-listener-arn"):
        parse_inputs(Inputs, {**BASE, "test-url": "http://host:8080/"})


def test_zero_bake_and_a_number_of_healthy_targets_are_accepted() -> None:
    inputs = parse_inputs(Inputs, {**BASE, "bake-time": "0s", "require-healthy": "2", "alarms": "a\n\nb\n"})
    assert (inputs.bake_time, inputs.require_healthy, inputs.alarms) == ("0s", "2", ["a", "b"])
