"""Fixtures for the emulator's integration tests: one emulator per session, reached over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from deploy_actions.emulator import Emulator

# A 5-minute wait takes 0.5 s: fast tests, same sequence of states and answers as on AWS.
CLOCK_FACTOR = 600.0


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(state_dir=tmp_path_factory.mktemp("emulator-state"), clock_factor=CLOCK_FACTOR) as running:
        yield running


@pytest.fixture
def codedeploy(emulator: Emulator) -> Any:
    return emulator.client("codedeploy")


@pytest.fixture
def unique() -> str:
    """A fresh name per test: the session's emulator keeps every test's resources."""
    return uuid.uuid4().hex[:10]
