#!/bin/sh
# Installs a flavor's lock file (its packages beyond the flavors below it) into /opt/layer, which the flavor's
# stage adds to the environment in VENV_DIR (a build argument): site-packages/ and bin/ apart, group-writable like
# the environment itself.
set -eu
rm -rf /opt/layer
"${VENV_DIR}/bin/pip" install --no-deps --no-compile --target /opt/layer/site-packages -r "$1"
mkdir -p /opt/layer/site-packages/bin
mv /opt/layer/site-packages/bin /opt/layer/bin
find /opt/layer -name '__pycache__' -prune -exec rm -rf {} +
chmod -R g+w /opt/layer
