"""ELBv2: target health from real HTTP probes (`target_health`, served by `api_target_health`) and
the load balancers' data plane (`alb`). Imports `core`, never `codedeploy`.
"""
