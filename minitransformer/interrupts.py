"""Stopping a training run cleanly on Ctrl-C (SIGINT) or SIGTERM: the signal only raises a flag, fit() finishes
the update in progress, writes a checkpoint and raises TrainingInterrupted, so the run can continue exactly.

A signal that arrived half-way through an update (after some weights were stepped and before others) would leave a
state no uninterrupted run ever had; waiting for the step boundary avoids that. A second Ctrl-C stops at once.
"""
import contextlib
import signal
import threading


class TrainingInterrupted(KeyboardInterrupt):
    """fit() stopped on a signal after a whole update; `.checkpoint` is the file written then (None without one),
    `.step` the updates done, `.signal_number` the signal (signal.SIGINT or signal.SIGTERM)."""

    def __init__(self, message, step, checkpoint, signal_number):
        super().__init__(message)
        self.step, self.checkpoint, self.signal_number = step, checkpoint, signal_number


class StopRequest:
    """`.signal_number` is None until SIGINT or SIGTERM arrives while `stop_signals()` is active."""

    def __init__(self):
        self.signal_number = None

    def __bool__(self):
        return self.signal_number is not None


@contextlib.contextmanager
def stop_signals(enabled=True):
    """Yield a StopRequest that SIGINT and SIGTERM set instead of stopping the program; the previous handlers come
    back on exit. Outside the main thread (where Python cannot install handlers) or with enabled=False it never
    fires and signals behave as before."""
    request = StopRequest()
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handler(number, frame):
        if request.signal_number is not None and number == signal.SIGINT:
            raise KeyboardInterrupt        # asked twice: stop now, without a checkpoint
        request.signal_number = number

    previous = {number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
