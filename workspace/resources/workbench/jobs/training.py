"""`train`, past the checks of workbench/dispatch.py: SageMaker's training toolkit (sagemaker-training) in script mode,
as SageMaker's framework containers run it: SM_* variables, hyperparameters as --name value arguments, the script's
requirements.txt installed, /opt/ml/output/failure and a non-zero exit when the script fails.

Like those containers, this module is the toolkit's "framework" (SAGEMAKER_TRAINING_MODULE): the toolkit prepares
the job and reports its end, and main() runs the script with its errors captured, so that the failure file holds
the script's own error and not only its exit status. The toolkit does not pass `docker stop`'s SIGTERM on to the
script; this process does, so that a script can checkpoint in the 120 seconds SageMaker gives it.
Where the code comes from is decided once, in workbench/dispatch.py, which checked it before this started; the arguments
that followed `train` come after the hyperparameters' own.
Runs in the image's Python environment (/opt/venv).
"""

import os
import signal
import sys

import psutil
from sagemaker_training import entry_point, environment, params, runner, trainer

from . import dispatch


def main() -> None:
    """Called by the toolkit's trainer once the job is prepared."""
    env = environment.Environment()
    mpi = (
        env.additional_framework_parameters.get(params.MPI_ENABLED)
        and env.current_instance_group in env.distribution_instance_groups
    )  # as the toolkit's own trainer decides
    code = dispatch.configured_training_code()
    entry_point.run(
        uri=code.source,
        user_entry_point=code.program,
        args=env.to_cmd_args() + sys.argv[1:],
        env_vars=env.to_env_vars(),
        capture_error=True,
        runner_type=runner.MPIRunnerType if mpi else runner.ProcessRunnerType,
    )


def pass_on(signum, _frame) -> None:
    for process in psutil.Process().children(recursive=True):
        try:
            process.send_signal(signum)
        except psutil.NoSuchProcess:
            pass


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, pass_on)
    os.environ[params.FRAMEWORK_TRAINING_MODULE_ENV] = f"{__spec__.name}:main"
    trainer.train()
