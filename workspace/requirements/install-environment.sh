#!/bin/sh
# An environment of its own at $1, over the workspace's (VENV_SITE_PACKAGES, a build argument): it sees the
# workspace's packages after its own, through a .pth file, so it holds only what it adds or needs in another version
# (its lock, resolved by build.py lock --environments with this same script). Like VENV_DIR it includes the
# system's site-packages, so that what the user installs with pip install --user is seen there too.
# Usage: install-environment.sh DIR PIP-INSTALL-ARGUMENTS...
set -eu
environment=$1
shift
python3 -m venv --without-pip --system-site-packages "${environment}"
for site in "${environment}"/lib/python3*/site-packages; do
    echo "import site; site.addsitedir('${VENV_SITE_PACKAGES:?is given by the Dockerfile}')" > "${site}/_workbench_base.pth"
done
"${environment}/bin/python" -m pip install "$@"
find "${environment}" -name '__pycache__' -prune -exec rm -rf {} +
find "${environment}/lib" -mindepth 4 -type d -name tests -prune -exec rm -rf {} +
chmod -R g+w "${environment}"
