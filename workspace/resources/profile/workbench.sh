# shellcheck shell=sh
# Login shells (Jupyter terminals, the desktop's terminal, SSH) see what kernels and tools see: the user's own
# packages (pip install --user, kept in /workspace) and the workspace's Python environment first on PATH (Debian's
# /etc/profile resets PATH), and the desktop's display. The Dockerfile fills in the environment's folder.
for directory in @VENV_DIR@/bin "${PYTHONUSERBASE:-/workspace/.workbench/python}/bin"; do
    case ":${PATH}:" in
        *:"${directory}":*) ;;
        *) PATH="${directory}:${PATH}" ;;
    esac
done
export PATH
export DISPLAY="${DISPLAY:-:1}"
