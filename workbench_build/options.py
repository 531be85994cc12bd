"""The options every command that builds an image takes, typed (build.py turns its command line into them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .project import DEFAULT_BASE_IMAGE, DEFAULT_MIRROR, DEFAULT_SECURITY_MIRROR

# Where hosts keep the CA bundle they trust (Debian/Ubuntu, Fedora/RHEL, Alpine/macOS): by default the build trusts
# what this machine trusts, which on a host behind a TLS-intercepting proxy includes the proxy's CA.
HOST_CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem")


def host_ca_bundle() -> str | None:
    """The CA bundle this machine trusts, which the build trusts unless told otherwise."""
    return next((bundle for bundle in HOST_CA_BUNDLES if Path(bundle).is_file()), None)


@dataclass(frozen=True)
class BuildOptions:
    flavor: str = "minimal"
    base_image: str = DEFAULT_BASE_IMAGE
    tags: tuple[str, ...] = ()  # empty: the flavor's own tags
    # The CA bundle apt, pip and npm trust during the build only (by default this host's: host_ca_bundle()).
    ca_cert: str | None = None
    pip_index_url: str | None = None
    npm_registry: str | None = None
    wheelhouse: str | None = None  # build offline from the wheels there
    # VS Code extensions from Open VSX (id@version); None: the pinned list (workbench_build/vscode_extensions.py).
    vscode_extensions: tuple[str, ...] | None = None
    vscode_extensions_dir: str | None = None  # install the .vsix files there instead, without Open VSX
    no_cache: bool = False
    # minimal with the SageMaker kernel (full and gpu are built on it, so they always have it).
    sagemaker_kernel: bool = False
    mirror: str = DEFAULT_MIRROR  # Debian's, if the base image has to be made
    security_mirror: str = DEFAULT_SECURITY_MIRROR
    dry_run: bool = False
    # True: the engine and the base image are known to be there (test and bench prepared the machine).
    skip_setup: bool = False

    @property
    def target(self) -> str:
        """The Dockerfile's stage to build."""
        return "minimal-sagemaker" if self.flavor == "minimal" and self.sagemaker_kernel else self.flavor
