"""ECS services that really roll out: deployments, service deployments and revisions, and tasks.

`engine.EcsEngine` drives every service's deployments (a thread of its own; the module names say
which part does what: `rolling`, `bluegreen_rollout`, `task_sets`, `task_lifecycle`, …); `tasks` runs each
task as a stand-in (a small HTTP server on its own loopback address) or as a real container under
Docker; the `api_*` modules install the operations on moto's ECS response class.
"""
