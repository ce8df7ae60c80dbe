#!/bin/sh
# AfterInstall: log in to the image's registry (ECR) and pull what the compose file names.
set -eu
. "$(dirname "$0")/common.sh"
mkdir -p "$DOCKER_CONFIG"
aws ecr get-login-password | docker login --username AWS --password-stdin "${IMAGE%%/*}" >/dev/null
compose pull --quiet
echo "pulled $IMAGE"
