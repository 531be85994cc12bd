"""The environment contract: every variable a user may set, validated before anything starts.

A bad value raises ConfigError with one line that names the variable, the value and what is allowed.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from ..facts import catalogue, paths, ssh_keys
from ..facts.paths import IMAGE_USER
from ..facts.tools import BUILT_IN, Tool
from ..facts.validation import BOOLEAN_WORDS, ConfigError, parse_bool, parse_directory, parse_int

__all__ = ["ConfigError", "Hub", "Settings", "load"]

# 16 characters: beyond what the door's throttle lets anyone guess (a few per minute per address).
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._~-]{16,256}")
# A host name, an IPv4 address or a bracketed IPv6 one; ".example.com" or "*.example.com" also allow subdomains.
ALLOWED_HOST_PATTERN = re.compile(
    r"(\*?\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
    r"|\[[0-9a-f:.]{2,45}\]"
)
# What a workspace without authentication answers to besides WORKSPACE_ALLOWED_HOSTS: this machine's own names.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
BASE_URL_SEGMENT = re.compile(r"[A-Za-z0-9._~@+-]+")
USER_NAME_PATTERN = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
MAX_ID = 2**31 - 1


class ToolsStart(StrEnum):
    """WORKSPACE_TOOLS_START: when the tools with programs of their own start."""

    ON_DEMAND = "on-demand"
    AT_START = "at-start"


class LogLevel(StrEnum):
    """WORKSPACE_LOG_LEVEL: how much the workspace itself says in the container's log."""

    INFO = "info"
    DEBUG = "debug"  # also the start's timeline (workbench/facts/start_timeline.py)


DEFAULT_IDLE_TIMEOUT = 3600
# A day: longer than that, "never" (0) says it better.
MAX_IDLE_TIMEOUT = 86400
# The Python language server holds a few hundred MB once used: it is let go of sooner than a tool.
DEFAULT_LANGUAGE_SERVER_IDLE_TIMEOUT = 600
# MAX_NUM_THREADS (ml-workspace's name): the thread pools' size, or this word for the container's CPUs.
THREADS = "MAX_NUM_THREADS"
AUTO_THREADS = "auto"
MAX_THREADS = 1024
DEFAULT_PORT = 8080


# Set by a JupyterHub spawner; their presence means the hub, not a token, decides who gets in.
HUB_MARKER = "JUPYTERHUB_API_TOKEN"
KERNEL_IDLE_TIMEOUT = "WORKSPACE_KERNEL_IDLE_TIMEOUT"
# docker-stacks' name for the port Jupyter listens on: here the one port, so an alias of WORKSPACE_PORT.
PORT_ALIAS = "JUPYTER_PORT"
# Jupyter's own names for its token (the variable, or a file holding it, as Jupyter reads them): here the door's
# token, so aliases of AUTHENTICATE_VIA_JUPYTER=<token>.
TOKEN_ALIAS = "JUPYTER_TOKEN"
TOKEN_FILE_ALIAS = "JUPYTER_TOKEN_FILE"
# What the start consumes and nothing started after it sees: Jupyter Server would read these itself (and stop: it
# listens on a socket behind nginx, not on a port), and kernels, terminals and tools need not see a token.
CONSUMED_VARIABLES = ("AUTHENTICATE_VIA_JUPYTER", PORT_ALIAS, "JUPYTER_PORT_RETRIES", TOKEN_ALIAS, TOKEN_FILE_ALIAS)
# What the spawner decides in hub mode; setting them as well is a mistake worth stopping for.
HUB_OWNED = (
    "AUTHENTICATE_VIA_JUPYTER",
    TOKEN_ALIAS,
    TOKEN_FILE_ALIAS,
    "WORKSPACE_BASE_URL",
    "WORKSPACE_PORT",
    PORT_ALIAS,
    "WORKSPACE_SSL_ENABLED",
    "GEN_CERT",
)
# chown options that CHOWN_HOME_OPTS and CHOWN_EXTRA_OPTS may carry (docker-stacks passes them to chown as they are).
CHOWN_OPTION = re.compile(r"-[RHLPhcfv]+|--(recursive|no-dereference|dereference|changes|silent|quiet|verbose)")
ENV_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Hub:
    """Started by a JupyterHub spawner: jupyterhub-singleuser runs Jupyter and the hub's OAuth guards every tool."""

    user: str  # the hub user who owns this server
    prefix: str  # the hub's own URL prefix, "/" or e.g. "/jupyter/"


