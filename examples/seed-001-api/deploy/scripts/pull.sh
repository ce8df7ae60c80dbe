#!/bin/sh
# BeforeInstall: log in to the image's registry (ECR) and pull the image deployment-info.env names.
set -eu
. "$(dirname "$0")/common.sh"
registry="${IMAGE%%/*}"
mkdir -p "$DOCKER_CONFIG"
aws ecr get-login-password | docker login --username AWS --password-stdin "$registry" >/dev/null
docker pull --quiet "$IMAGE"
