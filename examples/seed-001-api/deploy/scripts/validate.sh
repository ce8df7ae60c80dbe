#!/bin/sh
# ValidateService: the instance counts as deployed only once /actuator/health says UP.
set -u
. "$(dirname "$0")/common.sh"
url="http://$HOST:$PORT/actuator/health"
[ "$HOST" = "0.0.0.0" ] && url="http://127.0.0.1:$PORT/actuator/health"
# Up to 60 tries while nothing listens yet (the app starting); 5 answers that are not UP end it sooner.
attempt=0
answered=0
while [ "$attempt" -lt 60 ] && [ "$answered" -lt 5 ]; do
  body="$(curl -sS --max-time 2 "$url" 2>/dev/null)" && answered=$((answered + 1))
  if printf '%s' "$body" | grep -q '"status" *: *"UP"'; then
    echo "healthy: $url"
    exit 0
  fi
  attempt=$((attempt + 1))
  sleep 1
done
echo "ERROR health check failed: $url did not answer UP" >&2
docker logs --tail 20 "$NAME" >&2 || true
exit 1
