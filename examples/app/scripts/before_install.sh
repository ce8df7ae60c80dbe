#!/bin/sh
# Remove the previous release's files so the new one is installed clean.
set -eu
. "$(dirname "$0")/common.sh"
rm -rf "$APP_DIR/www"
mkdir -p "$RUN_DIR"
echo "cleaned $APP_DIR/www"
