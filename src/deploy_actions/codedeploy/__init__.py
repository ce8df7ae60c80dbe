"""CodeDeploy: revisions, deployments, following them live, explaining failures."""
