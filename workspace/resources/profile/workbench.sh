# Login shells (Jupyter terminals, the desktop's terminal, later SSH) see what kernels and tools see: the
# workspace's Python environment first on PATH (Debian's /etc/profile resets PATH) and the desktop's display.
case ":${PATH}:" in
    *:/opt/venv/bin:*) ;;
    *) PATH="/opt/venv/bin:${PATH}" ;;
esac
export PATH
export DISPLAY="${DISPLAY:-:1}"
