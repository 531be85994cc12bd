"""Tools an image built on this one declares: a JSON file each in paths.TOOL_DECLARATIONS_DIR, in the spirit of
jupyter-server-proxy's servers, each read into a tools.Tool or refused with one line that names the file.

The keys are checked by hand (DECLARATION_KEYS) rather than by a JSON Schema through jsonschema: importing jsonschema
took 2.0 s on the busy build machine (one openssl run, for comparison, 19 ms), and the start of every image that
declares a tool would pay it before anything answers."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

from . import paths
from .programs import COMMON_PLACEHOLDERS, CORE_PROGRAMS, TOOL_PLACEHOLDERS, Program
from .tools import (
    BUILT_IN,
    DECLARED_ICONS_URL,
    GENERIC_ICON,
    ICON_FILE_PATTERN,
    ICONS_URL,
    NAME_PATTERN,
    ROUTES_UNDER_TOOLS,
    Tool,
)


class DeclarationError(Exception):
    """A declared tool that cannot be served as it is: one line that names the file and what is wrong."""


# A declaration's keys: its type, and whether it may be left out.
DECLARATION_KEYS = {
    "name": (str, False),
    "title": (str, True),
    "description": (str, True),
    "command": (str, False),
    "port": (int, False),
    "strip_path": (bool, True),
    "health": (str, True),
    "icon": (str, True),
}


def declared_tool(file: Path, taken: tuple[Tool, ...]) -> Tool:
    """The tool a JSON file declares, as jupyter-server-proxy's servers are: its name, the command that serves it on
    a loopback port ({port}, {path_prefix} and the common placeholders of programs.Program), whether the port's app
    wants its path prefix stripped, a health URL relative to the tool's own, a title, a description and an SVG icon
    beside the file. Every fault raises a DeclarationError."""

    def fault(what: str) -> DeclarationError:
        return DeclarationError(f"{file}: {what}")

    try:
        declaration = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise fault(f"cannot be read as JSON ({error})") from None
    if not isinstance(declaration, dict):
        raise fault("must be a JSON object")
    for key, value in declaration.items():
        if key not in DECLARATION_KEYS:
            raise fault(f"unknown key {key!r} (known: {', '.join(DECLARATION_KEYS)})")
        kind = DECLARATION_KEYS[key][0]
        if type(value) is not kind:
            raise fault(f"{key} must be a JSON {'string' if kind is str else kind.__name__}")
    missing = [key for key, (_, optional) in DECLARATION_KEYS.items() if not optional and key not in declaration]
    if missing:
        raise fault(f"{', '.join(missing)} missing")
    name, port = declaration["name"], declaration["port"]
    if not re.fullmatch(NAME_PATTERN, name):
        raise fault(f"name {name!r} must be lower-case letters, digits and '-', starting with a letter")
    if name in ROUTES_UNDER_TOOLS:
        raise fault(f"name {name!r} is taken by the door's tools/{name}/ route")
    program_names = {program.name for program in CORE_PROGRAMS} | {p for tool in taken for p in tool.program_names}
    if name in {tool.name for tool in taken} | program_names:
        raise fault(f"name {name!r} is taken by another tool or program")
    used_ports = {p for tool in taken for p in tool.ports} | set(paths.DOOR_PORTS)
    if not 1024 <= port <= 65535 or port in used_ports:
        raise fault(f"port {port} must be from 1024 to 65535 and not one the workspace uses ({sorted(used_ports)})")
    command = declaration["command"].strip()
    try:
        placeholders = {field for _, field, _, _ in string.Formatter().parse(command) if field is not None}
    except ValueError as error:
        raise fault(f"command: {error} (write a brace as {{{{ or }}}})") from None
    unknown = placeholders - set(COMMON_PLACEHOLDERS + TOOL_PLACEHOLDERS)
    if not command or unknown:
        known = ", ".join("{" + known + "}" for known in COMMON_PLACEHOLDERS + TOOL_PLACEHOLDERS)
        raise fault(f"command must be a command line whose placeholders are among {known}")
    health = declaration.get("health", "")
    if health.startswith("/") or not health.isprintable() or " " in health:
        raise fault("health must be a URL relative to the tool's own, like healthz or api/status")
    icon, icons_url = GENERIC_ICON, ICONS_URL
    if "icon" in declaration:
        icon, icons_url = declaration["icon"], DECLARED_ICONS_URL
        if not re.fullmatch(ICON_FILE_PATTERN, icon) or not (file.parent / icon).is_file():
            raise fault(f"icon {icon!r} must be an .svg file beside it, its name in lower case")
    return Tool(
        name,
        declaration.get("title", name),
        declaration.get("description", ""),
        icon,
        f"tools/{name}/",
        programs=(Program(name, command, purpose=f"{declaration.get('title', name)}, declared in {file}"),),
        port=port,
        strip_path=declaration.get("strip_path", False),
        health=health,
        icons_url=icons_url,
    )


def load_declared(directory: Path, built_in: tuple[Tool, ...] = BUILT_IN) -> tuple[Tool, ...]:
    """The tools declared in the folder's *.json files, in the order of their file names."""
    declared: tuple[Tool, ...] = ()
    for file in sorted(directory.glob("*.json")):
        declared += (declared_tool(file, built_in + declared),)
    return declared
