"""Thread pools that fit the container. OpenBLAS, OpenMP, MKL, numexpr, numba, torch and TensorFlow size their pools
from the host's CPUs: in a `--cpus 2` container on a 64-core host, each starts 64 threads that share two CPUs'
time, and a matrix product gets slower, not faster. When the container may use fewer CPUs than the machine has (the
CPUs it may run on, and its cgroup's CPU quota), the start sets their variables to that, for every process it
starts: kernels, terminals, SSH sessions (contracts/render.py's session environment), tools and jobs. A variable the
user set is never changed.
"""

from __future__ import annotations

import math
import os
from collections.abc import MutableMapping

from . import usage

# torch's intra-op pool follows OMP_NUM_THREADS (or MKL_NUM_THREADS); TensorFlow reads its own two; tokenizers and
# polars' Rust pools read RAYON_NUM_THREADS.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMEXPR_MAX_THREADS",
    "NUMBA_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "RAYON_NUM_THREADS",
)


def container_cpus() -> int:
    """Whole CPUs the workspace may use (`--cpus 1.5`: 2, `--cpus 0.5`: 1)."""
    return max(1, math.ceil(usage.cpu_cores()))


def fit(environ: MutableMapping[str, str], limit: int | None) -> int:
    """Sets each thread variable the user did not set, to limit (MAX_NUM_THREADS) or, for None ("auto"), to the
    container's CPUs when it may use fewer than the machine has: with all of them, the libraries' own defaults are
    right already, and torchrun's (one thread per process when it starts several) must stay theirs. Returns the
    count the libraries will use."""
    count = limit or container_cpus()
    if limit is None and count >= (os.cpu_count() or count):
        return count
    for variable in THREAD_VARIABLES:
        if not environ.get(variable):
            environ[variable] = str(count)
    return count
