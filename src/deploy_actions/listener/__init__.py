"""switch-listener's work: read a listener's (or rule's) forward action, plan the weights, shift them guarded by
target health and CloudWatch alarms, and put the starting weights back when anything regresses."""
