"""`python -m workbench.start.without_modules MODULE[,MODULE...] SCRIPT [ARGUMENT...]` runs the environment's console
script SCRIPT as its file in bin/ would, except that the MODULEs are missing to it: importing one fails as if it were
not installed. For a tool that imports a heavy module at start only for a case the workspace never has (a Program in
facts/tools.py says which and why); a warning the tool gives about the module's absence is not shown."""

from __future__ import annotations

import re
import sys
import warnings
from importlib.metadata import entry_points


def main() -> int:
    modules, script, *arguments = sys.argv[1:]
    for module in modules.split(","):
        sys.modules[module] = None  # what `import` takes for "not installed"
        warnings.filterwarnings("ignore", message=rf".*\b{re.escape(module)}\b")
    (entry_point,) = entry_points(group="console_scripts", name=script)
    sys.argv = [script, *arguments]
    return entry_point.load()()


if __name__ == "__main__":
    sys.exit(main())