@dataclass(frozen=True)
class Settings:
    token: str | None  # None: no token (authentication disabled, or the hub authenticates)
    token_generated: bool
    base_url: str  # starts and ends with "/"
    port: int
    nb_user: str
    nb_uid: int
    nb_gid: int
    grant_sudo: bool
    grant_sudo_explicit: bool
    ssh_authorized_keys: tuple[ssh_keys.PublicKey, ...]
    hub: Hub | None = None
    # Tools with programs of their own start when first opened (on-demand) or with the container (at-start).
    tools_start: ToolsStart = ToolsStart.ON_DEMAND
    # Seconds a started tool runs without requests or open connections before it is stopped; 0: never.
    tools_idle_timeout: int = DEFAULT_IDLE_TIMEOUT
    # docker-stacks' account and start-up settings (see jupyter/docker-stacks' "Common features").
    nb_group: str | None = None  # name of the NB_GID group when it has to be made (default: NB_USER)
    nb_umask: int | None = None  # the umask of everything the workspace runs; None: the image's (022)
    chown_home: bool = False
    chown_home_opts: tuple[str, ...] = ()
    chown_extra: tuple[str, ...] = ()
    chown_extra_opts: tuple[str, ...] = ()
    unset_variables: tuple[str, ...] = ()  # JUPYTER_ENV_VARS_TO_UNSET: removed before anything starts
    # WORKSPACE_ALLOWED_HOSTS: host names answered besides LOCAL_HOSTS; None: any ("*"). Unset, () with
    # authentication off (only this machine's names) and None with it on.
    allowed_hosts: tuple[str, ...] | None = None
    tls: bool = False  # WORKSPACE_SSL_ENABLED: HTTPS on the one port
    # WORKSPACE_SSL_CERT / WORKSPACE_SSL_KEY: the user's certificate (chain) and key; None: a self-signed one
    tls_cert: str | None = None
    tls_key: str | None = None
    # WORKSPACE_CA_CERTS: a PEM file or folder of certificate authorities to trust besides the system's; None: those
    # in paths.EXTRA_CA_DIR if anything is mounted there (workbench/contracts/trust.py)
    ca_certs: str | None = None
    # WORKSPACE_KERNEL_IDLE_TIMEOUT: seconds a kernel may be idle before Jupyter shuts it down; 0: never.
    kernel_idle_timeout: int = 0
    # WORKSPACE_LANGUAGE_SERVER_IDLE_TIMEOUT: seconds the language server may go unused before it stops; 0: never.
    language_server_idle_timeout: int = DEFAULT_LANGUAGE_SERVER_IDLE_TIMEOUT
    collaboration: bool = False  # WORKSPACE_COLLABORATION: real-time collaboration (jupyter-collaboration)
    log_level: LogLevel = LogLevel.INFO  # WORKSPACE_LOG_LEVEL
    # MAX_NUM_THREADS: what the numeric libraries' thread variables are set to (facts/threads.py); None: the
    # container's CPUs.
    max_num_threads: int | None = None
    # The variables the tools read (tools.Setting): variable -> its checked value, or its default.
    tool_settings: dict[str, str] = field(default_factory=dict)

    @property
    def tools_at_start(self) -> bool:
        return self.tools_start == ToolsStart.AT_START

    @property
    def auth_enabled(self) -> bool:
        return self.token is not None or self.hub is not None

    def answered_hosts(self, own_names: tuple[str, ...]) -> tuple[str, ...]:
        """The host names nginx answers to (own_names: the container's); empty: any."""
        if self.allowed_hosts is None or self.hub is not None:
            return ()
        return tuple(dict.fromkeys(LOCAL_HOSTS + own_names + self.allowed_hosts))

    def login_url(self, host: str = "localhost") -> str:
        url = f"{'https' if self.tls else 'http'}://{host}:{self.port}{self.base_url}"
        if self.token_generated:
            url += f"?token={self.token}"
        return url

    def healthz_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_url}healthz"


TOKEN_CHARACTERS = "a token of 16-256 characters from A-Z a-z 0-9 . _ ~ -"


