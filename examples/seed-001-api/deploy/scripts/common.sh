# Shared by the hooks: deployment-info.env (IMAGE, APP_ENV, SSM_PATH, COMMIT_SHA...) and where the app listens.
HERE="$(cd "$(dirname "$0")/.." && pwd)"
set -a
# shellcheck disable=SC1091
. "$HERE/deployment-info.env"
set +a
ROOT="${EMULATOR_INSTANCE_ROOT:-}"
HOST="${EMULATOR_INSTANCE_IP:-0.0.0.0}"
PORT="${EMULATOR_INSTANCE_PORT:-8080}"
NAME="api-${EMULATOR_INSTANCE_ID:-main}"
ENV_FILE="$ROOT/etc/api/app.env"
# Docker's login stays with the instance, not in the agent's home.
export DOCKER_CONFIG="$ROOT/var/lib/api/docker"
