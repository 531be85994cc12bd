#!/bin/sh
# Installs VS Code extensions for code-server, then leaves in the folder $1 only the extensions' own folders (for
# VS Code's built-in extensions folder): every .vsix file in the folder $2, then each publisher.name@version in
# VSCODE_EXTENSIONS from Open VSX with what it depends on. A failure stops the build: build.py has already left out
# Open VSX when it cannot be reached.
set -eu
target=$1
vsix_dir=$2
data=$(mktemp -d)
code_server() {
    HOME="$data" /opt/workbench-node/bin/node /opt/code-server/node_modules/code-server/out/node/entry.js \
        --extensions-dir "$target" --user-data-dir "$data/user-data" "$@"
}
mkdir -p "$target"
for vsix in "$vsix_dir"/*.vsix; do
    if [ -e "$vsix" ]; then
        code_server --install-extension "$vsix"
    fi
done
for extension in ${VSCODE_EXTENSIONS:-}; do
    code_server --install-extension "$extension"
done
code_server --list-extensions --show-versions
# The installer's own bookkeeping: a built-in extension is found by its folder alone. The installer makes its files
# its own user's only; every user's VS Code reads them.
rm -rf "$data" "$target/extensions.json" "$target/.obsolete"
chmod -R a+rX,go-w "$target"
