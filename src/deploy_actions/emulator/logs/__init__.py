"""CloudWatch Logs: filter patterns as AWS reads them (`patterns`, served by `api_filter`) and
shipping of workload output into log groups (`shipping`, used by the services that run workloads).

Below the other services: CodeDeploy's hooks and ECS tasks ship through `shipping.ship`, as on AWS
where the agent and the awslogs driver write into Logs. Imports `core` only.
"""
