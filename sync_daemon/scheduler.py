"""Running the jobs: on a schedule (``run``) or each once (``once``).

APScheduler 3 runs each job on its own interval with ``max_instances=1`` (a slow run is never
overlapped by the next one), ``coalesce`` (runs missed while it was busy collapse into one) and a
``misfire_grace_time`` (a run late by less than one interval still happens). SIGTERM and SIGINT
set the stop event: a job stops at its next safe point (a page boundary; the page in flight is
committed in Odoo or not at all), the scheduler waits for it, and the process exits. ``once``
and ``reconcile`` stop the same way, without starting the jobs or companies still to come.
"""

import logging
import os
import signal
import time
from datetime import datetime, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from sync_daemon.errors import SyncError
from sync_daemon.logs import SECRETS
from sync_daemon.metrics import JOB_NAMES

_logger = logging.getLogger(__name__)


class JobRunner:
    """Runs one job, recording its duration, outcome and errors in metrics and health."""

    def __init__(self, jobs, metrics):
        self.jobs = jobs
        self._metrics = metrics

    def run(self, name):
        started = time.monotonic()
        try:
            result = getattr(self.jobs, name)()
        except SyncError as exc:
            self._failed(name, "retryable" if exc.retryable else "fatal", exc)
            return False, None
        except Exception as exc:  # a bug must not kill the scheduler thread
            _logger.exception("%s crashed", name)
            self._failed(name, "crash", exc)
            return False, None
        finally:
            self._metrics.job_duration.labels(name).observe(time.monotonic() - started)
        self._metrics.health.succeeded(name)
        self._metrics.job_last_success.labels(name).set_to_current_time()
        return True, result

    def _failed(self, name, kind, exc):
        _logger.error("%s failed: %s", name, exc)
        self._metrics.errors.labels(name, kind).inc()
        # /healthz answers anyone who can reach it: no log filter stands in between.
        self._metrics.health.failed(name, SECRETS.mask(str(exc)))


def intervals_of(settings):
    intervals = (settings.events_interval, settings.retry_interval, settings.reconcile_interval)
    return dict(zip(JOB_NAMES, intervals, strict=True))


def run_once(runner, stopping):
    """Every job once, in order; True when all succeeded and none was cut short by a stop."""
    succeeded = True
    for name in JOB_NAMES:
        if stopping.is_set():
            _logger.info("Stopped: %s not run", name)
            continue
        succeeded = runner.run(name)[0] and succeeded
    return succeeded and not stopping.is_set()


def run_forever(runner, settings, stopping):
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(3)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone="UTC",
    )
    for name, interval in intervals_of(settings).items():
        scheduler.add_job(
            runner.run,
            "interval",
            args=[name],
            id=name,
            name=name,
            seconds=interval,
            misfire_grace_time=max(1, int(interval)),
            next_run_time=datetime.now(timezone.utc),
        )
    install_stop_handlers(stopping)
    scheduler.start()
    _logger.info(
        "Sync daemon running: %s",
        ", ".join(
            f"{name} every {interval:g}s" for name, interval in intervals_of(settings).items()
        ),
    )
    while not stopping.wait(1.0):
        pass
    _logger.info("Stopping: waiting for running jobs to finish")
    scheduler.shutdown(wait=True)
    _logger.info("Sync daemon stopped")


def install_stop_handlers(stopping):
    """SIGTERM and SIGINT set ``stopping`` instead of ending the process where it stands; a
    second one ends it at once, as a second Ctrl-C does elsewhere.

    The second one exits from the handler rather than falling back to the default action: as
    a container's first process, the daemon would not be ended by a default action.
    """

    def stop(signum, frame):
        name = signal.Signals(signum).name
        if stopping.is_set():
            _logger.warning("Received %s again: stopping now", name)
            os._exit(128 + signum)
        _logger.info("Received %s: stopping at the next safe point (again to stop now)", name)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
