"""CloudWatch alarms that evaluate the metrics put to them, with history and scripted timelines."""
