"""Create an environment from a short scenario description, through ordinary boto3 calls.

A scenario (YAML) names an S3 bucket, SSM parameters, an ALB with a listener and target groups, a
launch template and an Auto Scaling group, CloudWatch alarms, and a CodeDeploy application with a
deployment group. `seed` returns what a pipeline needs to know (names, ARNs, the listener's URL).
An `ecs` section adds a cluster, a task definition and a service (rolling, native blue/green) behind
the load balancer. Built-in scenarios: `ec2-rolling`, `asg-blue-green`, `ec2-blue-green-listener` (two
fleets, a deployment group each: `auto_scaling_groups` and `deployment_groups` lists), `ecs-fargate-rolling`,
`ecs-blue-green` and `ecs-dev-rolling` (files in `scenarios/`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

SCENARIOS = Path(__file__).parent / "scenarios"
AMI = "ami-12c6146b"  # one of moto's built-in images
SERVICE_ROLE = "arn:aws:iam::123456789012:role/CodeDeployServiceRole"

Clients = Callable[[str], Any]


def builtin_scenarios() -> list[str]:
    return sorted(path.stem for path in SCENARIOS.glob("*.yml"))


def load_scenario(source: str | Path) -> dict[str, Any]:
    """A built-in scenario's name or a YAML file's path."""
    path = Path(source)
    if not path.is_file():
        path = SCENARIOS / f"{source}.yml"
    if not path.is_file():
        raise FileNotFoundError(f"no scenario {source}: give a YAML file or one of {', '.join(builtin_scenarios())}")
    data = YAML(typ="safe").load(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a scenario is a YAML mapping")
    return data


def seed(clients: Clients, scenario: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Create the scenario's resources; every name gets `prefix` (tests seed many environments)."""

    def named(name: str) -> str:
        return f"{prefix}{name}"

    out: dict[str, Any] = {"target_groups": {}}
    if scenario.get("bucket"):
        out["bucket"] = named(scenario["bucket"])
        clients("s3").create_bucket(Bucket=out["bucket"])
    for key, value in (scenario.get("parameters") or {}).items():
        clients("ssm").put_parameter(Name=f"/{prefix.strip('-')}{key}" if prefix else key, Value=str(value),
                                     Type="String", Overwrite=True)
    subnets = _default_subnets(clients)
    balancer = scenario.get("load_balancer")
    if balancer:
        _seed_load_balancer(clients, balancer, named, subnets, out)
    for group in _one_or_many(scenario, "auto_scaling_group", "auto_scaling_groups"):
        _seed_auto_scaling_group(clients, group, named, subnets, out)
    for alarm in scenario.get("alarms") or []:
        clients("cloudwatch").put_metric_alarm(
            AlarmName=named(alarm["name"]), MetricName=alarm.get("metric", "HTTPCode_Target_5XX_Count"),
            Namespace="AWS/ApplicationELB", Statistic="Sum", Period=60, EvaluationPeriods=1,
            Threshold=float(alarm.get("threshold", 1)), ComparisonOperator="GreaterThanOrEqualToThreshold")
    application = scenario.get("application")
    if application:
        _seed_application(clients, application, named, out)
    if scenario.get("ecs"):
        _seed_ecs(clients, scenario["ecs"], named, subnets, out)
    return out


def _one_or_many(spec: dict[str, Any], one: str, many: str) -> list[dict[str, Any]]:
    """`one: {...}` and/or `many: [{...}, ...]` (e.g. a blue and a green fleet, each with its deployment group)."""
    return ([spec[one]] if spec.get(one) else []) + list(spec.get(many) or [])


def _default_subnets(clients: Clients) -> list[str]:
    subnets = clients("ec2").describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    return [s["SubnetId"] for s in subnets[:2]]


