"""ecs-deploy's work: render and register task definitions, run a one-off task, roll out and follow services."""
