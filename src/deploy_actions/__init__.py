"""deploy-actions: ship containerized services to AWS from any CI."""

__version__ = "0.1.0"
