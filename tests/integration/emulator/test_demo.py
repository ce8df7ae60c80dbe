"""The README's first command: the demo runs package-revision and codedeploy-deploy through the CLI for
version 1 then 2, and ends with version 2 served by the load balancer.

It runs as its own process, as `make demo` does: an emulator is one per process.
"""

from __future__ import annotations

import re
import subprocess
import sys


def test_demo_runs_the_actions_and_serves_version_2() -> None:
    done = subprocess.run([sys.executable, "-m", "deploy_actions.emulator.demo", "--clock-factor", "600"],
                          capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout
    assert done.returncode == 0, output + done.stderr
    # The project's own actions, through the CLI, their log passed through indented.
    assert output.count("$ deploy-actions package-revision --source ") == 2
    assert output.count("$ deploy-actions codedeploy-deploy --application shop --deployment-group "
                        "shop-production --revision '{\"revisionType\":\"S3\"") == 2
    assert output.count("  │ registered with CodeDeploy application shop") == 2
    # package-revision's outputs: two content-addressed keys, one per version.
    keys = re.findall(r"→ revision s3://deploy-revisions/(releases/shop/shop-[0-9a-f]{16}\.zip)", output)
    assert len(keys) == 2 and keys[0] != keys[1]
    # codedeploy-deploy's outputs: each deployment followed to Succeeded, its progress shown.
    ids = re.findall(r"→ deployment (d-[0-9A-Z]{9}): Succeeded", output)
    assert len(ids) == 2 and ids[0] != ids[1]
    for deployment_id, key in zip(ids, keys, strict=True):
        assert f"  │ Created deployment {deployment_id} of s3://deploy-revisions/{key}" in output
        assert f"fleet now: CodeDeploy_shop-production_{deployment_id} (" in output
    assert "[replacement] AllowTraffic ✔ Succeeded" in output
    # The watcher: the load balancer switches from version 1 to version 2.
    assert "load balancer answers: version: 1" in output
    assert "load balancer answers: version: 2" in output
    assert output.index("load balancer answers: version: 2") > output.index(f"Created deployment {ids[1]}")
    assert output.strip().splitlines()[-1].startswith(
        f"result: 2 deployments succeeded ({ids[0]}, {ids[1]}); the load balancer serves 'version: 2'")
