# Shared by the hooks. On a real instance the app listens on 0.0.0.0:80 under /; on the emulator's
# instances it listens on the instance's own loopback address and port, under its sandbox root.
ROOT="${EMULATOR_INSTANCE_ROOT:-}"
HOST="${EMULATOR_INSTANCE_IP:-0.0.0.0}"
PORT="${EMULATOR_INSTANCE_PORT:-80}"
APP_DIR="$ROOT/opt/app"
RUN_DIR="$ROOT/var/run/app"
PID_FILE="$RUN_DIR/httpd.pid"