def _seed_load_balancer(clients: Clients, spec: dict[str, Any], named: Callable[[str], str],
                        subnets: list[str], out: dict[str, Any]) -> None:
    elbv2 = clients("elbv2")
    vpc = clients("ec2").describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
    for group in spec.get("target_groups") or []:
        check = group.get("health_check") or {}
        arn = elbv2.create_target_group(
            Name=named(group["name"]), Protocol="HTTP", Port=int(group.get("port", 80)), VpcId=vpc,
            TargetType=group.get("target_type", "instance"), HealthCheckPath=check.get("path", "/"),
            HealthCheckIntervalSeconds=int(check.get("interval", 30)),
            # AWS's default 5 s, below a shorter interval (AWS refuses a timeout not below the interval)
            HealthCheckTimeoutSeconds=int(check.get("timeout", min(5, int(check.get("interval", 30)) - 1))),
            HealthyThresholdCount=int(check.get("healthy", 5)), UnhealthyThresholdCount=int(check.get("unhealthy", 2)),
            Matcher={"HttpCode": str(check.get("matcher", "200"))})["TargetGroups"][0]["TargetGroupArn"]
        elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(group.get("deregistration_delay", 300))}])
        out["target_groups"][group["name"]] = arn
    balancer = elbv2.create_load_balancer(Name=named(spec["name"]), Subnets=subnets, Scheme="internet-facing",
                                          Type="application")["LoadBalancers"][0]
    out["load_balancer_arn"] = balancer["LoadBalancerArn"]
    forward = out["target_groups"][spec["forward"]]
    listener = elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP",
                                     Port=int(spec.get("listener_port", 80)),
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": forward}])
    out["listener_arn"] = listener["Listeners"][0]["ListenerArn"]
    out["rules"] = {}
    for name, rule in (spec.get("rules") or {}).items():
        conditions = []
        if rule.get("host"):
            conditions.append({"Field": "host-header", "HostHeaderConfig": {"Values": [rule["host"]]}})
        if rule.get("path") or not conditions:
            conditions.append({"Field": "path-pattern", "PathPatternConfig": {"Values": [rule.get("path", "/*")]}})
        weights = [{"TargetGroupArn": out["target_groups"][group], "Weight": int(weight)}
                   for group, weight in (rule.get("weights") or {spec["forward"]: 1}).items()]
        out["rules"][name] = elbv2.create_rule(
            ListenerArn=out["listener_arn"], Priority=int(rule["priority"]), Conditions=conditions,
            Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": weights}}])["Rules"][0]["RuleArn"]


def _seed_auto_scaling_group(clients: Clients, spec: dict[str, Any], named: Callable[[str], str],
                             subnets: list[str], out: dict[str, Any]) -> None:
    template = clients("ec2").create_launch_template(
        LaunchTemplateName=named(f"{spec['name']}-template"),
        LaunchTemplateData={"ImageId": spec.get("image", AMI), "InstanceType": spec.get("instance_type", "t3.micro")})
    count = int(spec.get("instances", 2))
    clients("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=named(spec["name"]), MinSize=count, MaxSize=max(count * 2, 1), DesiredCapacity=count,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"], "Version": "$Latest"},
        VPCZoneIdentifier=",".join(subnets),
        TargetGroupARNs=[out["target_groups"][name] for name in spec.get("target_groups") or []])
    out["auto_scaling_group"] = named(spec["name"])
    out.setdefault("auto_scaling_groups", {})[spec["name"]] = named(spec["name"])


def _seed_application(clients: Clients, spec: dict[str, Any], named: Callable[[str], str],
                      out: dict[str, Any]) -> None:
    codedeploy = clients("codedeploy")
    codedeploy.create_application(applicationName=named(spec["name"]), computePlatform="Server")
    out["application"] = named(spec["name"])
    for group in _one_or_many(spec, "deployment_group", "deployment_groups"):
        _seed_deployment_group(codedeploy, group, named, out)


