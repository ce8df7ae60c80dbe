# Shared by the hooks: the image and where the container listens.
HERE="$(cd "$(dirname "$0")/.." && pwd)"
set -a  # export what deployment.env sets (IMAGE, and DOCKER_HOST when the engine is not the default)
# shellcheck disable=SC1091
. "$HERE/deployment.env"
set +a
HOST="${EMULATOR_INSTANCE_IP:-0.0.0.0}"
PORT="${EMULATOR_INSTANCE_PORT:-80}"
NAME="app-${EMULATOR_INSTANCE_ID:-main}"
