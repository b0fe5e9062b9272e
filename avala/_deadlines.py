"""Time limits of attempts in flight, kept with a few shared loop timers.

aiohttp's ``ClientTimeout(total=...)`` arms a loop timer per request and enters a timer
context at every await of the exchange: about 6 us of CPU per request at 64 requests in
flight, a tenth of a whole request. Here an attempt joins the *slot* its deadline rounds
up to (a whole second for limits of 5 s or more, as aiohttp rounds those too; a twentieth
of the limit below that), and one timer per slot cancels the attempts still running in it.
A limit is never cut short; it may run over by at most one slot (1 s, or 5%).
"""

from __future__ import annotations

import asyncio
import math
import sys
from typing import Any

_CEIL_AT = 5.0  # seconds: limits this long or longer round up to a whole second
_STEPS = 20  # shorter limits round up to a twentieth of themselves


class Deadlines:
    """The slots of one transport's attempts, all on the one event loop it runs on."""

    __slots__ = ("_loop", "_slots")

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop of the first attempt
        self._slots: dict[float, _Slot] = {}

    def enter(self, seconds: float) -> Deadline:
        """Bound the current task's attempt to ``seconds`` from now (``seconds`` > 0)."""
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("an attempt's deadline needs to run inside a task")
        step = 1.0 if seconds >= _CEIL_AT else seconds / _STEPS
        when = math.ceil((loop.time() + seconds) / step) * step
        slot = self._slots.get(when)
        if slot is None:
            slot = self._slots[when] = _Slot()
            loop.call_at(when, self._expire, when)
        deadline = Deadline(task, slot)
        slot.members.add(deadline)
        return deadline

    def _expire(self, when: float) -> None:
        slot = self._slots.pop(when)
        slot.fired = True
        for deadline in slot.members:
            deadline.task.cancel()


class _Slot:
    __slots__ = ("fired", "members")

    def __init__(self) -> None:
        self.fired = False
        self.members: set[Deadline] = set()


class Deadline:
    """One attempt's limit: :meth:`timed_out` when a ``CancelledError`` reaches it, and
    :meth:`leave` when it ends, however it ends."""

    __slots__ = ("_cancelling", "_slot", "task")

    def __init__(self, task: asyncio.Task[Any], slot: _Slot) -> None:
        self.task = task
        self._slot = slot
        # Cancellations already asked of the task (3.11+): what is more than these and ours
        # is someone else's, and wins.
        self._cancelling = 0
        if sys.version_info >= (3, 11):
            self._cancelling = task.cancelling()

    def timed_out(self) -> bool:
        """Whether the ``CancelledError`` being handled is this deadline's own (then it is
        taken back: the caller raises a timeout instead). False for any other cancellation,
        which must propagate."""
        if not self._slot.fired:
            return False
        if sys.version_info >= (3, 11):
            return self.task.uncancel() <= self._cancelling
        return True  # 3.10 cannot tell ours from another arriving at the same moment

    def leave(self) -> None:
        self._slot.members.discard(self)