def _seed_deployment_group(codedeploy: Any, group: dict[str, Any], named: Callable[[str], str],
                           out: dict[str, Any]) -> None:
    """One deployment group: of the scenario's only Auto Scaling group, or of the one it names."""
    fleet = group.get("auto_scaling_group")
    fleets = [out["auto_scaling_groups"][fleet]] if fleet else \
        [out["auto_scaling_group"]] if out.get("auto_scaling_group") else []
    blue_green = group.get("style", "IN_PLACE") == "BLUE_GREEN"
    request: dict[str, Any] = {
        "applicationName": out["application"], "deploymentGroupName": named(group["name"]),
        "deploymentConfigName": group.get("config", "CodeDeployDefault.OneAtATime"), "serviceRoleArn": SERVICE_ROLE,
        "autoScalingGroups": fleets,
        "deploymentStyle": {"deploymentType": "BLUE_GREEN" if blue_green else "IN_PLACE",
                            "deploymentOption": "WITH_TRAFFIC_CONTROL" if group.get("target_groups")
                            else "WITHOUT_TRAFFIC_CONTROL"},
    }
    if group.get("target_groups"):
        request["loadBalancerInfo"] = {"targetGroupInfoList": [{"name": named(n)} for n in group["target_groups"]]}
    if group.get("auto_rollback"):
        request["autoRollbackConfiguration"] = {"enabled": True, "events": list(group["auto_rollback"])}
    if group.get("alarms"):
        request["alarmConfiguration"] = {"enabled": True, "alarms": [{"name": named(n)} for n in group["alarms"]]}
    if group.get("hook_log_group"):  # the emulator ships the hooks' output there (docs/emulator.md, Logs)
        request["tags"] = [{"Key": "emulator:hook-log-group", "Value": str(group["hook_log_group"])}]
    if blue_green:
        settings = group.get("blue_green") or {}
        request["blueGreenDeploymentConfiguration"] = {
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": "TERMINATE" if settings.get("terminate_original", True) else "KEEP_ALIVE",
                "terminationWaitTimeInMinutes": int(settings.get("termination_wait_minutes", 5))},
            "deploymentReadyOption": {"actionOnTimeout": settings.get("ready", "CONTINUE_DEPLOYMENT"),
                                      "waitTimeInMinutes": int(settings.get("ready_wait_minutes", 0))},
            "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"},
        }
    codedeploy.create_deployment_group(**request)
    out["deployment_group"] = named(group["name"])
    out.setdefault("deployment_groups", {})[group["name"]] = named(group["name"])


