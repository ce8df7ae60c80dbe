"""The README's first command: the demo deploys version 1 then 2 and ends with version 2 served.

It runs as its own process, as `make demo` does: an emulator is one per process.
"""

from __future__ import annotations

import subprocess
import sys


def test_demo_switches_the_fleet_and_serves_version_2() -> None:
    done = subprocess.run([sys.executable, "-m", "deploy_actions.emulator.demo", "--clock-factor", "600"],
                          capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout
    assert done.returncode == 0, output + done.stderr
    assert "load balancer answers: version: 1" in output
    assert "load balancer answers: version: 2" in output
    assert "waiting to terminate the original fleet" in output
    assert output.count("Succeeded   Succeeded=4") == 2
    assert output.strip().splitlines()[-1].strip().startswith(
        "result: 2 deployments succeeded; the load balancer serves 'version: 2'")
