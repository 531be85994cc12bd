"""Where the runtime reads and writes inside the image. One place, so that templates and code agree."""

from pathlib import Path

INSTALL_DIR = Path("/opt/workbench")
LANDING_DIR = INSTALL_DIR / "landing"
# supervisord as the entrypoint starts it (workbench/start/supervise.py), under its own name for ps and pgrep.
SUPERVISORD = INSTALL_DIR / "bin" / "supervisord"
# The runtime package (this file is in its facts/), and the install folder that holds it.
PACKAGE_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = PACKAGE_DIR / "templates"
# Certificate authorities to trust besides the system's, when WORKSPACE_CA_CERTS names none
# (workbench/contracts/trust.py).
EXTRA_CA_DIR = Path("/etc/workbench/ca-certificates")
# Tools an image built on this one adds: one JSON file each, with its icon beside it (workbench/facts/tools.py reads
# them).
TOOL_DECLARATIONS_DIR = Path("/etc/workbench/tools.d")
WORKSPACE_DIR = Path("/workspace")
# Recreated at every start: rendered configs (one of them holds the token), sockets, pid files.
RUN_DIR = Path("/run/workbench")
JUPYTER_SOCKET = RUN_DIR / "jupyter.sock"
SUPERVISOR_SOCKET = RUN_DIR / "supervisor.sock"
NGINX_PID_FILE = RUN_DIR / "nginx.pid"
# Jupyter Server's extra arguments (NOTEBOOK_ARGS, start-notebook.py ARGS): JSON, read by workbench.start.jupyter_app.
JUPYTER_ARGS_FILE = RUN_DIR / "jupyter-args.json"
# nginx appends a line to <tool>.log here for each request a tool served (workbench/server/on_demand.py reads them).
ACTIVITY_DIR = RUN_DIR / "activity"
# Rendered at every start; /etc/supervisor/supervisord.conf links to it, for supervisorctl (the Dockerfile).
SUPERVISOR_CONF = RUN_DIR / "supervisord.conf"
# The start hooks that failed this start (JSON list of paths), for the landing page (workbench/start/hooks.py).
HOOK_FAILURES_FILE = RUN_DIR / "hook-failures.json"
# What the log says once the workspace answers (the login URL): written at start, printed by workbench.server.announce.
ANNOUNCEMENT_FILE = RUN_DIR / "announcement"
# The start's steps with their times (workbench/facts/start_timeline.py), kept with WORKSPACE_LOG_LEVEL=debug.
START_TIMELINE_FILE = RUN_DIR / "start-timeline"
# Read by the image's HEALTHCHECK, which cannot know the port and base path by itself.
HEALTHZ_URL_FILE = RUN_DIR / "healthz-url"
SUDOERS_FILE = Path("/etc/sudoers.d/workbench")
# A container started as a uid the image has no account for (docker run --user 1010, OpenShift, Kubernetes'
# runAsUser) gets one through nss_wrapper (workbench/start/account.py): these files stand in for /etc/passwd and
# /etc/group
# in every process started after the entrypoint, which finds the library with this pattern.
NSS_WRAPPER_LIBRARY = "/usr/lib/*/libnss_wrapper.so"
NSS_WRAPPER_PASSWD = RUN_DIR / "passwd"
NSS_WRAPPER_GROUP = RUN_DIR / "group"
NSS_WRAPPER_VARIABLES = ("LD_PRELOAD", "NSS_WRAPPER_PASSWD", "NSS_WRAPPER_GROUP")
# Such a uid's home when the image's is not theirs to write (the container's, like the image's home; the kept paths
# of workbench/start/home.py still live in /workspace).
SPARE_HOME_PATTERN = "/tmp/workbench-home-{uid}"
# The account created at build time (the Dockerfile's NB_USER, NB_UID, NB_GID); renamed or renumbered at start when
# NB_USER/NB_UID/NB_GID ask for it.
IMAGE_USER = "jovyan"
IMAGE_UID = 1000
IMAGE_GID = 100
IMAGE_HOME = Path("/home") / IMAGE_USER
VENV_DIR = Path("/opt/venv")
# The image's Python environment: Jupyter, kernels, jobs and the user's libraries.
VENV_PYTHON = VENV_DIR / "bin" / "python"
# The "Python (SageMaker)" kernel's environment (full, gpu; minimal with build.py --sagemaker-kernel): SageMaker's SDK
# and the versions it needs of packages Jupyter uses too (protobuf, packaging), over VENV_DIR's packages.
SAGEMAKER_KERNEL_DIR = Path("/opt/sagemaker-kernel")
# MLflow's tracking server (the mlflow tool), an environment of its own over VENV_DIR's packages: it needs an older
# gunicorn than the jobs' server. Every kernel has MLflow's client in VENV_DIR.
MLFLOW_DIR = Path("/opt/mlflow")
# What the workspace keeps for itself in the user's folder, so that it survives re-creating the container.
STATE_DIR = WORKSPACE_DIR / ".workbench"
# Notebook jobs (jupyter-scheduler): its database of jobs and schedules, and each job's files.
SCHEDULER_DIR = STATE_DIR / "scheduler"
# MLflow's runs (an SQLite database) and artifacts, kept with the user's files.
MLFLOW_STORE_DIR = STATE_DIR / "mlflow"
SSH_STATE_DIR = STATE_DIR / "ssh"  # host keys and the managed authorized_keys, readable by the user only
AUTHORIZED_KEYS = SSH_STATE_DIR / "authorized_keys"
START_AUTHORIZED_KEYS = RUN_DIR / "authorized_keys_from_start"  # SSH_AUTHORIZED_KEYS, rewritten at every start
# WORKSPACE_SSL_ENABLED without a certificate of the user's: the one made at the first start, kept for the next ones
# (so that a browser's exception for it survives re-creating the container).
SELF_SIGNED_DIR = STATE_DIR / "tls"
# The certificate and key nginx serves, copied at every start from the user's files or the self-signed ones.
SERVED_TLS_CERT = RUN_DIR / "tls-cert.pem"
SERVED_TLS_KEY = RUN_DIR / "tls-key.pem"
# Behind the public port, where nginx tells SSH from HTTP by the first bytes a client sends (nginx/demux.js), it hands
# the connection on through unix sockets in this folder: every byte crosses this hop, and a 1 GB download crossed it
# 30% faster than over TCP on loopback. The web server's:
DOOR_SOCKETS_DIR = RUN_DIR / "door"
NGINX_SOCKET = DOOR_SOCKETS_DIR / "http.sock"
# Where the web server takes HTTPS (WORKSPACE_SSL_ENABLED); NGINX_SOCKET then only sends browsers there.
NGINX_TLS_SOCKET = DOOR_SOCKETS_DIR / "https.sock"
SSHD_PORT = 2222
# Where nginx takes the PROXY protocol's client address off SSH connections, which sshd cannot read.
SSH_HOP_SOCKET = DOOR_SOCKETS_DIR / "ssh-hop.sock"
# The client side of SSH over a websocket (tools/ssh): the setup script installs it as the ssh ProxyCommand.
# Found next to the package (not under INSTALL_DIR) so that the setup script renders outside the image
# too.
SSH_PROXY_HELPER = PACKAGE_DIR.parent / "ssh" / "workbench-ssh-proxy"
# JupyterLab's settings defaults (the image's own, next to the package), and what they are rendered into at start
# with the "Workbench" menu (workbench/facts/lab_launcher.py); Lab's overrides.json links to the rendered file
# (Dockerfile).
LAB_OVERRIDES_DEFAULTS = PACKAGE_DIR.parent / "jupyter" / "lab-overrides.json"
LAB_OVERRIDES = RUN_DIR / "lab-overrides.json"
# A Jupyter configuration folder of this start's, ahead of the environment's in Jupyter's JUPYTER_CONFIG_PATH: its
# labconfig/page_config.json leaves out front-end extensions a setting turned off (workbench/facts/collaboration.py).
JUPYTER_START_CONFIG_DIR = RUN_DIR / "jupyter-config"
# Real-time collaboration's documents (their shared state between saves) and the ids it gives files, kept with the
# user's work instead of beside their notebooks or in the container's home.
COLLABORATION_DIR = STATE_DIR / "collaboration"
# Downloads (workbench/server/door_files.py): nginx marks the requests of its files location with this header, Jupyter
# answers those with an internal redirect to this location of nginx (which serves WORKSPACE_DIR), and gives its own
# Content-Security-Policy along in the other header.
DOOR_FILES_HEADER = "X-Workbench-Door-Files"
DOOR_FILES_PREFIX = "/.workbench/files/"
DOOR_FILES_CSP_HEADER = "X-Workbench-Files-CSP"
# The door for the workspace's own processes (a kernel logging to MLflow): the tools on loopback, no login, started
# when first used as through the public door. nginx tells Jupyter's wake route it came this way with a header whose
# value is a secret made at every start.
LOOPBACK_DOOR_PORT = 18080
LOOPBACK_DOOR_HEADER = "X-Workbench-Loopback"
# The loopback ports of the door itself, besides the tools' (workbench/facts/tools.py), and what listens there.
DOOR_PORTS = {
    SSHD_PORT: "sshd (SSH arrives on the workspace's one port)",
    LOOPBACK_DOOR_PORT: "nginx's loopback door: the tools for the workspace's own processes",
}
# The host's Docker engine, when its socket is mounted (-v /var/run/docker.sock:/var/run/docker.sock): the start
# gives the user the socket's group (workbench/start/account.py).
DOCKER_SOCKET = Path("/var/run/docker.sock")
# Debian's Docker Compose (v1), which the workspace's own docker-compose runs once it has made the file's paths the
# host's (workbench/host_docker/compose.py), with the Python packages it needs in a folder of its own: in the
# system's Python they would show in Jupyter's environment, which sees the system's packages (the Dockerfile).
DOCKER_COMPOSE_DIR = Path("/opt/docker-compose")
DOCKER_COMPOSE_LIB = DOCKER_COMPOSE_DIR / "lib"
REAL_DOCKER_COMPOSE = DOCKER_COMPOSE_DIR / "bin" / "docker-compose"
# SageMaker's local mode from a notebook: the SDK's working folders (its local.container_root), under /workspace so
# that the engine finds them at their host path, and the port a local endpoint answers on inside the workspace
# (local.serving_port: SageMaker's own 8080 is the door's). ~/.sagemaker/config.yaml says both
# (workbench/host_docker/sagemaker_local.py).
SAGEMAKER_LOCAL_ROOT = STATE_DIR / "sagemaker-local"
SAGEMAKER_LOCAL_SERVING_PORT = 8081
# SageMaker's container contract (workbench/jobs/dispatch.py): where a job's inputs, code, model and outputs live.
ML_DIR = Path("/opt/ml")
ML_CODE_DIR = ML_DIR / "code"
ML_MODEL_DIR = ML_DIR / "model"
ML_CONFIG_DIR = ML_DIR / "input" / "config"
ML_FAILURE_FILE = ML_DIR / "output" / "failure"
ML_DATA_DIR = ML_DIR / "input" / "data"
# Where `build.py package` puts a job's code (deploy/sagemaker/Dockerfile): outside /opt/ml, which users and
# tutorials mount whole (-v "$PWD/ml:/opt/ml"), hiding whatever the image had there. train hands it to the toolkit,
# which copies it into ML_CODE_DIR as it does a submit directory; serve loads the inference script from it.
PACKAGED_CODE_DIR = Path("/opt/job/code")
# Where SageMaker sends requests to a model server (`serve`), unless SAGEMAKER_BIND_TO_PORT says otherwise.
SERVE_PORT = 8080
# Where nginx reaches the model server's workers (gunicorn) in serve mode.
MODEL_SERVER_SOCKET = RUN_DIR / "model-server.sock"
