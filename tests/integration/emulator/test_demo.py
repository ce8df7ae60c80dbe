"""The README's first command: the demo deploys version 1 then 2 and ends with version 2 served."""

from __future__ import annotations

import time

from deploy_actions.emulator.demo import run_demo


def test_demo_switches_the_fleet_and_serves_version_2() -> None:
    lines: list[str] = []
    started = time.monotonic()
    assert run_demo(say=lines.append, clock_factor=600) == 0, "\n".join(lines)
    output = "\n".join(lines)
    assert "load balancer answers: version: 1" in output
    assert "load balancer answers: version: 2" in output
    assert "waiting to terminate the original fleet" in output
    assert output.count("Succeeded   Succeeded=4") == 2
    assert lines[-1].strip().startswith("result: 2 deployments succeeded; the load balancer serves 'version: 2'")
    assert time.monotonic() - started < 60
