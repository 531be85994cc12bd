"""What every rendering of a template shares: the templates' Jinja environment, a file written private from its first
byte, a program's own check of what was rendered for it, and whether this container has IPv6."""

from __future__ import annotations

import functools
import os
import re
import shlex
import socket
import subprocess
from pathlib import Path

import jinja2

from ..facts import paths


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(paths.TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["pyrepr"] = repr
    env.filters["regex"] = re.escape
    env.filters["sh"] = lambda value: shlex.quote(str(value))
    return env


def render_template(template: str, /, **values) -> str:
    """Positional-only, so that a template may take a value called `template` (or `name`) of its own."""
    return environment().get_template(template).render(**values)


@functools.cache
def ipv6_available() -> bool:
    """Whether the kernel gives this container IPv6 sockets (Docker hosts may boot with ipv6.disable=1); asked once,
    as every template rendered at start gets the same context."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::", 0))
    except OSError:
        return False
    return True


class RenderError(Exception):
    """The rendered configuration is broken: a bug in the image, not in the user's settings."""


def check_config(command: list[str], program: str) -> None:
    """The program's own check of its rendered configuration."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RenderError(
            f"the rendered {program} configuration is invalid (please report this): "
            f"{' '.join((result.stderr or result.stdout).split())}"
        )


def write_private(path: Path, text: str) -> None:
    """A file only its owner may read, from its first byte on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
