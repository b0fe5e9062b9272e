"""What every closable object of the SDK shares: ``with obj:`` closes it at the end."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Self


class ClosedOnExit:
    """A mixin: ``with obj as same:`` hands back ``obj`` and calls ``obj.close()`` when the
    block ends, however it ends. Subclasses define :meth:`close`."""

    __slots__ = ()

    def close(self) -> None:
        """Release what the object holds."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
