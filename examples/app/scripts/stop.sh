#!/bin/sh
# ApplicationStop runs from the previous revision: stop whatever it started.
set -eu
. "$(dirname "$0")/common.sh"
if [ -f "$PID_FILE" ]; then
  pid="$(cat "$PID_FILE")"
  echo "stopping app (pid $pid)"
  kill "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
else
  echo "no app running"
fi
