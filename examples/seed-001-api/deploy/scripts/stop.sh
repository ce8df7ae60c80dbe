#!/bin/sh
# ApplicationStop: remove the running release's container, if any.
set -eu
. "$(dirname "$0")/common.sh"
if docker inspect "$NAME" >/dev/null 2>&1; then
  docker rm -f "$NAME" >/dev/null
  echo "removed $NAME"
else
  echo "no container $NAME"
fi
