"""Every model and typed dict, imported at once: ``from avala.types import Dataset``.

For code written against the official SDK, whose models live in ``avala.types``. Importing
this module loads every model module; ``avala.models`` loads them only as they are used.
"""

from __future__ import annotations

from .models import *  # noqa: F403
from .models import __all__ as __all__
