from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field

from deploy_actions.core.errors import InputError
from deploy_actions.core.inputs import (
    ActionInputs,
    AwsInputs,
    Flag,
    KeyValues,
    MultiLine,
    collect_raw,
    input_specs,
    parse_inputs,
    secret_field,
)


class Sample(AwsInputs):
    key_prefix: str = Field("releases", description="prefix")
    mode: Literal["deploy", "rollback"] = Field("deploy", description="mode")
    wait: Flag = Field(True, description="wait")
    globs: MultiLine = Field([], description="globs")
    pairs: KeyValues = Field({}, description="pairs")
    token: str | None = secret_field(description="a secret")
    count: int = Field(3, description="count")


class Required(ActionInputs):
    application: str = Field(description="app")


def parse(raw: dict[str, str]) -> Sample:
    return parse_inputs(Sample, collect_raw(Sample, {}, raw))


def test_names_are_kebab_case_and_shared_aws_inputs_come_last() -> None:
    names = [s.name for s in input_specs(Sample)]
    assert names[:3] == ["key-prefix", "mode", "wait"]
    assert names[-3:] == ["region", "role-to-assume", "id-token-variable"]


def test_env_fallback_accepts_upper_snake_and_github_hyphen_forms() -> None:
    assert parse({"INPUT_KEY_PREFIX": "a"}).key_prefix == "a"
    assert parse({"INPUT_KEY-PREFIX": "b"}).key_prefix == "b"


def test_cli_value_wins_over_environment() -> None:
    raw = collect_raw(Sample, {"key-prefix": "cli"}, {"INPUT_KEY_PREFIX": "env"})
    assert parse_inputs(Sample, raw).key_prefix == "cli"


def test_empty_string_means_default_as_github_passes_unset_inputs() -> None:
    parsed = parse({"INPUT_KEY_PREFIX": "  ", "INPUT_MODE": ""})
    assert parsed.key_prefix == "releases"
    assert parsed.mode == "deploy"


def test_multiline_and_pairs_parse_skipping_blanks_and_comments() -> None:
    parsed = parse({"INPUT_GLOBS": "a/**\n\n# note\n  b.txt  \n", "INPUT_PAIRS": "A=1\nB=x=y\n# c\n"})
    assert parsed.globs == ["a/**", "b.txt"]
    assert parsed.pairs == {"A": "1", "B": "x=y"}


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("False", False), ("yes", True), ("0", False)])
def test_booleans(text: str, expected: bool) -> None:
    assert parse({"INPUT_WAIT": text}).wait is expected


def test_bad_choice_names_input_value_and_accepted_values() -> None:
    with pytest.raises(InputError) as caught:
        parse({"INPUT_MODE": "redeploy"})
    assert str(caught.value) == "input 'mode' = 'redeploy': must be one of: deploy, rollback"
    assert caught.value.exit_code == 2


def test_every_bad_input_is_reported_at_once() -> None:
    with pytest.raises(InputError) as caught:
        parse({"INPUT_MODE": "x", "INPUT_WAIT": "maybe", "INPUT_COUNT": "many", "INPUT_PAIRS": "no equals"})
    names = sorted(p.input for p in caught.value.problems)
    assert names == ["count", "mode", "pairs", "wait"]
    messages = {p.input: p.message for p in caught.value.problems}
    assert messages["wait"] == "expected true or false"
    assert messages["count"] == "must be a number"
    assert "line 1" in messages["pairs"] and "KEY=VALUE" in messages["pairs"]


def test_missing_required_input_says_how_to_pass_it() -> None:
    with pytest.raises(InputError) as caught:
        parse_inputs(Required, {})
    assert str(caught.value) == (
        "input 'application' = (not set): required; pass --application VALUE or set INPUT_APPLICATION"
    )


def test_secret_values_never_appear_in_problems() -> None:
    class WithSecret(ActionInputs):
        webhook: int = secret_field(0, description="not really an int")

    with pytest.raises(InputError) as caught:
        parse_inputs(WithSecret, {"webhook": "https://hooks.example/T000/B000/XXXX"})
    assert "hooks.example" not in str(caught.value)
    assert "input 'webhook' (value not shown): must be a number" in str(caught.value)


def test_a_malformed_pair_is_named_by_its_line_never_quoted_with_its_neighbours() -> None:
    class WithPairs(ActionInputs):
        info: KeyValues = Field({})

    lines = "DB_PASSWORD=hunter2-very-secret\nthis line has no equals sign hunter3\nX Y=1"
    with pytest.raises(InputError) as caught:
        parse_inputs(WithPairs, {"info": lines})
    text = str(caught.value)
    assert "hunter" not in text and "line 2 has no '='" in text and "(value not shown)" in text
    with pytest.raises(InputError) as caught:
        parse_inputs(WithPairs, {"info": "DB_PASSWORD=hunter2\nX Y=1"})
    assert "line 2: the name before '='" in str(caught.value) and "hunter" not in str(caught.value)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"])
def test_a_value_holding_a_line_separator_stays_one_pair(separator: str) -> None:
    class WithPairs(ActionInputs):
        info: KeyValues = Field({})

    parsed = parse_inputs(WithPairs, {"info": f"X=a{separator}PATH=/evil\r\nY=2"})
    assert parsed.info == {"X": f"a{separator}PATH=/evil", "Y": "2"}


def test_cross_input_problems_are_input_errors() -> None:
    from deploy_actions.actions.package_revision import Inputs

    with pytest.raises(InputError) as caught:
        parse_inputs(Inputs, {"application": "app"})
    assert "registering a revision needs bucket" in str(caught.value)
