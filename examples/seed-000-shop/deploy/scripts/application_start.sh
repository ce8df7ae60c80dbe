#!/bin/sh
# ApplicationStart: start the service in the background.
set -eu
. "$(dirname "$0")/common.sh"
compose up -d --no-build
echo "started $COMPOSE_PROJECT_NAME on $LISTEN"
