"""Per-thread runners: a queue of pending messages, interrupts, approvals and event fan-out.

Each thread gets one :class:`ThreadRunner` in the process (found through :func:`hub_for`).
Messages sent while a turn runs wait in its queue and run in order. :meth:`interrupt` cancels
the running turn; the next queued message then starts. A turn that ends waiting for approval
holds the queue until the user decides (the decision resumes it first) or interrupts (pending
changes are then superseded by the next message).

Every event is numbered and kept in a bounded buffer, so a subscriber that connects late (or
reconnects with ``Last-Event-ID``) receives what it missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from openloop.loop import events as ev
from openloop.loop.turn import Job, Turn

if TYPE_CHECKING:
    from openloop.services import Services

__all__ = ["LoopHub", "ThreadRunner", "hub_for"]

logger = logging.getLogger(__name__)

#: Events kept per thread for late subscribers.
EVENT_BUFFER = 2000
#: Seconds between keep-alive comments on an idle SSE stream.
KEEPALIVE_SECONDS = 15.0


class ThreadRunner:
    def __init__(self, svc: Services, thread_id: str) -> None:
        self.svc, self.thread_id = svc, thread_id
        self.loop = asyncio.get_running_loop()
        self.queue: deque[Job] = deque()
        self.current: Job | None = None
        self.task: asyncio.Task[str] | None = None
        self.worker: asyncio.Task[None] | None = None
        self.blocked = False  # a turn waits for approvals
        self.finishing = False  # a turn ended; its trace is being written
        self.buffer: deque[ev.LoopEvent] = deque(maxlen=EVENT_BUFFER)
        self.last_id = 0
        self.subscribers: set[asyncio.Queue[ev.LoopEvent]] = set()

    # -- state ---------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    @property
    def idle(self) -> bool:
        """Nothing runs and nothing will run without the user (empty queue, or held). The
        worker counts as running until it has published its turn's ``done`` event, so a
        subscriber never sees "idle" in the gap between a turn ending and ``done``."""
        worker_busy = self.worker is not None and not self.worker.done()
        return (
            not self.running
            and not self.finishing
            and not worker_busy
            and (not self.queue or self.blocked)
        )

    def state(self) -> dict[str, object]:
        return {
            "running": self.running,
            "current": self.current.id if self.current and self.running else None,
            "queued": [j.id for j in self.queue],
            "awaiting_approval": self.blocked,
            "last_event_id": self.last_id,
        }

    # -- events --------------------------------------------------------------------------------

    def publish(self, event: ev.LoopEvent) -> None:
        self.last_id += 1
        event.id = self.last_id
        self.buffer.append(event)
        for q in list(self.subscribers):
            q.put_nowait(event)

    async def subscribe(
        self, after: int | None = None, *, until_idle: bool = False
    ) -> AsyncIterator[ev.LoopEvent | None]:
        """Events after id ``after`` (buffered ones first), then live ones. Yields ``None`` as a
        keep-alive tick. With ``until_idle`` the stream ends once the thread is idle."""
        q: asyncio.Queue[ev.LoopEvent] = asyncio.Queue()
        self.subscribers.add(q)
        try:
            seen = after or 0
            for event in list(self.buffer):
                if event.id is not None and event.id > seen:
                    seen = event.id
                    yield event
            if until_idle and self.idle:
                # The turn may have ended while the buffer was being replayed (each yield lets
                # it run): its last events, ``done`` included, wait in the queue.
                while not q.empty():
                    event = q.get_nowait()
                    if event.id is not None and event.id > seen:
                        seen = event.id
                        yield event
                return
            while True:
                try:
                    event = await asyncio.wait_for(q.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    if until_idle and self.idle:
                        return
                    yield None
                    continue
                if event.id is not None and event.id <= seen:
                    continue
                seen = event.id or seen
                yield event
                if until_idle and event.type == "done" and self.idle:
                    return
        finally:
            self.subscribers.discard(q)

    # -- queue ---------------------------------------------------------------------------------

    def submit(self, job: Job, *, front: bool = False) -> int:
        """Queue ``job``; returns its position (0: starts now, n: n turns ahead of it)."""
        if front:
            self.queue.appendleft(job)
        else:
            self.queue.append(job)
        position = (list(self.queue).index(job)) + (1 if self.running else 0)
        if self.blocked and job.kind != "resume":
            position += 1
        self.publish(ev.LoopEvent("queued", {"id": job.id, "position": position}))
        self._kick()
        return position

    def resume(self, job: Job) -> None:
        """Approvals of the paused turn were decided: run ``job`` next."""
        self.blocked = False
        self.submit(job, front=True)

    async def interrupt(self) -> bool:
        """Cancel the running turn (or release a turn waiting for approval); the next queued
        message starts. Returns whether anything was interrupted."""
        if self.running and self.task is not None:
            self.task.cancel()
            await asyncio.wait({self.task})
            return True
        if self.blocked:
            self.blocked = False
            self._kick()
            return True
        return False

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until the thread is idle (tests, the CLI)."""
        async with asyncio.timeout(timeout):
            while not self.idle:
                if self.worker is not None and not self.worker.done():
                    await asyncio.wait({self.worker})
                else:
                    await asyncio.sleep(0.005)

    def _kick(self) -> None:
        if self.blocked or not self.queue:
            return
        if self.worker is None or self.worker.done():
            self.worker = self.loop.create_task(self._work(), name=f"loop-{self.thread_id}")

    async def _work(self) -> None:
        while self.queue and not self.blocked:
            job = self.queue.popleft()
            self.current = job
            turn = Turn(self.svc, self.thread_id, job, self.publish)
            self.task = self.loop.create_task(turn.execute())
            await asyncio.wait({self.task})
            self.finishing = True
            if self.task.cancelled():
                status = "interrupted"
            elif self.task.exception() is not None:
                status = "error"
                logger.error(
                    "loop.turn_crashed thread=%s", self.thread_id, exc_info=self.task.exception()
                )
            else:
                status = self.task.result()
            await asyncio.to_thread(
                turn.trace.flush, self.svc, output=turn.output, status=status, error=turn.error
            )
            if status == "awaiting_approval":
                self.blocked = True
            self.finishing = False
            self.publish(ev.done(job.id, status))
        self.current = None


class LoopHub:
    """The runners of one :class:`~openloop.services.Services` (one process)."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.runners: dict[str, ThreadRunner] = {}

    def runner(self, thread_id: str) -> ThreadRunner:
        """The thread's runner, bound to the running event loop."""
        loop = asyncio.get_running_loop()
        found = self.runners.get(thread_id)
        if found is None or found.loop is not loop or found.loop.is_closed():
            found = ThreadRunner(self.svc, thread_id)
            self.runners[thread_id] = found
        return found

    def get(self, thread_id: str) -> ThreadRunner | None:
        return self.runners.get(thread_id)

    def forget(self, thread_id: str) -> None:
        runner = self.runners.pop(thread_id, None)
        if runner is not None and runner.task is not None and not runner.task.done():
            runner.task.cancel()


def hub_for(svc: Services) -> LoopHub:
    """The process-wide hub of ``svc``, created on first use."""
    hub = getattr(svc, "_loop_hub", None)
    if hub is None:
        hub = LoopHub(svc)
        svc._loop_hub = hub  # type: ignore[attr-defined]
    return hub
