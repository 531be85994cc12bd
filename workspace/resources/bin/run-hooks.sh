#!/bin/bash
# docker-stacks' run-hooks.sh: run the hooks in a folder in name order. *.sh files are sourced (what they export
# reaches what starts after them), executable files are run, anything else is ignored. A failing hook is reported
# and the others still run; with WORKBENCH_HOOK_FAILURES set, its path is also appended to that file. Its own
# messages go to stderr, so that a command's output stays its own.
# Usage: source run-hooks.sh FOLDER   (or run it, when the hooks need not change the environment)
# shellcheck disable=SC2317  # "return || exit": return when sourced, exit when run; shellcheck sees one of them only
if [ "$#" -ne 1 ]; then
    echo "Usage: run-hooks.sh FOLDER" >&2
    return 1 2>/dev/null || exit 1
fi
if [ ! -d "${1}" ]; then
    return 0 2>/dev/null || exit 0
fi
echo "run-hooks.sh: running hooks in ${1} as uid $(id -u), gid $(id -g)" >&2
for hook in "${1}"/*; do
    [ -e "${hook}" ] || continue
    case "${hook}" in
        *.sh)
            echo "run-hooks.sh: sourcing ${hook}" >&2
            # shellcheck disable=SC1090
            source "${hook}"
            ;;
        *)
            if [ ! -x "${hook}" ]; then
                echo "run-hooks.sh: ignoring ${hook} (not executable)" >&2
                continue
            fi
            echo "run-hooks.sh: running ${hook}" >&2
            "${hook}"
            ;;
    esac
    # shellcheck disable=SC2181
    if [ $? -ne 0 ]; then
        echo "run-hooks.sh: ${hook} has failed, continuing" >&2
        if [ -n "${WORKBENCH_HOOK_FAILURES:-}" ]; then
            echo "${hook}" >> "${WORKBENCH_HOOK_FAILURES}"
        fi
    fi
done
echo "run-hooks.sh: done running hooks in ${1}" >&2
