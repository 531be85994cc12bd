"""`docker run IMAGE run PATH ...`: a notebook or a script of /workspace run once as a job, as the workspace user.

A notebook runs top to bottom with papermill (parameters go into the cell tagged "parameters", as papermill does it)
and the executed copy, outputs and all, is written next to it (NAME.output.ipynb) or where --output says; a cell that
fails fails the job with that cell's error, and the copy shows where. A script runs with the arguments that follow it.
Runs in the image's Python environment (/opt/venv).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

USAGE = """\
usage: run NOTEBOOK.ipynb [-p NAME VALUE]... [-o OUTPUT.ipynb]
       run SCRIPT [ARGUMENTS...]
A notebook's executed copy is written next to it as NAME.output.ipynb unless -o names another file."""


class UsageError(Exception):
    pass


def parameter_value(text: str):
    """As papermill's -p: numbers, true/false and null become values; anything else stays a string."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {"True": True, "False": False, "None": None}.get(text, text)
    return value if isinstance(value, (int, float, bool)) or value is None else text


def parse_notebook_options(args: list[str], notebook: Path) -> tuple[dict, Path]:
    parameters, output = {}, notebook.with_name(notebook.stem + ".output.ipynb")
    rest = list(args)
    while rest:
        option = rest.pop(0)
        if option in ("-p", "--parameter") and len(rest) >= 2:
            name, value = rest.pop(0), rest.pop(0)
            if not name.isidentifier():
                raise UsageError(f"{name!r} is not a Python name, so it cannot be a notebook parameter")
            parameters[name] = parameter_value(value)
        elif option in ("-o", "--output") and rest:
            output = Path(rest.pop(0))
        else:
            raise UsageError(f"unexpected {option!r} after the notebook")
    if output.resolve() == notebook.resolve():
        raise UsageError("the output would overwrite the notebook itself: choose another -o")
    return parameters, output


def run_notebook(notebook: Path, args: list[str]) -> int:
    import nbformat
    import papermill

    parameters, output = parse_notebook_options(args, notebook)
    kernel = None if nbformat.read(notebook, as_version=4).metadata.get("kernelspec") else "python3"
    print(f"run: executing {notebook} -> {output}" + (f" with {parameters}" if parameters else ""), flush=True)
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            kernel_name=kernel,
            progress_bar=False,
            log_output=True,
            cwd=str(notebook.parent),
        )
    except papermill.PapermillExecutionError as error:
        print(
            f"run: error: cell {error.exec_count} of {notebook} failed: {error.ename}: {error.evalue} (the executed "
            f"copy, with the error, is {output})",
            file=sys.stderr,
            flush=True,
        )
        return 1
    print(f"run: {notebook} ran to the end; the executed copy is {output}", flush=True)
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not argv else sys.stdout)
        return 0 if argv else 2
    path, args = Path(argv[0]), argv[1:]
    try:
        if not path.is_file():
            raise UsageError(f"{path} is not a file (relative paths start in {Path.cwd()})")
        if path.suffix == ".ipynb":
            return run_notebook(path, args)
    except UsageError as error:
        print(f"run: error: {error}\n{USAGE}", file=sys.stderr)
        return 2
    program = [sys.executable, str(path)] if path.suffix == ".py" else [str(path.resolve())]
    try:
        os.execv(program[0], program + args)
    except OSError as error:
        print(
            f"run: error: cannot run {path}: {error.strerror} (a script other than .py needs a #! line and chmod +x)",
            file=sys.stderr,
        )
        return 126
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
