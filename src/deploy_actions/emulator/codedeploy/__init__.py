"""CodeDeploy: the operations moto lacks (`api_*` modules, installed by `extensions`) and the
lifecycle engine that drives deployments on sandbox instances. Imports `core`, never `elbv2`
(target health is read through the `context.TargetStates` protocol the server fills in).
"""
