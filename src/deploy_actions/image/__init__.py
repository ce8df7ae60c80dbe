"""build-push-ecr's work: tags and labels (docker/metadata-action's rules), builders, registry login, scan gate."""
