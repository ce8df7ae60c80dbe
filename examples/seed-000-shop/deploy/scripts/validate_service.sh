#!/bin/sh
# ValidateService: traffic moves to this instance only once /health answers.
set -u
. "$(dirname "$0")/common.sh"
url="http://$HOST:$PORT/health"
[ "$HOST" = "0.0.0.0" ] && url="http://127.0.0.1:$PORT/health"
# Up to 60 tries while nothing listens; 5 answers that are not 200 end it sooner.
attempt=0
answered=0
while [ "$attempt" -lt 60 ] && [ "$answered" -lt 5 ]; do
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url")"
  [ "$code" = "200" ] && { echo "healthy: $url"; exit 0; }
  [ "$code" != "000" ] && answered=$((answered + 1))
  attempt=$((attempt + 1))
  sleep 1
done
echo "ERROR health check failed: $url answered ${code:-nothing}" >&2
compose logs --tail 20 >&2 || true
exit 1
