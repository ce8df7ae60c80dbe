"""Notifications: Slack, Discord, Teams and any webhook, from Jinja templates, escaped for each format."""
