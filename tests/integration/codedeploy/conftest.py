"""codedeploy-deploy against the session emulator: the emulator suite's fixtures, reused."""

from tests.integration.emulator.conftest import (  # noqa: F401 - fixtures are found by name
    _no_faults_left,
    emulator,
    environment,
    unique,
)