def parse_token(raw: str | None, name: str = "AUTHENTICATE_VIA_JUPYTER") -> tuple[str | None, bool]:
    allowed = f"unset or 'true' (a random token), 'false' (no authentication), or {TOKEN_CHARACTERS}"
    if raw is None or raw.lower() == "true":
        return secrets.token_hex(24), True
    if raw.lower() == "false":
        return None, False
    if raw.lower() in BOOLEAN_WORDS:
        raise ConfigError(name, raw, "ambiguous; use " + allowed)
    if not TOKEN_PATTERN.fullmatch(raw):
        raise ConfigError(name, raw, "must be " + allowed)
    return raw, False


def jupyter_token(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The token given the way Jupyter takes it, and the variable that gave it: JUPYTER_TOKEN, else the content of
    JUPYTER_TOKEN_FILE (Jupyter's order; empty counts as unset, as in Jupyter)."""
    if environ.get(TOKEN_ALIAS):
        return TOKEN_ALIAS, environ[TOKEN_ALIAS]
    path = environ.get(TOKEN_FILE_ALIAS)
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as token_file:
            return TOKEN_FILE_ALIAS, token_file.read().strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not text"
        raise ConfigError(TOKEN_FILE_ALIAS, path, f"must be a readable file holding the token ({reason})") from None


def parse_login(environ: Mapping[str, str]) -> tuple[str | None, bool]:
    """The token (None: authentication off) and whether it was generated, from AUTHENTICATE_VIA_JUPYTER or
    Jupyter's JUPYTER_TOKEN / JUPYTER_TOKEN_FILE; given both ways, they must agree."""
    raw = environ.get("AUTHENTICATE_VIA_JUPYTER")
    given = jupyter_token(environ)
    if given is None:
        return parse_token(raw)
    name, token = given
    shown = environ[name]
    if not TOKEN_PATTERN.fullmatch(token):
        raise ConfigError(
            name, shown, f"must hold {TOKEN_CHARACTERS}" if name == TOKEN_FILE_ALIAS else f"must be {TOKEN_CHARACTERS}"
        )
    if raw is not None and raw.lower() != "true" and raw != token:
        raise ConfigError(name, shown, "differs from AUTHENTICATE_VIA_JUPYTER; set only one of them")
    return token, False


def parse_base_url(raw: str | None) -> str:
    if raw is None or raw == "/":
        return "/"
    allowed = (
        "must be a URL path like /ws or /team/ws: starting with '/', segments of A-Z a-z 0-9 . _ ~ @ + -, "
        "no empty, '.' or '..' segments"
    )
    segments = raw.strip("/").split("/")
    if (
        not raw.startswith("/")
        or "//" in raw
        or len(raw) > 200
        or any(not BASE_URL_SEGMENT.fullmatch(s) or s in (".", "..") for s in segments)
    ):
        raise ConfigError("WORKSPACE_BASE_URL", raw, allowed)
    return "/" + "/".join(segments) + "/"


def account_name(kind: str) -> Callable[[str, str], str]:
    """The check of NB_USER ("user") or NB_GROUP ("group"): a Linux name of that kind, not root's."""

    def check(name: str, raw: str) -> str:
        if not USER_NAME_PATTERN.fullmatch(raw) or raw == "root":
            raise ConfigError(
                name,
                raw,
                f"must be a Linux {kind} name (a-z, 0-9, _ and -, starting with a letter "
                "or _, at most 32 characters) other than root",
            )
        return raw

    return check


parse_user_name = account_name("user")
parse_named_group = account_name("group")


def tools_opened_on_demand(among: tuple[Tool, ...]) -> str:
    titles = [tool.title for tool in among if tool.starts_on_demand]
    return f"{', '.join(titles[:-1])} and {titles[-1]}" if len(titles) > 1 else titles[0]


def parse_tools_start(name: str, raw: str) -> ToolsStart:
    try:
        return ToolsStart(raw)
    except ValueError:
        opened = tools_opened_on_demand(catalogue.all_tools())
        raise ConfigError(
            name, raw, f"must be {ToolsStart.ON_DEMAND} ({opened} start when first opened) or {ToolsStart.AT_START}"
        ) from None


def parse_log_level(name: str, raw: str) -> LogLevel:
    try:
        return LogLevel(raw.lower())
    except ValueError:
        raise ConfigError(
            name, raw, f"must be {LogLevel.INFO} or {LogLevel.DEBUG} (the start's timeline as well)"
        ) from None


def parse_idle_timeout(name: str, raw: str) -> int:
    return parse_int(name, raw, 0, MAX_IDLE_TIMEOUT, " seconds (0: never stop an unused tool)")


def parse_language_server_idle_timeout(name: str, raw: str) -> int:
    return parse_int(name, raw, 0, MAX_IDLE_TIMEOUT, " seconds (0: never stop the language server)")


def parse_thread_count(name: str, raw: str) -> int | None:
    if raw == AUTO_THREADS:
        return None
    return parse_int(name, raw, 1, MAX_THREADS, f", or {AUTO_THREADS} (the CPUs the container may use)")


def parse_kernel_idle_timeout(environ: Mapping[str, str]) -> int:
    """Unset: never standalone, where a kernel's state is one person's work; an hour under a hub, where idle
    kernels of many users hold the machine's memory."""
    raw = environ.get(KERNEL_IDLE_TIMEOUT)
    if raw is None:
        return DEFAULT_IDLE_TIMEOUT if in_hub(environ) else 0
    return parse_int(KERNEL_IDLE_TIMEOUT, raw, 0, MAX_IDLE_TIMEOUT, " seconds (0: never shut an idle kernel down)")


def parse_uid(name: str, raw: str) -> int:
    return parse_int(name, raw, 1, MAX_ID, " (0 would be root)")


def parse_gid(name: str, raw: str) -> int:
    return parse_int(name, raw, 1, MAX_ID, " (0 would be root's group)")


def parse_authorized_keys(name: str, raw: str) -> tuple[ssh_keys.PublicKey, ...]:
    try:
        return tuple(ssh_keys.parse_key_list(raw))
    except ssh_keys.KeyProblem as problem:
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        raise ConfigError(name, shown, f"{problem} (one key per line, as in authorized_keys)") from None


def inside_ports() -> set[int]:
    """The loopback ports the workspace itself uses behind its one door."""
    return catalogue.loopback_ports() | set(paths.DOOR_PORTS)


def parse_allowed_hosts(name: str, raw: str) -> tuple[str, ...] | None:
    """WORKSPACE_ALLOWED_HOSTS: comma-separated host names; "*" (None) answers to any."""
    if raw.strip() == "*":
        return None
    hosts = tuple(host.strip().lower() for host in raw.split(",") if host.strip())
    for host in hosts:
        if not ALLOWED_HOST_PATTERN.fullmatch(host) or len(host) > 253:
            raise ConfigError(
                name,
                raw,
                f"{host!r} is not a host name; must be names like "
                "ws.example.com, .example.com (and its subdomains), 10.0.0.5 or [::1], comma-separated, "
                "or * for any",
            )
    return hosts


def parse_tls(environ: Mapping[str, str]) -> tuple[bool, str | None, str | None]:
    """WORKSPACE_SSL_ENABLED, and the certificate and key files it serves (both or neither)."""
    # GEN_CERT=yes is docker-stacks' way to ask for HTTPS with a self-signed certificate.
    enabled = parse_bool("WORKSPACE_SSL_ENABLED", environ.get("WORKSPACE_SSL_ENABLED", "false")) or parse_bool(
        "GEN_CERT", environ.get("GEN_CERT", "no")
    )
    cert, key = environ.get("WORKSPACE_SSL_CERT"), environ.get("WORKSPACE_SSL_KEY")
    for name, value, other in (("WORKSPACE_SSL_CERT", cert, key), ("WORKSPACE_SSL_KEY", key, cert)):
        if value is None:
            continue
        if not enabled:
            raise ConfigError(name, value, "must be used with WORKSPACE_SSL_ENABLED=true")
        if other is None:
            raise ConfigError(
                name,
                value,
                "must come with " + ("WORKSPACE_SSL_KEY" if name == "WORKSPACE_SSL_CERT" else "WORKSPACE_SSL_CERT"),
            )
        if not value.startswith("/") or not value.isprintable() or value.endswith("/"):
            raise ConfigError(
                name,
                value,
                "must be the absolute path of a PEM file in the container, e.g. "
                "/certs/" + ("fullchain.pem" if name == "WORKSPACE_SSL_CERT" else "key.pem"),
            )
    return enabled, cert, key


def parse_ca_certs(name: str, raw: str) -> str | None:
    if raw == "":
        return None
    if not raw.startswith("/") or not raw.isprintable():
        raise ConfigError(name, raw, "must be the absolute path of a PEM file or folder in the container, e.g. /certs")
    return raw


def parse_port(raw: str, name: str = "WORKSPACE_PORT") -> int:
    port = parse_int(name, raw, 1, 65535)
    if port in inside_ports():
        raise ConfigError(name, raw, f"{port} is used inside the workspace; choose another port")
    return port


def parse_public_port(environ: Mapping[str, str]) -> int:
    """WORKSPACE_PORT, or JUPYTER_PORT as docker-stacks users set it; both set, they must agree."""
    if PORT_ALIAS in environ:
        if "WORKSPACE_PORT" in environ and environ["WORKSPACE_PORT"] != environ[PORT_ALIAS]:
            raise ConfigError(
                PORT_ALIAS,
                environ[PORT_ALIAS],
                f"differs from WORKSPACE_PORT={environ['WORKSPACE_PORT']!r}; set only one of them",
            )
        return parse_port(environ[PORT_ALIAS], PORT_ALIAS)
    return parse_port(environ.get("WORKSPACE_PORT", str(DEFAULT_PORT)))


def parse_group_name(name: str, raw: str) -> str | None:
    return parse_named_group(name, raw) if raw else None


def parse_umask(name: str, raw: str) -> int | None:
    if raw == "":
        return None
    if not re.fullmatch(r"0?[0-7]{3}", raw):
        raise ConfigError(name, raw, "must be an octal umask like 022 or 002")
    return int(raw, 8)


def parse_chown_options(name: str, raw: str) -> tuple[str, ...]:
    options = tuple(raw.split())
    if not all(CHOWN_OPTION.fullmatch(option) for option in options):
        raise ConfigError(
            name, raw, "must be chown options such as -R (also -h, -v, -c, -f, --recursive, --no-dereference)"
        )
    return options


def parse_paths(name: str, raw: str) -> tuple[str, ...]:
    paths = tuple(path.strip() for path in raw.split(",") if path.strip())
    try:
        for path in paths:
            parse_directory(name, path)
    except ConfigError:
        raise ConfigError(
            name, raw, "must be absolute paths inside the container separated by commas, e.g. /data,/opt/models"
        ) from None
    return paths


def parse_variable_names(name: str, raw: str) -> tuple[str, ...]:
    names = tuple(item.strip() for item in raw.split(",") if item.strip())
    if not all(ENV_NAME_PATTERN.fullmatch(item) for item in names):
        raise ConfigError(name, raw, "must be environment variable names separated by commas")
    return names


def parse_notebook_args(raw: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(raw))
    except ValueError as error:
        raise ConfigError("NOTEBOOK_ARGS", raw, f"must be arguments quoted as in a shell ({error})") from None


def in_hub(environ: Mapping[str, str]) -> bool:
    return bool(environ.get(HUB_MARKER))


def parse_hub(environ: Mapping[str, str]) -> tuple[Hub, str, int]:
    """The hub's user, the URL prefix this server is served under, and the port the spawner expects."""
    for name in HUB_OWNED:
        if name in environ:
            raise ConfigError(
                name,
                environ[name],
                "is not used when JupyterHub starts the workspace (the hub sets "
                "the login, the URL prefix, the port and TLS); remove it",
            )
    for name in ("JUPYTERHUB_USER", "JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_API_URL"):
        if not environ.get(name):
            raise ConfigError(name, "", f"must be set when {HUB_MARKER} is (JupyterHub 2 or later sets both)")
    service_url = urlsplit(environ["JUPYTERHUB_SERVICE_URL"])
    try:
        port = service_url.port or {"http": 80, "https": 443}[service_url.scheme]
    except (ValueError, KeyError):
        raise ConfigError(
            "JUPYTERHUB_SERVICE_URL",
            environ["JUPYTERHUB_SERVICE_URL"],
            "must be an http(s) URL with the port the hub connects to",
        ) from None
    if port in inside_ports():
        raise ConfigError(
            "JUPYTERHUB_SERVICE_URL",
            environ["JUPYTERHUB_SERVICE_URL"],
            f"port {port} is used inside the workspace; set the spawner's port to another (8888)",
        )
    try:
        prefix = parse_base_url(environ["JUPYTERHUB_SERVICE_PREFIX"])
        hub_prefix = parse_base_url(environ.get("JUPYTERHUB_BASE_URL", "/"))
    except ConfigError as error:
        raise ConfigError(
            "JUPYTERHUB_SERVICE_PREFIX",
            environ["JUPYTERHUB_SERVICE_PREFIX"],
            f"this user's URL prefix cannot be served ({error}); hub user names with characters "
            "outside A-Z a-z 0-9 . _ ~ @ + - are not supported",
        ) from None
    return Hub(user=environ["JUPYTERHUB_USER"], prefix=hub_prefix), prefix, port


@dataclass(frozen=True)
class Variable:
    """A variable the workspace reads, declared once: its default as a user would write it (None: unset), what it
    means (docs/variables.md's table, which build.py docs writes from here; links are relative to that page) and its
    check, (name, raw) -> the value or a ConfigError. Those read together with another have no check here: load
    reads them (the token's three names, the base URL the hub decides otherwise, the port's two names, HTTPS's four,
    the allowed hosts whose default follows the login, the kernels' idle time whose default follows the hub), and so
    does start_command (NOTEBOOK_ARGS, needed before the settings are)."""

    name: str
    default: str | None
    help: str
    check: Callable[[str, str], Any] | None = None

    def read(self, environ: Mapping[str, str]) -> Any:
        assert self.check is not None and self.default is not None, self.name
        return self.check(self.name, environ.get(self.name, self.default))


# Read by itself too, by a job, which reads no other workspace setting (thread_count).
THREAD_COUNT = Variable(
    THREADS,
    AUTO_THREADS,
    "the size of the numeric libraries' thread pools (OpenMP, OpenBLAS, MKL, numexpr, numba, torch, TensorFlow): "
    f"`{AUTO_THREADS}`, the CPUs the container may use (`--cpus`, `--cpuset-cpus`) when fewer than the machine's, "
    "or a number. A library's own variable, such as `OMP_NUM_THREADS`, wins (see [Threads](using.md#threads))",
    parse_thread_count,
)
thread_count = THREAD_COUNT.read

VARIABLES = (
    Variable("AUTHENTICATE_VIA_JUPYTER", None, "see [Logging in](../README.md#logging-in)"),
    Variable("WORKSPACE_SSL_ENABLED", "false", "`true`: HTTPS on the same port (see [HTTPS](security.md#https))"),
    Variable(
        "GEN_CERT",
        None,
        "docker-stacks' way to ask for HTTPS with a self-signed certificate: `yes` is `WORKSPACE_SSL_ENABLED=true`",
    ),
    Variable(
        "WORKSPACE_SSL_CERT",
        None,
        "with `WORKSPACE_SSL_ENABLED`: your certificate (PEM, the full chain), as a path in the container, with "
        "`WORKSPACE_SSL_KEY`; unset: a self-signed one kept in `/workspace/.workbench/tls`",
    ),
    Variable(
        "WORKSPACE_SSL_KEY", None, "the key of `WORKSPACE_SSL_CERT` (PEM, no passphrase), as a path in the container"
    ),
    Variable(
        "WORKSPACE_CA_CERTS",
        "",
        "certificate authorities to trust besides the public ones: a PEM file or a folder of `.pem`/`.crt`/`.cer` "
        f"files, as a path in the container; empty: whatever is mounted in `{paths.EXTRA_CA_DIR}/` (see "
        "[Behind a company's proxy](building.md#behind-a-companys-proxy))",
        parse_ca_certs,
    ),
    Variable(
        "WORKSPACE_ALLOWED_HOSTS",
        None,
        "more host names the workspace answers to, comma-separated (`ws.example.com`, `.example.com` for it and its "
        "subdomains, `10.0.0.5`, `[fe80::1]`), or `*` for any; a request for another name gets `403`. Unset: any name "
        "with authentication on; with `AUTHENTICATE_VIA_JUPYTER=false` only "
        + ", ".join(f"`{host}`" for host in LOCAL_HOSTS)
        + " and the container's host name",
    ),
    Variable(
        "WORKSPACE_BASE_URL",
        "/",
        "path prefix of every URL, e.g. `/team/ws` (segments of `A-Z a-z 0-9 . _ ~ @ + -`)",
    ),
    Variable(
        "WORKSPACE_PORT",
        str(DEFAULT_PORT),
        "the one port inside the container, HTTP and SSH (publish it: `-p 8080:$WORKSPACE_PORT`); not one of the "
        "[loopback ports used inside](tools.md#ports-used-inside)",
    ),
    Variable(
        PORT_ALIAS,
        None,
        "docker-stacks' name for the same port: the same as `WORKSPACE_PORT` (setting both to different values is an "
        "error); Jupyter Server itself never sees it",
    ),
    Variable(
        TOKEN_ALIAS,
        None,
        "Jupyter's name for the token: the same as `AUTHENTICATE_VIA_JUPYTER=<token>`; removed before anything starts, "
        "like the token itself",
    ),
    Variable(TOKEN_FILE_ALIAS, None, f"a file holding the token, as Jupyter reads it: the same as `{TOKEN_ALIAS}`"),
    Variable(
        "NB_USER",
        IMAGE_USER,
        "name of the workspace user (the account is renamed at start, home `/home/$NB_USER`)",
        parse_user_name,
    ),
    Variable(
        "NB_UID",
        str(paths.IMAGE_UID),
        "uid of the workspace user: the owner of files in `/workspace` (not 0)",
        parse_uid,
    ),
    Variable("NB_GID", str(paths.IMAGE_GID), "primary gid of the workspace user (not 0)", parse_gid),
    Variable("GRANT_SUDO", "yes", "`yes`: passwordless `sudo` for the user; `no`: none", parse_bool),
    Variable(
        "SSH_AUTHORIZED_KEYS",
        "",
        "public keys allowed to log in over SSH, one per line as in `authorized_keys` (e.g. "
        '`-e SSH_AUTHORIZED_KEYS="$(cat ~/.ssh/id_ed25519.pub)"`); read at every start',
        parse_authorized_keys,
    ),
    Variable(
        "WORKSPACE_TOOLS_START",
        ToolsStart.ON_DEMAND,
        f"`{ToolsStart.ON_DEMAND}`: {tools_opened_on_demand(BUILT_IN)} start when first opened (see "
        f"[Tools start when opened](tools.md#tools-start-when-opened)); `{ToolsStart.AT_START}`: they start with "
        "the container",
        parse_tools_start,
    ),
    Variable(
        "WORKSPACE_TOOLS_IDLE_TIMEOUT",
        str(DEFAULT_IDLE_TIMEOUT),
        "seconds a started tool may go unused before it is stopped (opening it starts it again); `0`: never stop "
        f"one; at most `{MAX_IDLE_TIMEOUT}`",
        parse_idle_timeout,
    ),
    Variable(
        KERNEL_IDLE_TIMEOUT,
        None,
        "seconds a kernel may run nothing before it is shut down, its tab open or not (a kernel busy running code "
        f"is never); `0`: never. Unset: never, and `{DEFAULT_IDLE_TIMEOUT}` under JupyterHub; at most "
        f"`{MAX_IDLE_TIMEOUT}`",
    ),
    Variable(
        "WORKSPACE_LANGUAGE_SERVER_IDLE_TIMEOUT",
        str(DEFAULT_LANGUAGE_SERVER_IDLE_TIMEOUT),
        "seconds the Python language server (completion, hover and diagnostics in JupyterLab) may go unused before "
        "it is stopped to free its memory; the next use starts it again with the open documents, and an open tab "
        f"does not notice (see [Idle kernels](using.md#idle-kernels)); `0`: never; at most `{MAX_IDLE_TIMEOUT}`",
        parse_language_server_idle_timeout,
    ),
    Variable(
        "WORKSPACE_COLLABORATION",
        "false",
        "`true`: real-time collaboration in JupyterLab and Notebook (jupyter-collaboration): everyone who has the "
        "workspace open edits the same notebook at once and sees the others' cursors (see "
        "[Editing together](using.md#editing-together))",
        parse_bool,
    ),
    THREAD_COUNT,
    Variable(
        "WORKSPACE_LOG_LEVEL",
        LogLevel.INFO,
        f"`{LogLevel.DEBUG}`: the log also shows the start step by step, each step's time in seconds since the "
        "container started, once the workspace answers (see [The start, step by step](using.md#the-start-step-by-"
        "step))",
        parse_log_level,
    ),
    Variable(
        "NB_GROUP",
        "",
        "name of the `NB_GID` group when the image has none with that id (docker-stacks); empty: named as `NB_USER`",
        parse_group_name,
    ),
    Variable(
        "NB_UMASK",
        "",
        "the umask of everything the workspace runs, e.g. `002` for files your group may write; empty: `022`",
        parse_umask,
    ),
    Variable(
        "CHOWN_HOME",
        "no",
        "`yes`: give the home folder to `NB_UID:NB_GID` at start (with `CHOWN_HOME_OPTS=-R`, everything in it, "
        "mounted folders included)",
        parse_bool,
    ),
    Variable(
        "CHOWN_HOME_OPTS",
        "",
        "options for that `chown`: `-R`, `-h`, `-v`, `-c`, `-f` and their long forms",
        parse_chown_options,
    ),
    Variable(
        "CHOWN_EXTRA",
        "",
        "more paths to give to `NB_UID:NB_GID` at start, comma-separated (e.g. `/data,/opt/models`)",
        parse_paths,
    ),
    Variable("CHOWN_EXTRA_OPTS", "", "options for that `chown`, as `CHOWN_HOME_OPTS`", parse_chown_options),
    Variable(
        "JUPYTER_ENV_VARS_TO_UNSET",
        "",
        "variables to remove before anything starts, comma-separated, so that kernels, terminals and tools never see "
        "them (e.g. secrets a platform sets)",
        parse_variable_names,
    ),
    Variable(
        "NOTEBOOK_ARGS",
        "",
        "more arguments for Jupyter Server, e.g. `--ServerApp.log_level=DEBUG` (see "
        "[Coming from docker-stacks](docker-stacks.md#coming-from-docker-stacks))",
    ),
)


def load(environ: Mapping[str, str]) -> Settings:
    """Validate the whole environment; the first bad variable raises ConfigError."""
    if in_hub(environ):
        hub, base_url, port = parse_hub(environ)
        token, generated = None, False
        tls, tls_cert, tls_key = False, None, None
    else:
        hub = None
        token, generated = parse_login(environ)
        base_url = parse_base_url(environ.get("WORKSPACE_BASE_URL"))
        port = parse_public_port(environ)
        tls, tls_cert, tls_key = parse_tls(environ)
    value = {variable.name: variable.read(environ) for variable in VARIABLES if variable.check}
    return Settings(
        token=token,
        token_generated=generated,
        base_url=base_url,
        port=port,
        hub=hub,
        nb_user=value["NB_USER"],
        nb_uid=value["NB_UID"],
        nb_gid=value["NB_GID"],
        grant_sudo=value["GRANT_SUDO"],
        grant_sudo_explicit="GRANT_SUDO" in environ,
        ssh_authorized_keys=value["SSH_AUTHORIZED_KEYS"],
        tools_start=value["WORKSPACE_TOOLS_START"],
        tools_idle_timeout=value["WORKSPACE_TOOLS_IDLE_TIMEOUT"],
        nb_group=value["NB_GROUP"],
        nb_umask=value["NB_UMASK"],
        chown_home=value["CHOWN_HOME"],
        chown_home_opts=value["CHOWN_HOME_OPTS"],
        chown_extra=value["CHOWN_EXTRA"],
        chown_extra_opts=value["CHOWN_EXTRA_OPTS"],
        unset_variables=value["JUPYTER_ENV_VARS_TO_UNSET"],
        allowed_hosts=(
            parse_allowed_hosts("WORKSPACE_ALLOWED_HOSTS", environ["WORKSPACE_ALLOWED_HOSTS"])
            if "WORKSPACE_ALLOWED_HOSTS" in environ
            else None
            if token is not None or hub is not None
            else ()
        ),
        tls=tls,
        tls_cert=tls_cert,
        tls_key=tls_key,
        ca_certs=value["WORKSPACE_CA_CERTS"],
        kernel_idle_timeout=parse_kernel_idle_timeout(environ),
        language_server_idle_timeout=value["WORKSPACE_LANGUAGE_SERVER_IDLE_TIMEOUT"],
        collaboration=value["WORKSPACE_COLLABORATION"],
        log_level=value["WORKSPACE_LOG_LEVEL"],
        max_num_threads=value[THREADS],
        tool_settings={
            setting.variable: setting.parse(setting.variable, environ.get(setting.variable, setting.default))
            for setting in catalogue.all_settings()
        },
    )
