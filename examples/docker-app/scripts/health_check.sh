#!/bin/sh
set -u
. "$(dirname "$0")/common.sh"
url="http://$HOST:$PORT/health"
[ "$HOST" = "0.0.0.0" ] && url="http://127.0.0.1:$PORT/health"
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  if curl -fsS --max-time 1 "$url"; then exit 0; fi
  sleep 0.5
done
echo "health check failed: $url" >&2
docker logs "$NAME" >&2 || true
exit 1
