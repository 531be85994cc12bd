"""The tools a user opens from the landing page. Each is declared once here; the landing page's tiles and
their live state follow from these declarations."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    path: str  # relative to the base URL
    service: str  # the supervisord program that serves it
    icon: str


TOOLS = (
    Tool("lab", "JupyterLab", "Notebooks, consoles, files and extensions", "lab", "jupyter", "lab"),
    Tool("notebook", "Notebook", "The classic single-document notebook (Notebook 7)", "tree", "jupyter", "notebook"),
    Tool("terminal", "Terminal", "A full-page shell in /workspace", "terminals/1", "jupyter", "terminal"),
)


def with_state(services: list[dict]) -> list[dict]:
    """Each tool as a dict, with the state of the service behind it ("UNKNOWN" if supervisord has no such one)."""
    states = {service["name"]: service["state"] for service in services}
    return [{**asdict(tool), "state": states.get(tool.service, "UNKNOWN")} for tool in TOOLS]
