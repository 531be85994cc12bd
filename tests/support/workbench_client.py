"""Talk to a running workspace the way users' clients do: HTTP through port 8080, logging in as a browser does, and
waiting for what a person waits for (a tool, a page, a state). The kernel protocol is in kernels.py."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from docker.models.containers import Container

from tool_pages import ON_DEMAND_TOOLS, TOOL_PAGES
from waiting import wait_until  # noqa: F401  (the tests' one readiness wait, imported from here by most)

READY_LINE = "Workbench is ready; open it at:"
LOGIN_URL_PATTERN = re.compile(r"https?://localhost:\d+(/\S*?)\?token=([A-Za-z0-9._~-]+)")


class WorkspaceExited(AssertionError):
    pass


def websocket_url(url: str) -> str:
    """The ws:// (or wss://) address of an http:// (or https://) one."""
    return "ws" + url[len("http") :]


@dataclass
class Workspace:
    container: Container
    container_port: int = 8080
    base_url: str = "/"
    token: str | None = None
    # "https" with WORKSPACE_SSL_ENABLED; verify: the CA file requests checks the certificate against.
    scheme: str = "http"
    verify: str | bool = True
    host_port: int = field(init=False)  # where docker published container_port on this machine
    url: str = field(init=False)  # http://127.0.0.1:<host port><base path>, ending in "/"

    def __post_init__(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Re-read the published port: docker picks a new free host port when a container restarts."""
        self.container.reload()
        self.host_port = int(
            self.container.attrs["NetworkSettings"]["Ports"][f"{self.container_port}/tcp"][0]["HostPort"]
        )
        self.url = f"{self.scheme}://127.0.0.1:{self.host_port}{self.base_url}"

    def logs(self) -> str:
        return self.container.logs().decode(errors="replace")

    def wait_ready(self, timeout: float = 120) -> None:
        """Poll healthz until it answers ok; fail at once if the container stops."""

        def healthy() -> bool:
            self.container.reload()
            if self.container.status not in ("created", "running"):
                raise WorkspaceExited(f"workspace exited ({self.container.attrs['State']['ExitCode']}):\n{self.logs()}")
            # Plain HTTP: healthz answers on it with TLS on too, before the certificate is known to the test.
            response = requests.get(f"http://127.0.0.1:{self.host_port}{self.base_url}healthz", timeout=2)
            return response.status_code == 200 and response.text == "ok\n"

        wait_until(healthy, timeout, 0.3, failure=lambda: f"healthz not ok:\n{self.logs()}")

    def ready_announcement(self, timeout: float = 30) -> list[str]:
        """The lines the log has once the workspace answers: "Workbench is ready; open it at:", the address, and with a
        token of the user's own, how to log in."""
        log = wait_until(
            lambda: READY_LINE in (text := self.logs()) and text,
            timeout,
            failure=lambda: f"no {READY_LINE!r} in the log:\n{self.logs()}",
        )
        lines = log[log.rindex(READY_LINE) :].splitlines()
        return lines[:3] if len(lines) > 2 and lines[2].startswith("    and log in") else lines[:2]

    def wait_for_log(self, pattern: str, timeout: float = 15) -> re.Match:
        """The first match of the regular expression in the log, once it is there: lines travel from a program
        through supervisord to Docker's log a moment after the request that caused them was answered."""
        return wait_until(
            lambda: re.search(pattern, self.logs()),
            timeout,
            failure=lambda: f"no {pattern!r} in the log:\n{self.logs()}",
        )

    def login_urls(self) -> list[tuple[str, str]]:
        """(path, token) of each login URL in the log: one per start."""
        return LOGIN_URL_PATTERN.findall(self.logs())

    def token_from_log(self, starts_before: int = 0, timeout: float = 30) -> str:
        """The token of the newest start. The login URL is printed once the workspace answers, a moment after
        healthz first says ok; after a restart, pass the number of login URLs the log had before it."""
        urls = wait_until(
            lambda: len(found := self.login_urls()) > starts_before and found,
            timeout,
            failure=lambda: f"no new login URL in the log:\n{self.logs()}",
        )
        return urls[-1][1]

    def auth_headers(self, token: str | None = None) -> dict:
        token = token or self.token
        return {"Authorization": f"token {token}"} if token else {}

    def get(self, path: str, *, token: str | None = None, authenticated: bool = True, **kwargs):
        headers = {**(self.auth_headers(token) if authenticated else {}), **kwargs.pop("headers", {})}
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("verify", self.verify)
        return requests.get(self.url + path, headers=headers, **kwargs)

    def ws_url(self, path: str) -> str:
        return websocket_url(self.url) + path

    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def refused(response: requests.Response) -> bool:
    """The door's answer to a request without a valid login: for a page asked for with GET, a redirect to the login
    page (as Jupyter answers it, whatever the client); for the rest (APIs, websockets, changes), 403."""
    if response.status_code == 302:
        location = urlsplit(response.headers.get("Location", ""))
        return location.path.endswith(("/login", "/api/workbench/login")) and location.query.startswith("next=")
    return response.status_code == 403


def free_port() -> int:
    """A host port nothing listens on now (for a client's own tunnel or server)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def login(workspace: Workspace, token: str) -> requests.Session:
    """The browser flow without a browser: open a page, get sent to the login form, submit the token, land where we
    went. The cookie it gets has never been asked about by nginx."""
    session = requests.Session()
    redirect = session.get(workspace.url + "lab", headers={"Accept": "text/html"}, allow_redirects=False)
    form = session.get(workspace.origin() + redirect.headers["Location"])
    assert form.status_code == 200 and 'name="password"' in form.text
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text).group(1)
    submitted = session.post(
        workspace.origin() + redirect.headers["Location"],
        data={"password": token, "_xsrf": xsrf},
        allow_redirects=False,
    )
    assert submitted.status_code == 302, submitted.text
    assert submitted.headers["Location"] == workspace.base_url + "lab"
    return session


def cookie_header(session: requests.Session) -> str:
    """The session's cookies as a Cookie header, for a websocket client."""
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def wait_for_status(workspace: Workspace, condition, timeout: float = 60) -> dict:
    """Poll the landing page's status endpoint until condition(status) holds; return that status. The endpoint is
    Jupyter's: while Jupyter restarts it does not answer, which is waited through too."""
    seen = {"answer": "no answer"}

    def status() -> dict | None:
        response = workspace.get("api/workbench/status")
        seen["answer"] = response.text[:2000]
        answer = response.json() if response.status_code == 200 else None
        return answer if answer is not None and condition(answer) else None

    return wait_until(status, timeout, 0.5, failure=lambda: f"the status is not so: {seen['answer']}")


def tool_state(status: dict, name: str) -> str:
    return next(tool["state"] for tool in status["tools"] if tool["name"] == name)


def open_page_like_a_browser(session: requests.Session, url: str, timeout: float = 150) -> requests.Response:
    """A browser opening a tool that is still starting gets the "starting…" page (503, Retry-After), which reloads
    itself until the tool answers; this does the same."""
    seen = {"answer": "no answer"}

    def past_the_starting_page() -> requests.Response | None:
        response = session.get(url, timeout=30)
        seen["answer"] = response.text[:300]
        return None if response.status_code == 503 and "Retry-After" in response.headers else response

    return wait_until(past_the_starting_page, timeout, 1, failure=lambda: f"{url} still starting: {seen['answer']}")


def open_tool(workspace: Workspace, name: str, timeout: float = 150) -> requests.Response:
    """Open the tool's page as a script does: a tool that is not running starts, and the answer comes once it
    does (a browser would get the "starting…" page instead)."""
    path, _ = TOOL_PAGES[name]
    return workspace.get(path, timeout=timeout)


def wait_for_tool(workspace: Workspace, name: str, timeout: float = 90) -> dict:
    """Open the tool, then wait until the landing page's status shows it running and answering; return that
    status."""
    if name in ON_DEMAND_TOOLS:
        open_tool(workspace, name)
    return wait_for_status(workspace, lambda status: tool_state(status, name) == "RUNNING", timeout)


def open_every_tool(workspace: Workspace, timeout: float = 120) -> dict:
    """Open each tool that starts on demand; return the status once every tool runs."""
    for name in ON_DEMAND_TOOLS:
        open_tool(workspace, name)
    return wait_for_status(
        workspace, lambda status: all(tool["state"] == "RUNNING" for tool in status["tools"]), timeout
    )


def wait_for_page(workspace: Workspace, path: str, text: str = "", timeout: float = 90) -> requests.Response:
    """A tool may still be starting after healthz: poll until it answers 200 with `text` in its page; return that
    answer."""
    seen = {"answer": "no answer"}

    def answered() -> requests.Response | None:
        response = workspace.get(path)
        seen["answer"] = f"{response.status_code} {response.text[:300]}"
        return response if response.status_code == 200 and text in response.text else None

    return wait_until(answered, timeout, 0.5, failure=lambda: f"{path}: {seen['answer']}")
