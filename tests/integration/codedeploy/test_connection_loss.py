"""AWS stops answering while a deployment is followed: the run keeps the deployment's id, retries until
its deadline, and ends by saying how to follow or stop the deployment by hand."""

from __future__ import annotations

import threading
from typing import Any

from tests.integration.codedeploy.test_codedeploy_deploy import deploy_args, deployment_ids
from tests.integration.emulator.conftest import Environment, answer, wait_for
from tests.support.tcp_proxy import tcp_proxy


def start(run_cli: Any, args: list[str], env: dict[str, str]) -> tuple[threading.Thread, dict[str, Any]]:
    done: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: done.update(result=run_cli(*args, env=env)), daemon=True)
    thread.start()
    return thread, done


def test_a_short_outage_is_ridden_out(environment: Any, emulator: Any, run_cli: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    emulator.faults.delay("BeforeInstall", 6000, times=1)  # 10 s at the test clock: the outage falls inside
    with tcp_proxy(emulator.endpoint_url) as proxy:
        thread, done = start(run_cli, deploy_args(env, env.revision("2")),
                             {**emulator.env(), "AWS_ENDPOINT_URL": proxy.url})
        wait_for(lambda: deployment_ids(env), timeout=60)
        proxy.cut()
        thread.join(timeout=4)
        assert thread.is_alive()  # nothing answers, and the step goes on trying (botocore retries first)
        proxy.restore()
        thread.join(timeout=240)
    result = done["result"]
    assert result.code == 0 and result.outputs["status"] == "Succeeded", result.log
    assert answer(env.url()) == "version: 2"


def test_a_lasting_outage_ends_at_the_deadline_naming_the_deployment(environment: Any, emulator: Any,
                                                                     run_cli: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    emulator.faults.delay("BeforeInstall", 6000, times=1)
    with tcp_proxy(emulator.endpoint_url) as proxy:
        thread, done = start(run_cli, deploy_args(env, env.revision("2"), "--timeout", "1m"),
                             {**emulator.env(), "AWS_ENDPOINT_URL": proxy.url})
        (deployment_id,) = wait_for(lambda: deployment_ids(env), timeout=60)
        proxy.cut()
        thread.join(timeout=300)
    result = done["result"]
    assert result.code == 1, result.log
    assert result.outputs["deployment-id"] == deployment_id and result.outputs["console-url"]
    assert "internal error" not in result.log
    assert "AWS did not answer" in result.log and "still trying until the step's timeout" in result.log
    assert f"Deployment {deployment_id} may still be running and nothing was stopped" in result.log
    assert f"--mode stop --application {env['application']} --deployment-id {deployment_id}" in result.log
    # The deployment itself went on without the step.
    assert env.wait(deployment_id)["status"] == "Succeeded"
