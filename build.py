#!/usr/bin/env python3
"""Build, run and test the Workbench image.

Commands:
  base   make the Debian base image locally (debootstrap + docker import), for hosts
         that cannot pull from a registry
  build  build a flavor of the workspace image
  run    run the workspace like the README's quick start (builds the image first if missing)
  lock   re-resolve a flavor's pinned Python requirements inside the base image
  hub    build the JupyterHub image that spawns workspaces for many users (deploy/docker)
  package  build a SageMaker job image from a folder of code (deploy/sagemaker): train, serve, process
  test   prepare this machine (Docker engine, base image, test tools), build, and run the tests
  bench  measure start-up, idle memory, image sizes and the front door's cost (benchmarks/run.py)
  docs   write the README's and docs/'s tables that list what the code declares (tools, ports, variables)

The command line only: each command's work is in workbench_build/ (one module per job). Only the Python
standard library is used, so this file runs on a bare Debian host.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields, replace

from workbench_build.checks import bench, lint, test
from workbench_build.engine import ensure_engine, image_exists, make_base_image
from workbench_build.images import build
from workbench_build.job_images import package
from workbench_build.lock import Relock, lock
from workbench_build.options import HOST_CA_BUNDLES, BuildOptions, host_ca_bundle
from workbench_build.project import DEFAULT_BASE_IMAGE, DEFAULT_MIRROR, DEFAULT_SECURITY_MIRROR, FLAVORS, HUB_IMAGE
from workbench_build.shell import BuildError, say
from workbench_build.vscode_extensions import parse_ids
from workbench_build.workspace import run_workspace


def parse_extension_ids(text: str) -> tuple[str, ...]:
    try:
        return parse_ids(text)
    except BuildError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--vscode-extensions: ")) from None


def add_build_options(parser: argparse.ArgumentParser, several_flavors: bool = False) -> None:
    parser.add_argument(
        "--flavor",
        choices=FLAVORS + (("all",) if several_flavors else ()),
        default="minimal",
        help="which image (default: minimal)" + ("; all: each in turn" if several_flavors else ""),
    )
    parser.add_argument(
        "--base-image",
        default=DEFAULT_BASE_IMAGE,
        help=f"image the workspace is built on (default: {DEFAULT_BASE_IMAGE}; "
        "made locally with 'build.py base' when it cannot be pulled)",
    )
    trust = parser.add_mutually_exclusive_group()
    trust.add_argument(
        "--ca-cert",
        metavar="FILE",
        help="CA bundle (PEM) that apt, pip and npm trust during the build only, e.g. a "
        "TLS-intercepting proxy's; it is not in the final image (default: this host's own "
        f"bundle, the first of {', '.join(HOST_CA_BUNDLES)} that exists)",
    )
    trust.add_argument(
        "--no-ca-cert",
        action="store_true",
        help="trust only the CAs of the base image during the build, not this host's",
    )
    parser.add_argument("--pip-index-url", metavar="URL", help="PyPI mirror for the build")
    parser.add_argument("--npm-registry", metavar="URL", help="npm registry mirror for the build")
    parser.add_argument(
        "--wheelhouse",
        metavar="DIR",
        help="install Python packages from the wheels in DIR only, without a package index "
        "(offline builds; fill it with pip download --no-deps -r requirements/<flavor>.txt)",
    )
    parser.add_argument(
        "--vscode-extensions",
        metavar="ID,ID...",
        type=parse_extension_ids,
        help="VS Code extensions to install from Open VSX, publisher.name@version (default: the pinned list in "
        "workspace/requirements/vscode-extensions.txt; '' for none); an unreachable Open VSX is a warning",
    )
    parser.add_argument(
        "--vscode-extensions-dir",
        metavar="DIR",
        help="install the VS Code extensions of the .vsix files in DIR instead, without Open VSX (offline builds)",
    )
    parser.add_argument(
        "--sagemaker-kernel",
        action="store_true",
        help='minimal with the "Python (SageMaker)" kernel, which full and gpu always have',
    )
    parser.add_argument("--no-cache", action="store_true", help="do not reuse cached layers")
    parser.add_argument(
        "--mirror",
        default=DEFAULT_MIRROR,
        help=f"Debian mirror if the base image has to be made (default: {DEFAULT_MIRROR})",
    )
    parser.add_argument("--security-mirror", default=DEFAULT_SECURITY_MIRROR, help=argparse.SUPPRESS)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="build.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    base = commands.add_parser("base", help="make debian:bookworm-slim locally with debootstrap")
    base.add_argument("--name", default=DEFAULT_BASE_IMAGE, help=f"image name (default: {DEFAULT_BASE_IMAGE})")
    base.add_argument("--mirror", default=DEFAULT_MIRROR, help=f"Debian mirror (default: {DEFAULT_MIRROR})")
    base.add_argument(
        "--security-mirror",
        default=DEFAULT_SECURITY_MIRROR,
        help=f"Debian security mirror (default: {DEFAULT_SECURITY_MIRROR})",
    )
    base.add_argument("--force", action="store_true", help="remake it even if it exists")
    base.add_argument("--dry-run", action="store_true", help="print the commands instead of running them")

    build_cmd = commands.add_parser(
        "build",
        help="build a workspace image",
        description="Build workbench:<flavor> and workbench:<flavor>-<version>.",
    )
    add_build_options(build_cmd, several_flavors=True)
    build_cmd.add_argument(
        "--tag", action="append", metavar="NAME:TAG", help="tag instead of the default ones (repeatable)"
    )
    build_cmd.add_argument("--dry-run", action="store_true", help="print the docker commands instead of running them")

    run_cmd = commands.add_parser(
        "run",
        help="run the workspace (builds the image if it is missing)",
        description='docker run -p PORT:8080 -v "$PWD:/workspace" as the folder\'s owner (NB_UID/NB_GID) and print '
        "the login URL; a start that fails removes its container and says why in one line.",
    )
    add_build_options(run_cmd)
    run_cmd.add_argument("--image", help="image to run (default: workbench:<flavor>)")
    run_cmd.add_argument("--name", default="workbench", help="container name (default: workbench)")
    run_cmd.add_argument("--port", type=int, default=8080, help="host port (default: 8080)")
    run_cmd.add_argument("--workspace", default=".", help="host folder mounted at /workspace (default: .)")
    run_cmd.add_argument(
        "--env",
        "-e",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="environment variable for the workspace (repeatable)",
    )
    run_cmd.add_argument(
        "--https",
        action="store_true",
        help="serve HTTPS with a self-signed certificate (WORKSPACE_SSL_ENABLED=true): what a browser on another "
        "machine needs for VS Code's webviews and the clipboard",
    )

    lock_cmd = commands.add_parser(
        "lock",
        help="re-resolve requirements/<flavor>.txt from <flavor>.in",
        description="Resolves the flavor's top-level requirements to exact versions "
        "inside the base image, so the lock matches the image's Python.",
    )
    add_build_options(lock_cmd, several_flavors=True)
    lock_cmd.add_argument("--hub", action="store_true", help="lock the hub image's requirements (deploy/docker)")
    lock_cmd.add_argument(
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help="let this package move from its current pin (repeatable); every other pin is kept where it fits",
    )
    lock_cmd.add_argument(
        "--environments",
        action="store_true",
        help="lock the environments over the workspace's (the SageMaker kernel, MLflow's server) inside the built "
        "minimal image (build it first)",
    )
    lock_cmd.add_argument("--upgrade", action="store_true", help="re-resolve everything to the newest versions allowed")
    lock_cmd.add_argument("--dry-run", action="store_true", help="print the docker command instead of running it")

    hub_cmd = commands.add_parser(
        "hub",
        help="build the JupyterHub image for many users on one Docker host",
        description=f"Build {HUB_IMAGE.repository}:latest from deploy/docker (JupyterHub, "
        "DockerSpawner, configurable-http-proxy): see the README.",
    )
    add_build_options(hub_cmd)
    hub_cmd.add_argument("--dry-run", action="store_true", help="print the docker commands instead of running them")

    package_cmd = commands.add_parser(
        "package",
        help="build a SageMaker job image from a folder of code",
        description="A thin image FROM workbench:<flavor> with DIRECTORY's code in "
        "/opt/ml/code and its requirements.txt installed: `train`, `serve` "
        "and processing jobs, ready to push to a registry such as ECR.",
    )
    package_cmd.add_argument("directory", metavar="DIRECTORY", help="the folder with the job's code")
    add_build_options(package_cmd)
    package_cmd.add_argument("--tag", metavar="NAME:TAG", help="image name (default: the folder's name, :latest)")
    package_cmd.add_argument(
        "--program",
        metavar="SCRIPT",
        help="the script train runs and serve loads, relative to DIRECTORY (default: train.py, "
        "or the only .py file; '' to leave SAGEMAKER_PROGRAM unset)",
    )
    package_cmd.add_argument("--dry-run", action="store_true", help="print the docker command instead of running it")

    lint_cmd = commands.add_parser(
        "lint",
        help="check the code: ruff (Python), hadolint (Dockerfiles), ShellCheck (shell scripts)",
        description="The checks `test` runs before it builds (installs the tools first if they are missing).",
    )
    add_build_options(lint_cmd)

    bench_cmd = commands.add_parser(
        "bench",
        help="measure start-up, memory, sizes and the front door's cost",
        description="Runs benchmarks/run.py (builds minimal first if it is missing).",
    )
    add_build_options(bench_cmd)
    bench_cmd.add_argument("bench_args", nargs="*", help="benchmark arguments (after --), e.g. -- --repeat 5")

    docs_cmd = commands.add_parser(
        "docs",
        help="write the tables of the README and docs/ that restate the code's declarations",
        description="Tools, their URLs and ports, and the variables they read are declared in the runtime package; "
        "the pages' tables that list them are written from there, between the markers the pages carry.",
    )
    docs_cmd.add_argument("--check", action="store_true", help="only say which pages are out of date (status 1)")

    test_cmd = commands.add_parser(
        "test",
        help="set this machine up, build, and run the test suite",
        description="Installs and starts the Docker engine if needed, makes the base "
        "image if it cannot be pulled, checks the code, runs the unit tests (stopping at the first failure), builds "
        "the flavor and runs the rest of the suite. Arguments after -- go to pytest.",
    )
    add_build_options(test_cmd)
    test_cmd.add_argument(
        "--unit",
        action="store_true",
        help="only the unit tests (tests/unit), in seconds: no Docker engine, image or browser needed",
    )
    test_cmd.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    return top


def options_of(args: argparse.Namespace) -> BuildOptions:
    """The command line's build options, typed; the CA is --ca-cert, else this host's own (none with --no-ca-cert)."""
    ca_cert = None if getattr(args, "no_ca_cert", False) else (getattr(args, "ca_cert", None) or host_ca_bundle())
    given = {field.name: getattr(args, field.name) for field in fields(BuildOptions) if hasattr(args, field.name)}
    # build's --tag (repeatable) names the image; package's names the job image, which package() takes itself.
    tags = tuple(args.tag or ()) if args.command == "build" else ()
    return BuildOptions(**{**given, "ca_cert": ca_cert, "tags": tags})


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    options = options_of(args)
    try:
        if args.command == "base":
            if not args.dry_run:
                ensure_engine()
                if image_exists(args.name) and not args.force:
                    say(f"{args.name} already exists (use --force to remake it)")
                    return 0
            make_base_image(args.name, args.mirror, args.security_mirror, dry_run=args.dry_run)
        elif args.command == "build":
            if args.flavor == "all" and args.tag:
                raise BuildError("--tag names one image: build one flavor at a time with it")
            for flavor in FLAVORS if args.flavor == "all" else [args.flavor]:
                build(replace(options, flavor=flavor))
        elif args.command == "hub":
            build(replace(options, tags=()), HUB_IMAGE)
        elif args.command == "lock":
            lock(
                options,
                list(FLAVORS) if args.flavor == "all" else [args.flavor],
                hub=args.hub,
                environments=args.environments,
                relock=Relock(args.upgrade, frozenset(args.upgrade_package)),
            )
        elif args.command == "package":
            package(options, args.directory, program=args.program, tag=args.tag)
        elif args.command == "run":
            run_workspace(options, args.image, args.name, args.port, args.workspace, args.env, https=args.https)
        elif args.command == "lint":
            return lint(options)
        elif args.command == "test":
            return test(options, args.pytest_args, unit_only=args.unit)
        elif args.command == "bench":
            return bench(options, args.bench_args)
        elif args.command == "docs":
            # Only here: it reads the runtime package's declarations, which no other command needs.
            from workbench_build.docs import write_docs

            return write_docs(check=args.check)
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
