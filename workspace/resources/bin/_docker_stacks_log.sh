#!/bin/bash
# docker-stacks' logging functions for start hooks (source it; run-hooks.sh does): hooks written for docker-stacks
# call _log_info, _log_warn and _log_error, and their lines look the same here: LEVEL[date time] message, on stderr.
# JUPYTER_DOCKER_STACKS_QUIET (any value) keeps INFO and DEBUG lines out; on a terminal, WARNING is yellow, ERROR red
# and DEBUG cyan unless NO_COLOR is set (no-color.org).
_log () {
    local level="INFO"
    case "${1:-}" in
        INFO|WARNING|ERROR|DEBUG) level="${1}"; shift ;;
    esac
    if [[ -n "${JUPYTER_DOCKER_STACKS_QUIET:-}" && "${level}" != "WARNING" && "${level}" != "ERROR" ]]; then
        return 0
    fi
    local line
    line="${level}[$(date '+%Y-%m-%d %H:%M:%S')] $*"
    local color=""
    if [[ -t 2 && -z "${NO_COLOR:-}" ]]; then
        case "${level}" in
            ERROR) color="31" ;;
            WARNING) color="33" ;;
            DEBUG) color="36" ;;
        esac
    fi
    if [[ -n "${color}" ]]; then
        printf '\033[0;%sm%s\033[0m\n' "${color}" "${line}" >&2
    else
        printf '%s\n' "${line}" >&2
    fi
}
_log_info () { _log INFO "$@"; }
_log_warn () { _log WARNING "$@"; }
_log_error () { _log ERROR "$@"; }
