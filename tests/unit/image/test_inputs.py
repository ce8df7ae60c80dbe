"""build-push-ecr's inputs: secret ids as Docker writes them, and errors that never quote a secret."""

from __future__ import annotations

import pytest

from deploy_actions.actions.build_push_ecr import Inputs
from deploy_actions.core.errors import InputError
from deploy_actions.core.inputs import input_specs, parse_inputs


def test_secret_ids_may_hold_dashes_and_dots() -> None:
    inputs = parse_inputs(Inputs, {"repository": "api", "secrets": "npm-token=abc=def\n# note\ngithub.token=x\n"})
    assert inputs.secrets == {"npm-token": "abc=def", "github.token": "x"}


@pytest.mark.parametrize("text", ["just-a-value-hunter22", "=hunter22", "bad id=hunter22"])
def test_a_bad_secret_line_is_named_by_number_and_never_shown(text: str) -> None:
    with pytest.raises(InputError) as error:
        parse_inputs(Inputs, {"repository": "api", "secrets": f"ok=1\n{text}"})
    assert "line 2" in str(error.value) and "hunter22" not in str(error.value)
    assert "(value not shown)" in str(error.value)


def test_secrets_is_a_secret_input_and_platforms_are_checked() -> None:
    (spec,) = [s for s in input_specs(Inputs) if s.name == "secrets"]
    assert spec.secret and not spec.quotable
    with pytest.raises(InputError, match="os/arch"):
        parse_inputs(Inputs, {"repository": "api", "platforms": "linux/amd64,arm64"})
    with pytest.raises(InputError, match="not both"):
        parse_inputs(Inputs, {"repository": "api", "keep-last": "5", "lifecycle-policy": "p.json"})
