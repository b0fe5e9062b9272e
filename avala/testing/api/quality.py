"""(to be written)"""

from __future__ import annotations

from .._schema import Endpoint, Table

TABLES: tuple[Table, ...] = ()
ENDPOINTS: tuple[Endpoint, ...] = ()
