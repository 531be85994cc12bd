"""A real JupyterHub on this machine, as deploy/docker runs it: the hub image (JupyterHub, DockerSpawner,
NativeAuthenticator, configurable-http-proxy) on a Docker network of its own, spawning the workspace image for each
user. Users sign up and log in through the hub's own forms and reach their tools through the hub's public port."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import docker
import requests

from workbench_client import wait_until, websocket_url
from workspaces import TEST_LABELS

HUB_PORT = 8000
# Written into the hub's config.d (the deployment's hook for site settings): every container the hub spawns carries
# the test label, so that a test session that dies still gets them removed by the next one.
TEST_SITE_CONFIG = f"c.DockerSpawner.extra_create_kwargs = {{'labels': {TEST_LABELS!r}}}\n"


def browser_session() -> requests.Session:
    """Cookies, and the Accept header of a browser opening a page (which decides between a login redirect and a
    plain 403)."""
    session = requests.Session()
    session.headers["Accept"] = "text/html,application/xhtml+xml,*/*;q=0.8"
    return session


@dataclass
class HubUser:
    name: str
    password: str
    session: requests.Session = field(default_factory=lambda: browser_session())  # the hub's login cookies
    token: str = ""  # a hub API token the user made on the hub's token page


class Hub:
    """own_config: a whole jupyterhub_config.py of a site's own instead of deploy/docker's, given the hub's container
    name (`hub_name`), its network (`network`), the workspace image (`image`) and the name prefix for the containers
    it spawns (`prefix`) through str.format."""

    def __init__(
        self,
        client: docker.DockerClient,
        hub_image: str,
        workspace_image: str,
        config_dir: Path,
        own_config: str | None = None,
    ):
        self.client = client
        self.id = uuid.uuid4().hex[:8]
        self.prefix = f"wbtest-{self.id}"
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "test.py").write_text(TEST_SITE_CONFIG)
        command = None
        if own_config:
            (config_dir / "own.py").write_text(
                own_config.format(
                    hub_name=f"{self.prefix}-hub",
                    network=f"{self.prefix}-net",
                    image=workspace_image,
                    prefix=self.prefix,
                    test_labels=repr(TEST_LABELS),
                )
            )
            command = ["jupyterhub", "-f", "/srv/jupyterhub/config.d/own.py"]
        self.network = client.networks.create(f"{self.prefix}-net", labels=TEST_LABELS)
        self.container = client.containers.run(
            hub_image,
            command,
            detach=True,
            name=f"{self.prefix}-hub",
            network=self.network.name,
            labels=TEST_LABELS,
            ports={f"{HUB_PORT}/tcp": ("127.0.0.1", None)},
            volumes={
                "/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"},
                str(config_dir): {"bind": "/srv/jupyterhub/config.d", "mode": "ro"},
            },
            environment={
                "DOCKER_NETWORK_NAME": self.network.name,
                "HUB_CONNECT_HOST": f"{self.prefix}-hub",
                "WORKBENCH_IMAGE": workspace_image,
                "WORKBENCH_CONTAINER_PREFIX": self.prefix,
                "WORKBENCH_VOLUME_PREFIX": self.prefix,
                "HUB_OPEN_SIGNUP": "true",
            },
        )
        self.container.reload()
        self.url = f"http://127.0.0.1:{self.container.ports[f'{HUB_PORT}/tcp'][0]['HostPort']}"

    def __enter__(self) -> Hub:
        """`with Hub(...) as hub:` once it answers; removed with all it made on leaving, or if it never answers."""
        try:
            self.wait_ready()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *_) -> None:
        self.remove()

    def logs(self) -> str:
        return self.container.logs().decode(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:

        def healthy() -> bool:
            self.container.reload()
            assert self.container.status == "running", f"the hub exited:\n{self.logs()}"
            return requests.get(f"{self.url}/hub/health", timeout=2).status_code == 200

        wait_until(healthy, timeout, 0.3, failure=lambda: f"the hub did not answer:\n{self.logs()}")

    # ---- what a person does in the browser, through the hub's forms

    def post_form(self, user: HubUser, path: str, data: dict) -> requests.Response:
        """A form post as the browser sends it, with the hub's XSRF token from the form's page."""
        user.session.get(f"{self.url}{path}", timeout=30)
        xsrf = user.session.cookies.get("_xsrf", path="/hub/")
        assert xsrf, f"no _xsrf cookie from {path}"
        return user.session.post(f"{self.url}{path}", data={**data, "_xsrf": xsrf}, timeout=30)

    def sign_up_and_log_in(self, name: str) -> HubUser:
        user = HubUser(name, f"pw-{uuid.uuid4().hex}")
        signed_up = self.post_form(
            user,
            "/hub/signup",
            {"username": name, "signup_password": user.password, "signup_password_confirmation": user.password},
        )
        assert signed_up.status_code == 200 and "The signup was successful" in signed_up.text, signed_up.text[-800:]
        return self.log_in(user)

    def log_in(self, user: HubUser) -> HubUser:
        """The hub's login form, then a token made the way the hub's token page makes it."""
        name = user.name
        logged_in = self.post_form(user, "/hub/login", {"username": name, "password": user.password})
        assert logged_in.status_code == 200 and user.session.cookies.get("jupyterhub-session-id"), logged_in.text
        # The hub's token page does this POST for the user.
        made = user.session.post(
            f"{self.url}/hub/api/users/{name}/tokens",
            json={"note": "tests"},
            headers={"X-XSRFToken": user.session.cookies.get("_xsrf", path="/hub/")},
            timeout=30,
        )
        assert made.status_code == 201, made.text
        user.token = made.json()["token"]
        return user

    # ---- the hub's REST API, with the user's own token

    def api(self, user: HubUser, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(
            method, f"{self.url}/hub/api{path}", timeout=60, headers={"Authorization": f"token {user.token}"}, **kwargs
        )

    def server(self, user: HubUser) -> dict | None:
        model = self.api(user, "GET", f"/users/{user.name}")
        assert model.status_code == 200, model.text
        return model.json()["servers"].get("")

    def start_server(self, user: HubUser, timeout: float = 240, poll: float = 1) -> float:
        """Seconds from the start request to the hub saying the server is ready."""
        start = time.monotonic()
        started = self.api(user, "POST", f"/users/{user.name}/server")
        assert started.status_code in (201, 202), started.text

        def ready() -> bool:
            server = self.server(user) or {}
            assert server.get("pending") or server.get("ready"), (
                f"{user.name}'s server stopped while starting:\n{self.logs()}"
            )
            return bool(server.get("ready"))

        wait_until(ready, timeout, poll, failure=lambda: f"{user.name}'s server never became ready:\n{self.logs()}")
        return time.monotonic() - start

    def stop_server(self, user: HubUser, timeout: float = 120) -> None:
        stopped = self.api(user, "DELETE", f"/users/{user.name}/server")
        assert stopped.status_code in (202, 204), stopped.text
        wait_until(
            lambda: self.server(user) is None,
            timeout,
            1,
            failure=lambda: f"{user.name}'s server never stopped:\n{self.logs()}",
        )

    def user_container(self, user: HubUser):
        """The workspace container the hub runs for the user."""
        return self.client.containers.get(f"{self.prefix}-{user.name}")

    def user_url(self, user: HubUser) -> str:
        return f"{self.url}/user/{user.name}/"

    def user_server(self, user: HubUser, as_user: HubUser | None = None) -> UserServer:
        """The user's workspace through the hub's port, called with as_user's token (default: the owner's)."""
        return UserServer(self.user_url(user), (as_user or user).token)

    def remove(self) -> None:
        """The hub, every workspace it spawned, their volumes and the network."""
        for container in [self.container] + self.client.containers.list(all=True, filters={"name": self.prefix}):
            try:
                # v: the anonymous volume of the hub image's VOLUME (its database) goes with the hub.
                container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as error:
                if error.status_code != 409:
                    raise
        for volume in self.client.volumes.list(filters={"name": self.prefix}):
            volume.remove(force=True)
        self.network.remove()


@dataclass
class UserServer:
    """A user's workspace under /user/<name>/ on the hub's port, for workbench_client's helpers (kernels, status)
    as an API client calls it: with a hub API token."""

    url: str
    token: str

    def auth_headers(self, token: str | None = None) -> dict:
        return {"Authorization": f"token {token or self.token}"}

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        return requests.get(self.url + path, headers={**self.auth_headers(), **kwargs.pop("headers", {})}, **kwargs)

    def ws_url(self, path: str) -> str:
        return websocket_url(self.url) + path

    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"
