"""JupyterHub on one Docker host: each user gets their own Workbench container (DockerSpawner), with every tool
under /user/<name>/ behind the hub's login, a named volume that keeps their /workspace, and idle culling.

Everything a deployment usually changes is an environment variable of the hub container (see docs/hub.md);
anything else goes into a *.py file in /srv/jupyterhub/config.d, read after this one.
"""

import asyncio
import os
import sys
import time
from pathlib import Path

import dockerspawner
import nativeauthenticator
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

c = get_config()  # noqa: F821 (JupyterHub's config loader provides it)


def setting(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def listed(name: str) -> list[str]:
    return [item.strip() for item in setting(name).split(",") if item.strip()]


def fail(message: str) -> None:
    """A bad setting stops the hub at start with one clear line, rather than failing at a user's first spawn."""
    print(f"jupyterhub_config.py: error: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


DATA_DIR = Path(setting("HUB_DATA_DIR", "/srv/jupyterhub/data"))
DATA_DIR.mkdir(parents=True, exist_ok=True)

# --- the hub ------------------------------------------------------------------------------------------------
c.JupyterHub.bind_url = f"http://:{setting('HUB_PORT', '8000')}"
# The workspaces reach the hub's API by the hub container's name on the shared network.
c.JupyterHub.hub_ip = "0.0.0.0"
c.JupyterHub.hub_connect_ip = setting("HUB_CONNECT_HOST", "jupyterhub")
c.JupyterHub.db_url = f"sqlite:///{DATA_DIR / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(DATA_DIR / "jupyterhub_cookie_secret")
# The landing page, not JupyterLab, is where a user arrives: it leads to every tool.
c.Spawner.default_url = ""

# --- who gets in ----------------------------------------------------------------------------------------------
# NativeAuthenticator: users sign up at /hub/signup with their own password, and an admin lets them in at
# /hub/authorize (HUB_OPEN_SIGNUP=true lets everyone who signs up in at once). Swap in an OAuthenticator for
# GitHub, GitLab, Google, Azure AD or generic OIDC from a file in config.d.
c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
c.NativeAuthenticator.open_signup = setting("HUB_OPEN_SIGNUP", "false").lower() in ("1", "true", "yes")
c.NativeAuthenticator.minimum_password_length = 10
c.NativeAuthenticator.check_common_password = True
# NativeAuthenticator decides who is authorized; every user it lets in may use the hub.
c.Authenticator.allow_all = True
c.Authenticator.admin_users = set(listed("HUB_ADMIN_USERS"))
# Its sign-up and authorize pages.
c.JupyterHub.template_paths = [str(Path(nativeauthenticator.__file__).parent / "templates")]

# --- each user's workspace ------------------------------------------------------------------------------------
# How often a starting workspace is asked whether it answers yet.
READY_POLL_SECONDS = 0.1


class WorkbenchSpawner(dockerspawner.DockerSpawner):
    """DockerSpawner, back from starting a workspace once it answers. The hub waits for a server by asking it with a
    backoff that grows to 5 s between tries (with jitter): it called a workspace that starts in 6 s ready 2 s late on
    average. Asked here every READY_POLL_SECONDS, the hub's own first try finds it answering."""

    async def start(self):
        ip, port = await super().start()
        if not self.internal_ssl:  # with internal TLS, the hub's own wait alone (it holds the certificates)
            await self.answering(f"http://{ip}:{port}{self.server.base_url}")
        return ip, port

    async def answering(self, url: str) -> None:
        """Until the workspace gives any answer below 500 (the hub's own test), stops, or http_timeout passes; the
        hub's wait that follows reports the last two."""
        client = AsyncHTTPClient()
        deadline = time.monotonic() + self.http_timeout
        tries = 0
        while time.monotonic() < deadline:
            try:
                await client.fetch(url, follow_redirects=False, request_timeout=10)
                return
            except HTTPClientError as error:
                if error.code < 500:
                    return
            except OSError:
                pass  # not listening yet
            tries += 1
            if tries % 10 == 0 and await self.poll() is not None:
                return
            await asyncio.sleep(READY_POLL_SECONDS)


c.JupyterHub.spawner_class = WorkbenchSpawner
c.DockerSpawner.network_name = setting("DOCKER_NETWORK_NAME", "workbench-hub")
c.DockerSpawner.use_internal_ip = True
# What Zero to JupyterHub starts too; the Workbench image turns it into the whole workspace.
c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
c.DockerSpawner.port = 8888
c.DockerSpawner.prefix = setting("WORKBENCH_CONTAINER_PREFIX", "workbench")
# Images are built locally or pulled by the host's operator; the hub never pulls on a user's click.
c.DockerSpawner.pull_policy = "never"
# The container is thrown away when the server stops; the user's files live on in their volume.
c.DockerSpawner.remove = True
c.DockerSpawner.volumes = {f"{setting('WORKBENCH_VOLUME_PREFIX', 'workbench')}-{{username}}": "/workspace"}
# The first start of a flavor can take a while on a busy host (a new volume is filled, host keys are made).
c.Spawner.start_timeout = int(setting("WORKBENCH_START_TIMEOUT", "180"))
c.Spawner.http_timeout = int(setting("WORKBENCH_START_TIMEOUT", "180"))

# WORKBENCH_IMAGES="Minimal=workbench:minimal,Full=workbench:full,GPU=workbench:gpu" gives users a choice on the
# spawn page; otherwise everyone gets WORKBENCH_IMAGE.
images = {}
for entry in listed("WORKBENCH_IMAGES"):
    title, _, image = entry.partition("=")
    if not (title.strip() and image.strip()):
        fail(f"WORKBENCH_IMAGES entry {entry!r}: expected TITLE=IMAGE")
    images[title.strip()] = image.strip()
if images:
    c.DockerSpawner.allowed_images = images
    c.DockerSpawner.image = next(iter(images.values()))
else:
    c.DockerSpawner.image = setting("WORKBENCH_IMAGE", "workbench:minimal")

if setting("WORKBENCH_MEM_LIMIT"):
    c.DockerSpawner.mem_limit = setting("WORKBENCH_MEM_LIMIT")
if setting("WORKBENCH_CPU_LIMIT"):
    try:
        c.DockerSpawner.cpu_limit = float(setting("WORKBENCH_CPU_LIMIT"))
    except ValueError:
        fail(f"WORKBENCH_CPU_LIMIT={setting('WORKBENCH_CPU_LIMIT')!r}: expected a number of CPUs such as 2 or 1.5")

GPU_POLICIES = ("auto", "never")
if setting("WORKBENCH_GPUS", "auto") not in GPU_POLICIES:
    fail(f"WORKBENCH_GPUS={setting('WORKBENCH_GPUS')!r}: expected one of {', '.join(GPU_POLICIES)}")


async def host_config(spawner) -> dict:
    """Shared memory for the desktop's browser and PyTorch's data loaders; and every GPU for an image that asks the
    NVIDIA runtime for them (the gpu flavor sets NVIDIA_VISIBLE_DEVICES) on a host that has that runtime."""
    config = {"shm_size": setting("WORKBENCH_SHM_SIZE", "2g")}
    if setting("WORKBENCH_GPUS", "auto") == "auto":
        image_env = (await spawner.docker("inspect_image", spawner.image))["Config"].get("Env") or []
        wants_gpu = any(variable.startswith("NVIDIA_VISIBLE_DEVICES=") for variable in image_env)
        if wants_gpu and "nvidia" in ((await spawner.docker("info")).get("Runtimes") or {}):
            config["device_requests"] = [{"Driver": "nvidia", "Count": -1, "Capabilities": [["gpu"]]}]
    return config


c.DockerSpawner.extra_host_config = host_config

# --- idle culling ---------------------------------------------------------------------------------------------
# A server nobody used for WORKBENCH_CULL_TIMEOUT seconds is stopped (0: never). Activity is what the hub's proxy
# sees, so working only in VS Code or on the desktop counts as much as running notebooks.
cull_timeout = int(setting("WORKBENCH_CULL_TIMEOUT", "3600"))
if cull_timeout > 0:
    c.JupyterHub.load_roles = [
        {
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        }
    ]
    c.JupyterHub.services = [
        {
            "name": "idle-culler",
            "command": [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={cull_timeout}",
                f"--cull-every={max(30, min(300, cull_timeout // 4))}",
            ],
        }
    ]
    c.JupyterHub.last_activity_interval = max(30, min(300, cull_timeout // 4))

# --- the site's own settings ----------------------------------------------------------------------------------
for extra in sorted(Path(setting("HUB_CONFIG_DIR", "/srv/jupyterhub/config.d")).glob("*.py")):
    load_subconfig(str(extra))  # noqa: F821
