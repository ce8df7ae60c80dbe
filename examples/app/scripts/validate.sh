#!/bin/sh
# The app must answer /health within 10 seconds.
set -u
. "$(dirname "$0")/common.sh"
url="http://$HOST:$PORT/health"
[ "$HOST" = "0.0.0.0" ] && url="http://127.0.0.1:$PORT/health"
fetch() {
  if command -v curl >/dev/null 2>&1; then curl -fsS --max-time 1 "$1"
  elif command -v busybox >/dev/null 2>&1; then busybox wget -q -T 1 -O - "$1"
  else python3 -c 'import sys,urllib.request;print(urllib.request.urlopen(sys.argv[1],timeout=1).read().decode())' "$1"
  fi
}
i=0
while [ $i -lt 50 ]; do
  if body="$(fetch "$url" 2>/dev/null)"; then
    echo "health: $body"
    exit 0
  fi
  i=$((i + 1))
  sleep 0.2
done
echo "no answer from $url" >&2
exit 1
