#!/bin/sh
set -eu
. "$(dirname "$0")/common.sh"
docker pull "$IMAGE"
