"""The worker's wait on a job's compute (pipelines/jobs/waiting.py): a stop lets go of the
job at once, whatever the period between lease renewals; a result ends the wait; a period
that passes first lets the worker renew the lease."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

import pytest

from pipelines.jobs.waiting import Waits

HOUR = 3600.0


def test_a_stop_ends_a_wait_whose_period_is_an_hour() -> None:
    waits = Waits(threading.Event())
    running: Future[Any] = Future()  # a compute that never answers
    outcome: list[str] = []

    def wait() -> None:
        try:
            for _ in waits.periods(running, lambda: HOUR):
                outcome.append("period")
        except SystemExit:
            outcome.append("stopped")

    waiter = threading.Thread(target=wait)
    waiter.start()
    threading.Timer(0.2, waits.stop).start()
    waiter.join(timeout=60)  # before the fix it slept out the period (a third of the lease)
    assert not waiter.is_alive()
    assert outcome == ["stopped"]


def test_a_wait_listed_after_the_stop_ends_at_once() -> None:
    waits = Waits(threading.Event())
    waits.stop()
    with pytest.raises(SystemExit):
        next(waits.periods(Future(), lambda: HOUR))


def test_a_result_ends_the_wait_and_periods_pass_before_it() -> None:
    waits = Waits(threading.Event())
    done: Future[Any] = Future()
    periods = 0
    for _ in waits.periods(done, lambda: 0.01):
        periods += 1
        if periods == 3:
            done.set_result("cut")
    assert periods == 3 and done.result() == "cut"
    assert not waits.stopped.is_set()
