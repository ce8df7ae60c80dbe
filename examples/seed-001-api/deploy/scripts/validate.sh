#!/bin/sh
# ValidateService: the instance counts as deployed only once /actuator/health says UP.
set -u
. "$(dirname "$0")/common.sh"
url="http://$HOST:$PORT/actuator/health"
[ "$HOST" = "0.0.0.0" ] && url="http://127.0.0.1:$PORT/actuator/health"
attempt=0
while [ "$attempt" -lt 30 ]; do
  if curl -fsS --max-time 2 "$url" | grep -q '"status" *: *"UP"'; then
    echo "healthy: $url"
    exit 0
  fi
  attempt=$((attempt + 1))
  sleep 1
done
echo "ERROR health check failed: $url did not answer UP" >&2
docker logs --tail 20 "$NAME" >&2 || true
exit 1
