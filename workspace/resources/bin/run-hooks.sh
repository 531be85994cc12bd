#!/bin/bash
# docker-stacks' run-hooks.sh: run the hooks in a folder in name order. *.sh files are sourced (what they export
# reaches what starts after them), executable files are run, anything else is ignored. A failing hook is reported
# and the others still run (whether or not the caller has `set -e`); with WORKBENCH_HOOK_FAILURES set, its path is
# also appended to that file. Its lines are docker-stacks' (_docker_stacks_log.sh), on stderr, so that a command's
# output stays its own. No folder, or not one folder, is an error, as in docker-stacks.
# Usage: source run-hooks.sh FOLDER   (or run it, when the hooks need not change the environment)
# shellcheck disable=SC2317  # "return || exit": return when sourced, exit when run; shellcheck sees one of them only
if ! declare -F _log_info >/dev/null; then
    # shellcheck source=workspace/resources/bin/_docker_stacks_log.sh
    source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/_docker_stacks_log.sh"
fi
if [ "$#" -ne 1 ]; then
    _log_error "Should pass exactly one directory"
    return 1 2>/dev/null || exit 1
fi
if [ ! -d "${1}" ]; then
    _log_error "Directory ${1} doesn't exist or is not a directory"
    return 1 2>/dev/null || exit 1
fi
case "$-" in
    *e*) _run_hooks_errexit=yes ;;
    *) _run_hooks_errexit=no ;;
esac
set +e
_log_info "Running hooks in: ${1} as uid: $(id -u) gid: $(id -g)"
for _run_hooks_file in "${1}"/*; do
    [ -e "${_run_hooks_file}" ] || continue
    case "${_run_hooks_file}" in
        *.sh)
            _log_info "Sourcing shell script: ${_run_hooks_file}"
            # shellcheck disable=SC1090
            source "${_run_hooks_file}"
            _run_hooks_status=$?
            set +e  # a sourced hook may have turned errexit on
            ;;
        *)
            if [ ! -x "${_run_hooks_file}" ]; then
                _log_info "Ignoring non-executable: ${_run_hooks_file}"
                continue
            fi
            _log_info "Running executable: ${_run_hooks_file}"
            "${_run_hooks_file}"
            _run_hooks_status=$?
            ;;
    esac
    if [ "${_run_hooks_status}" -ne 0 ]; then
        _log_error "${_run_hooks_file} has failed, continuing execution"
        if [ -n "${WORKBENCH_HOOK_FAILURES:-}" ]; then
            echo "${_run_hooks_file}" >> "${WORKBENCH_HOOK_FAILURES}"
        fi
    fi
done
_log_info "Done running hooks in: ${1}"
if [ "${_run_hooks_errexit}" = yes ]; then
    set -e
fi
unset _run_hooks_errexit _run_hooks_file _run_hooks_status
