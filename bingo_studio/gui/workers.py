"""Long engine work off the Qt thread: a function run in a QThread, reporting through TaskState.

Inputs: a callable ``fn(state: TaskState) -> result`` (any engine call; it reports Progress through
``state.report`` and stops at ``state.check()`` after ``cancel()``).
Outputs (signals): ``progress(Progress)``, ``done(result)``, ``failed(message)``.

Shaped like Orange3's concurrent tasks: the engine never sees Qt, the widget only sees signals.
A worker exception becomes a one-line message (UserError as is, anything else with its type and
the traceback on stderr), never a crash of the window.

Pages run their background work through a TaskSlot (Orange3's ConcurrentMixin idea): one current
task a slot; starting one cancels and disconnects the one before, and whatever a superseded task
still delivers is dropped. A worker that prunes or evaluates gets ``worker_copy(run)``, so it
never touches the model the window or another worker is using.
"""

from __future__ import annotations

import copy
import sys
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

from bingo_studio.errors import UserError
from bingo_studio.training.task import TaskCancelled, TaskState


class _Thread(QThread):
    def __init__(self, task: Task):
        super().__init__()
        self.task = task

    def run(self) -> None:
        t = self.task
        try:
            result = t.fn(t.state)
        except TaskCancelled:
            t._relay.failed.emit("Cancelled")
        except UserError as e:
            t._relay.failed.emit(str(e))
        except Exception as e:  # a bug in engine code: report it, keep the window alive
            traceback.print_exc(file=sys.stderr)
            t._relay.failed.emit(f"{type(e).__name__}: {e}")
        else:
            t._relay.done.emit(result)


class _Relay(QObject):
    """Signals emitted from the worker thread; queued to the receivers on the Qt thread."""

    progress = Signal(object)
    done = Signal(object)
    failed = Signal(str)


_LIVE: set = set()  # running tasks, kept alive until their thread ends


def wait_all(ms: int = 10_000) -> None:
    """Cancel every running task and wait for its thread (before the window goes away)."""
    for task in list(_LIVE):
        task.cancel()
    for task in list(_LIVE):
        task.wait(ms)


class Task(QObject):
    """One background job. Keep a reference until ``finished`` (the window holds it)."""

    progress = Signal(object)  # bingo_studio.training.Progress
    done = Signal(object)
    failed = Signal(str)
    finished = Signal()  # after done or failed, once the thread has ended

    def __init__(self, fn: Callable[[TaskState], object], parent: QObject | None = None):
        super().__init__(parent)
        self.fn = fn
        self._relay = _Relay()
        self.state = TaskState(self._relay.progress.emit)
        self._relay.progress.connect(self.progress)
        self._relay.done.connect(self.done)
        self._relay.failed.connect(self.failed)
        self._thread = _Thread(self)
        self._thread.finished.connect(self.finished)
        self.finished.connect(lambda: _LIVE.discard(self))

    def start(self) -> Task:
        _LIVE.add(self)
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.state.cancel()

    def wait(self, ms: int = 30_000) -> bool:
        return self._thread.wait(ms)


class TaskSlot(QObject):
    """The one current background task of a page (or of one kind of work on a page).

    ``start`` cancels and disconnects the previous task; ``cancel`` does the same for the current
    one; ``stop`` asks the current task to stop but still delivers what it returns (a cancelled
    training keeps its finished epochs). Slots given to ``start`` run only for the current task.
    """

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.task: Task | None = None

    def start(
        self,
        fn: Callable[[TaskState], object],
        on_done: Callable[[object], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        on_progress: Callable[[object], None] | None = None,
    ) -> Task:
        self.cancel()
        task = Task(fn)
        self.task = task

        def current(slot, clear: bool):
            def relay(value) -> None:
                if task is not self.task:
                    return  # superseded: its result is stale
                if clear:
                    self.task = None
                if slot is not None:
                    slot(value)

            return relay

        task.progress.connect(current(on_progress, False))
        task.done.connect(current(on_done, True))
        task.failed.connect(current(on_failed, True))
        return task.start()

    def busy(self) -> bool:
        return self.task is not None

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def cancel(self) -> None:
        task, self.task = self.task, None
        if task is None:
            return
        task.cancel()
        for signal in (task.progress, task.done, task.failed):
            signal.disconnect()


def worker_copy(run):
    """The run with its own model and scorer (the dataset, read-only, shared) for a worker."""
    if run is None:
        return None
    return copy.deepcopy(run, memo={id(run.dataset): run.dataset})
