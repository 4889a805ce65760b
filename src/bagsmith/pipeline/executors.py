"""Where the work of a collection runs: a local pool of processes, or a Dask cluster.

Both executors take a module-level function and a list of items and yield ``(index,
outcome)`` pairs as tasks finish, in completion order; ``outcome`` is the function's return
value or the exception that prevented it (a worker that died, a task Dask gave up on). The
functions given to them catch their own ``BagsmithError`` s, so an exception here means the
task never finished. At most a few tasks per worker are in flight at once, so a collection of
100,000 articles does not sit in memory as pending futures.

* :class:`LocalExecutor` — ``concurrent.futures.ProcessPoolExecutor`` (``fork``; default one
  process per CPU). A process that dies breaks the pool: the pool is replaced and the tasks
  that were in flight are run again one at a time, so that only the task that kills its
  worker again fails (:class:`WorkerLost`).
* :class:`DaskExecutor` — an existing ``dask.distributed`` scheduler (``tcp://HOST:PORT``);
  ``distributed`` is imported only here and only then (the optional extra ``bagsmith[dask]``).
  Dask itself reschedules the tasks of a worker that dies.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.reduction import ForkingPickler
from typing import Any, Protocol, TypeVar

from .. import fixity
from ..errors import UsageError

T = TypeVar("T")
R = TypeVar("R")

Outcome = tuple[int, Any]


class Executor(Protocol):
    """Runs ``fn(item)`` for every item somewhere; yields ``(index, result or exception)``."""

    description: str

    @property
    def workers(self) -> int: ...

    def run(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Outcome]: ...

    def close(self) -> None: ...


class WorkerLost(RuntimeError):
    """A task whose worker process died while running it (alone in its pool)."""


class TaskFailed(RuntimeError):
    """An exception raised by a task that cannot cross the process boundary as it is (lxml's
    errors carry their error log, which cannot be pickled): its type and message as text."""


def plain_errors(fn: Callable[[Any], Any], item: Any) -> Any:
    """``fn(item)`` in a worker. An exception that cannot be pickled would reach the caller
    only as "cannot pickle …", naming neither the task's error nor its type: it comes back as
    :class:`TaskFailed` with both. TaskFailed is raised outside the handler, so it carries no
    context: where exceptions are pickled with their context and traceback (tblib, which Dask
    installs for every exception), the unpicklable one would otherwise travel with it."""
    try:
        return fn(item)
    except Exception as exc:
        try:
            ForkingPickler.dumps(exc)
        except Exception:
            message = f"{type(exc).__name__}: {exc}"
        else:
            raise
    raise TaskFailed(message)


class LocalExecutor:
    """A pool of ``workers`` processes on this machine."""

    def __init__(self, workers: int | None = None) -> None:
        self._workers = fixity.checked_processes(workers, "workers")
        self.description = f"local pool of {self._workers} process(es)"
        self._pool: ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    def _new_pool(self) -> ProcessPoolExecutor:
        return fixity.process_pool(
            self._workers, initializer=fixity.die_with_parent, parameter="workers"
        )

    def run(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Outcome]:
        todo: deque[int] = deque(range(len(items)))
        suspects: deque[int] = deque()  # in flight when a pool broke: now run one at a time
        running: dict[Future[Any], int] = {}
        pool = self._pool = self._new_pool()
        try:
            while todo or suspects or running:
                queue, limit = (suspects, 1) if suspects else (todo, self._workers * 2)
                refused = False  # the pool broke between two submissions
                while queue and len(running) < limit:
                    index = queue.popleft()
                    try:
                        running[pool.submit(plain_errors, fn, items[index])] = index
                    except BrokenProcessPool:
                        queue.appendleft(index)
                        refused = True
                        break
                lost: list[int] = []
                if running:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        index = running.pop(future)
                        exc = future.exception()
                        if isinstance(exc, BrokenProcessPool):
                            lost.append(index)
                        else:
                            yield index, exc if exc is not None else future.result()
                if not lost and not refused:
                    continue
                for future in list(running):  # the others in flight share the pool's fate
                    index = running.pop(future)
                    exc = future.exception()
                    if isinstance(exc, BrokenProcessPool):
                        lost.append(index)
                    else:
                        yield index, exc if exc is not None else future.result()
                if len(lost) == 1:  # alone in its pool: this task killed its worker
                    yield lost[0], WorkerLost("the worker process died while running it")
                else:
                    suspects.extend(sorted(lost))
                pool.shutdown(wait=True)
                pool = self._pool = self._new_pool()
        finally:
            for future in running:
                future.cancel()
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor:
    """Tasks on an existing Dask distributed cluster, through its scheduler's address."""

    def __init__(self, address: str, *, timeout: float = 10.0) -> None:
        distributed: Any
        try:
            import distributed
        except ImportError:
            raise UsageError(
                "{scheduler} needs the Dask distributed client, which is not installed",
                parameter="scheduler",
                hint="pip install 'bagsmith[dask]'",
            ) from None
        self._distributed = distributed
        try:
            self.client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(
                f"cannot connect to the Dask scheduler at {address}: {exc}",
                parameter="scheduler",
                hint="start one with `dask scheduler` and workers with `dask worker ADDRESS`",
            ) from None
        self.address = address
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError):
            self.client.close()
            raise UsageError(
                f"the Dask cluster at {address} has no workers",
                parameter="scheduler",
                hint="start some with `dask worker ADDRESS`",
            ) from None
        self.description = f"Dask cluster at {address} ({self.workers} worker thread(s))"

    @property
    def workers(self) -> int:
        info = self.client.scheduler_info()
        threads = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
        return max(1, threads)

    def run(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Outcome]:
        tag = uuid.uuid4().hex[:12]
        window = max(4, self.workers * 2)
        indexes: dict[Any, int] = {}
        pending = iter(range(len(items)))

        def submit() -> Any | None:
            index = next(pending, None)
            if index is None:
                return None
            future = self.client.submit(
                plain_errors, fn, items[index], key=f"bagsmith-{tag}-{index}", pure=False
            )
            indexes[future.key] = index
            return future

        first = [f for f in (submit() for _ in range(window)) if f is not None]
        queue = self._distributed.as_completed(first, loop=self.client.loop)
        live = set(first)
        try:
            for future in queue:
                live.discard(future)
                index = indexes.pop(future.key)
                outcome: Any
                if future.status == "cancelled":
                    outcome = WorkerLost("the Dask scheduler cancelled the task")
                else:
                    try:
                        outcome = future.result()
                    except Exception as exc:  # the task's error, or Dask's KilledWorker
                        outcome = exc
                future.release()
                yield index, outcome
                nxt = submit()
                if nxt is not None:
                    queue.add(nxt)
                    live.add(nxt)
        finally:
            if live:
                self.client.cancel(list(live))

    def close(self) -> None:
        self.client.close()


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor for ``--workers N`` (local) or ``--scheduler ADDRESS`` (Dask)."""
    if scheduler is not None:
        if workers is not None:
            raise UsageError(
                "{workers} and {scheduler} cannot be used together: a Dask cluster has the "
                "workers it was started with",
                parameter="workers",
            )
        return DaskExecutor(scheduler)
    return LocalExecutor(workers)
