#!/bin/sh
# BeforeInstall: a replacement instance may carry a container from its launch image; take it down.
set -eu
. "$(dirname "$0")/common.sh"
compose down --remove-orphans 2>/dev/null || true
docker image prune -f >/dev/null 2>&1 || true
echo "clean: no $COMPOSE_PROJECT_NAME containers left"
