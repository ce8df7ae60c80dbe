"""A pytest fixture for suites that test against the emulator.

Enable it with `pytest_plugins = ["deploy_actions.emulator.pytest_plugin"]` in a conftest.py; then a
test asks for `aws_emulator` (one emulator per session, clock factor from
`DEPLOY_ACTIONS_EMULATOR_CLOCK_FACTOR`, default 600) and gets a running `Emulator`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from deploy_actions.emulator.server import Emulator

DEFAULT_TEST_CLOCK_FACTOR = 600.0  # a 5-minute AWS wait takes half a second


@pytest.fixture(scope="session")
def aws_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    factor = float(os.environ.get("DEPLOY_ACTIONS_EMULATOR_CLOCK_FACTOR", DEFAULT_TEST_CLOCK_FACTOR))
    with Emulator(state_dir=tmp_path_factory.mktemp("aws-emulator"), clock_factor=factor) as emulator:
        yield emulator
