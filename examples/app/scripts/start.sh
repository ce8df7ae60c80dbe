#!/bin/sh
# Start the static server in the background; its output goes to a file so the hook can end.
set -eu
. "$(dirname "$0")/common.sh"
mkdir -p "$RUN_DIR"
if command -v busybox >/dev/null 2>&1; then
  busybox httpd -f -p "$HOST:$PORT" -h "$APP_DIR/www" >"$RUN_DIR/httpd.log" 2>&1 &
else
  python3 -m http.server --bind "$HOST" --directory "$APP_DIR/www" "$PORT" >"$RUN_DIR/httpd.log" 2>&1 &
fi
echo $! >"$PID_FILE"
echo "started app on $HOST:$PORT (pid $!)"
