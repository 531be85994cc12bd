"""Every tool of this workspace: the image's own (tools.BUILT_IN) and those an image built on it declares
(declarations.py), read once, when first asked for, and what is asked of them all: by name, with programs of their
own, their ports and variables, and each one's state as the landing page shows it."""

from __future__ import annotations

import functools

from . import paths
from .declarations import DeclarationError, load_declared
from .tools import BUILT_IN, Setting, Tool, states_by_program, tool_state


@functools.cache
def declared() -> tuple[tuple[Tool, ...], str]:
    """The declared tools, and the fault that stopped reading them ("" for none): the start reports a fault
    (check_declarations) and refuses to start; everything else goes on with the image's own tools."""
    try:
        return load_declared(paths.TOOL_DECLARATIONS_DIR), ""
    except DeclarationError as error:
        return (), str(error)


def all_tools() -> tuple[Tool, ...]:
    return BUILT_IN + declared()[0]


def check_declarations() -> None:
    fault = declared()[1]
    if fault:
        raise DeclarationError(fault)


def loopback_ports() -> set[int]:
    """The ports the tools listen on inside the workspace."""
    return {port for tool in all_tools() for port in tool.ports}


def by_name(name: str) -> Tool | None:
    return next((tool for tool in all_tools() if tool.name == name), None)


def with_programs() -> list[Tool]:
    """The tools that run programs of their own (and so start on demand)."""
    return [tool for tool in all_tools() if tool.programs]


def all_settings() -> tuple[Setting, ...]:
    return tuple(setting for tool in all_tools() for setting in tool.settings)


def with_state(services: list[dict], healthy: dict[str, bool] | None = None) -> list[dict]:
    """Each tool as the landing page shows it, with the state of the programs behind it: the worst of them,
    STARTING while they run but the tool does not answer its health probe yet, IDLE while it waits to be opened."""
    states = states_by_program(services)
    healthy = healthy or {}
    return [
        {
            "name": tool.name,
            "title": tool.title,
            "description": tool.description,
            "icon": tool.icon_url,
            "path": tool.path,
            "services": list(tool.program_names),
            "on_demand": tool.starts_on_demand,
            "state": tool_state(tool, states, healthy.get(tool.name, True)),
        }
        for tool in all_tools()
    ]
