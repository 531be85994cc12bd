"""Thread pools that fit the container: the variables the numeric libraries read, set from the container's CPUs or
MAX_NUM_THREADS, never over what the user set."""

import pytest

from workbench.contracts import render
from workbench.contracts.settings import ConfigError, load, thread_count
from workbench.facts import threads, usage


def test_every_thread_variable_is_set_to_the_limit_and_the_users_own_are_kept():
    environ = {"OMP_NUM_THREADS": "8", "MKL_NUM_THREADS": ""}
    assert threads.fit(environ, 3) == 3
    assert environ.pop("OMP_NUM_THREADS") == "8"
    assert set(environ) == set(threads.THREAD_VARIABLES) - {"OMP_NUM_THREADS"}
    assert set(environ.values()) == {"3"}


@pytest.mark.parametrize("cores, count", [(0.5, 1), (1.0, 1), (1.5, 2), (2.0, 2), (63.5, 64)])
def test_auto_is_the_containers_cpus_rounded_up_when_fewer_than_the_machines(monkeypatch, cores, count):
    monkeypatch.setattr(usage, "cpu_cores", lambda: cores)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 96)
    environ = {}
    assert threads.fit(environ, None) == count and environ["OMP_NUM_THREADS"] == str(count)


def test_a_container_with_every_cpu_of_the_machine_keeps_the_libraries_defaults(monkeypatch):
    # torchrun gives each of its processes one thread unless OMP_NUM_THREADS is set: it must stay unset.
    monkeypatch.setattr(usage, "cpu_cores", lambda: 8.0)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 8)
    environ = {}
    assert threads.fit(environ, None) == 8 and environ == {}
    assert threads.fit(environ, 8) == 8 and environ["OMP_NUM_THREADS"] == "8"


@pytest.mark.parametrize("raw, value", [("auto", None), ("1", 1), ("16", 16)])
def test_max_num_threads_is_auto_or_a_count(raw, value):
    assert load({"MAX_NUM_THREADS": raw}).max_num_threads == value == thread_count({"MAX_NUM_THREADS": raw})
    assert load({}).max_num_threads is None


@pytest.mark.parametrize("raw", ["0", "-1", "all", "2.5", "1025", ""])
def test_a_bad_thread_count_names_the_variable(raw):
    for read in (lambda environ: load(environ), thread_count):
        with pytest.raises(ConfigError, match=r"^MAX_NUM_THREADS=.* is not valid: must be a whole number from 1"):
            read({"MAX_NUM_THREADS": raw})


def test_ssh_sessions_get_the_thread_variables_too():
    environ = {}
    threads.fit(environ, 2)
    assert dict(render.session_environment(environ)) == environ
