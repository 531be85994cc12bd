"""`package`: a SageMaker job image of a folder of code, on a workspace image (deploy/sagemaker/Dockerfile)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

from .engine import ensure_engine, image_exists
from .images import context_with_ca, image_tags
from .options import BuildOptions
from .project import ROOT
from .shell import BuildError, run, say

JOB_IMAGE_DOCKERFILE = ROOT / "deploy" / "sagemaker" / "Dockerfile"

# Never part of a job's code: version control, editors' and Jupyter's leftovers, the workspace's own state.
NOT_CODE = shutil.ignore_patterns(".git", "__pycache__", ".ipynb_checkpoints", ".workbench", ".venv", "*.pyc")


def default_program(code: Path) -> str:
    """The script `train` runs and `serve` loads: train.py, else the folder's only Python file, else none."""
    scripts = sorted(path.name for path in code.glob("*.py"))
    if "train.py" in scripts:
        return "train.py"
    return scripts[0] if len(scripts) == 1 else ""


def package_tag(code: Path) -> str:
    return (re.sub(r"[^a-z0-9._-]+", "-", code.resolve().name.lower()).strip(".-_") or "job") + ":latest"


def package(options: BuildOptions, directory: str, program: str | None = None, tag: str | None = None) -> str:
    """A thin image on workbench:<flavor> with the folder's code in /opt/ml/code (deploy/sagemaker/Dockerfile)."""
    code = Path(directory)
    if not code.is_dir():
        raise BuildError(f"{directory} is not a folder")
    program = default_program(code) if program is None else program
    if program and not (code / program).is_file():
        raise BuildError(f"--program: {program} is not a file in {code}")
    base = image_tags(BuildOptions(flavor=options.flavor))[0]
    tag = tag or package_tag(code)
    cmd = [
        "docker",
        "build",
        "--force-rm",
        "--build-arg",
        f"WORKBENCH_IMAGE={base}",
        "--build-arg",
        f"SAGEMAKER_PROGRAM={program}",
        "--label",
        f"org.opencontainers.image.base.name={base}",
        "--tag",
        tag,
    ]
    if options.dry_run:
        print(f"$ DOCKER_BUILDKIT=0 {shlex.join(cmd + ['CONTEXT'])}")
        return tag
    ensure_engine()
    if not image_exists(base):
        raise BuildError(f"{base} is missing: build it first with python3 build.py build --flavor {options.flavor}")
    with context_with_ca(options.ca_cert) as context:
        shutil.copytree(code, context / "code", ignore=NOT_CODE, symlinks=False)
        shutil.copyfile(JOB_IMAGE_DOCKERFILE, context / "Dockerfile")
        run(cmd + [str(context)], env={"DOCKER_BUILDKIT": "0"}, progress=True)
    say(f"built {tag} from {code} (SAGEMAKER_PROGRAM={program or 'unset'}): try it with docker run ... {tag} train")
    return tag
