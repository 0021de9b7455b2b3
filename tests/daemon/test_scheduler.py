"""Stopping: what a signal does to the jobs still to come, without a process to kill."""

import os
import signal
import threading

import pytest

from sync_daemon import scheduler
from sync_daemon.errors import SyncError
from sync_daemon.logs import SECRETS
from sync_daemon.metrics import Metrics
from sync_daemon.scheduler import JOB_NAMES, JobRunner, install_stop_handlers, run_once


@pytest.fixture
def restored_handlers():
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


class Runner:
    """Runs nothing: records the jobs started, and plays a signal during one of them."""

    def __init__(self, stopping, signal_during=None, failing=()):
        self.started = []
        self._stopping, self._signal_during, self._failing = stopping, signal_during, failing

    def run(self, name):
        self.started.append(name)
        if name == self._signal_during:
            self._stopping.set()
        return name not in self._failing, None


def test_a_failed_job_shows_no_key_on_the_health_page():
    class LeakyJobs:
        def apply_events(self):
            raise SyncError("billing refused key sk_live_health_leak")

    SECRETS.add("sk_live_health_leak")
    metrics = Metrics()
    assert JobRunner(LeakyJobs(), metrics).run("apply_events") == (False, None)
    _healthy, report = metrics.health.report(dict.fromkeys(JOB_NAMES, 30.0))
    assert report["jobs"]["apply_events"]["last_error"]["message"] == "billing refused key ***"


def test_once_runs_every_job_and_succeeds_only_if_all_did():
    stopping = threading.Event()
    runner = Runner(stopping)
    assert run_once(runner, stopping) is True
    assert runner.started == list(JOB_NAMES)

    runner = Runner(stopping, failing=("apply_events",))
    assert run_once(runner, stopping) is False
    assert runner.started == list(JOB_NAMES)  # a failed job does not hold up the others


def test_a_stop_during_a_job_lets_it_finish_and_starts_no_other():
    stopping = threading.Event()
    runner = Runner(stopping, signal_during="apply_events")
    assert run_once(runner, stopping) is False
    assert runner.started == ["apply_events"]


def test_the_first_signal_asks_for_a_stop_and_the_second_ends_the_process(
    restored_handlers, monkeypatch
):
    exits = []
    monkeypatch.setattr(scheduler.os, "_exit", exits.append)
    stopping = threading.Event()
    install_stop_handlers(stopping)

    os.kill(os.getpid(), signal.SIGTERM)
    assert stopping.wait(5)
    assert exits == []

    os.kill(os.getpid(), signal.SIGINT)
    assert exits == [128 + signal.SIGINT]