def _seed_ecs(clients: Clients, spec: dict[str, Any], named: Callable[[str], str], subnets: list[str],
              out: dict[str, Any]) -> None:
    """A cluster, a task definition (one container) and a service, behind the scenario's target group."""
    ecs = clients("ecs")
    out["cluster"] = named(spec["cluster"])
    ecs.create_cluster(clusterName=out["cluster"])
    task = spec["task_definition"]
    container = task["container"]
    definition: dict[str, Any] = {
        "name": container["name"], "image": container["image"], "essential": True,
        "portMappings": [{"containerPort": int(container["port"]), "protocol": "tcp"}] if container.get("port") else [],
        "environment": [{"name": k, "value": str(v)} for k, v in (container.get("environment") or {}).items()],
    }
    for key, field in (("command", "command"), ("labels", "dockerLabels"), ("health_check", "healthCheck")):
        if container.get(key):
            definition[field] = container[key]
    if container.get("log_group"):
        definition["logConfiguration"] = {"logDriver": "awslogs", "options": {
            "awslogs-group": container["log_group"], "awslogs-region": clients("ecs").meta.region_name,
            "awslogs-stream-prefix": container["name"], "awslogs-create-group": "true"}}
    out["task_definition_arn"] = ecs.register_task_definition(
        family=named(task["family"]), networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        cpu=str(task.get("cpu", "256")), memory=str(task.get("memory", "512")),
        containerDefinitions=[definition])["taskDefinition"]["taskDefinitionArn"]
    out["task_family"] = named(task["family"])
    service = spec.get("service")
    if not service:
        return
    security_group = clients("ec2").describe_security_groups()["SecurityGroups"][0]["GroupId"]
    request: dict[str, Any] = {
        "cluster": out["cluster"], "serviceName": named(service["name"]), "taskDefinition": out["task_definition_arn"],
        "desiredCount": int(service.get("desired_count", 2)), "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [security_group],
                                                         "assignPublicIp": "DISABLED"}},
        "deploymentConfiguration": service.get("deployment_configuration") or {},
    }
    if service.get("target_group"):
        load_balancer: dict[str, Any] = {"targetGroupArn": out["target_groups"][service["target_group"]],
                                         "containerName": container["name"], "containerPort": int(container["port"])}
        if service.get("advanced"):
            advanced = service["advanced"]
            load_balancer["advancedConfiguration"] = {
                "alternateTargetGroupArn": out["target_groups"][advanced["alternate_target_group"]],
                "productionListenerRule": out["rules"]["production"], "roleArn": SERVICE_ROLE}
            if out["rules"].get("test"):
                load_balancer["advancedConfiguration"]["testListenerRule"] = out["rules"]["test"]
        request["loadBalancers"] = [load_balancer]
        request["healthCheckGracePeriodSeconds"] = int(service.get("health_check_grace_period", 0))
    if service.get("controller"):
        request["deploymentController"] = {"type": service["controller"]}
    out["service"] = named(service["name"])
    out["service_arn"] = ecs.create_service(**request)["service"]["serviceArn"]
    if spec.get("codedeploy"):
        _seed_codedeploy_ecs(clients, spec["codedeploy"], named, out)


def _seed_codedeploy_ecs(clients: Clients, spec: dict[str, Any], named: Callable[[str], str],
                         out: dict[str, Any]) -> None:
    """A CodeDeploy application (compute platform ECS) and a blue/green deployment group for the service:
    the scenario's two target groups, its listener for production, a second listener for test traffic."""
    elbv2, codedeploy = clients("elbv2"), clients("codedeploy")
    first, second = spec["target_groups"]
    route: dict[str, Any] = {"targetGroups": [{"name": named(first)}, {"name": named(second)}],
                             "prodTrafficRoute": {"listenerArns": [out["listener_arn"]]}}
    if spec.get("test_listener_port"):
        out["test_listener_arn"] = elbv2.create_listener(
            LoadBalancerArn=out["load_balancer_arn"], Protocol="HTTP", Port=int(spec["test_listener_port"]),
            DefaultActions=[{"Type": "forward", "TargetGroupArn": out["target_groups"][first]}],
        )["Listeners"][0]["ListenerArn"]
        route["testTrafficRoute"] = {"listenerArns": [out["test_listener_arn"]]}
    out["application"] = named(spec["application"])
    codedeploy.create_application(applicationName=out["application"], computePlatform="ECS")
    out["deployment_group"] = named(spec["deployment_group"])
    ready = spec.get("ready_wait_minutes")
    codedeploy.create_deployment_group(
        applicationName=out["application"], deploymentGroupName=out["deployment_group"], serviceRoleArn=SERVICE_ROLE,
        deploymentConfigName=spec.get("config", "CodeDeployDefault.ECSAllAtOnce"),
        ecsServices=[{"serviceName": out["service"], "clusterName": out["cluster"]}],
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        autoRollbackConfiguration={"enabled": True, "events": list(spec.get("auto_rollback") or
                                                                   ["DEPLOYMENT_FAILURE"])},
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": int(ready)}
            if ready is not None else {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": "TERMINATE", "terminationWaitTimeInMinutes": int(spec.get("termination_wait_minutes", 5))}},
        loadBalancerInfo={"targetGroupPairInfoList": [route]})
