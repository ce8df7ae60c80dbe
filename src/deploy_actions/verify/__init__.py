"""Verification: HTTP checks with expectations, target-group health, alarms and a log scan, run concurrently."""
