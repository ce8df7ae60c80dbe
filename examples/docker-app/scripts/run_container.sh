#!/bin/sh
# Host networking: the container listens on the instance's own address and port.
set -eu
. "$(dirname "$0")/common.sh"
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker run -d --name "$NAME" --network host "$IMAGE" httpd -f -p "$HOST:$PORT" -h /www
