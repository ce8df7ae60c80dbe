#!/bin/sh
# `npm run build`: the site plus the commit it was built from, and the busybox the image runs.
set -eu
rm -rf build && mkdir -p build/www
cp -R src/www/. build/www/
git rev-parse HEAD >build/www/version
cp /bin/busybox build/busybox
echo "built $(cat build/www/version)"
