# Shared by the hooks: deployment-info.env (IMAGE, COMMIT_SHA...), where the app listens, which compose.
HERE="$(cd "$(dirname "$0")/.." && pwd)"
set -a
# shellcheck disable=SC1091
. "$HERE/deployment-info.env"
set +a
ROOT="${EMULATOR_INSTANCE_ROOT:-}"
HOST="${EMULATOR_INSTANCE_IP:-0.0.0.0}"
PORT="${EMULATOR_INSTANCE_PORT:-3000}"
export IMAGE LISTEN="$HOST:$PORT"
export COMPOSE_PROJECT_NAME="shop-$(printf '%s' "${EMULATOR_INSTANCE_ID:-main}" | tr -cd 'a-z0-9-')"
export DOCKER_CONFIG="$ROOT/var/lib/shop/docker"
compose() {
  if docker compose version >/dev/null 2>&1; then docker compose -f "$HERE/docker-compose.yml" "$@"
  else docker-compose -f "$HERE/docker-compose.yml" "$@"; fi
}
