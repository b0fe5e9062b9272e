"""The Avala API as the test server serves it: one module per resource family, each a list of
table descriptions (``TABLES``, in seed order) and endpoint descriptions (``ENDPOINTS``)."""

from __future__ import annotations

from .._schema import Endpoint, Table
from . import (
    account,
    agents,
    annotation_issues,
    auto_label_jobs,
    bulk_edit,
    datasets,
    fleet,
    fleet_managed,
    fleet_uploads,
    inference_providers,
    organizations,
    projects,
    quality,
    slices,
    storage_configs,
    uploads,
    webhooks,
)

FAMILIES = (
    account,
    organizations,
    datasets,
    projects,
    storage_configs,
    agents,
    inference_providers,
    auto_label_jobs,
    quality,
    webhooks,
    slices,
    annotation_issues,
    bulk_edit,
    fleet,
    uploads,
    fleet_uploads,
    fleet_managed,
)

TABLES: tuple[Table, ...] = tuple(t for family in FAMILIES for t in family.TABLES)
ENDPOINTS: tuple[Endpoint, ...] = tuple(e for family in FAMILIES for e in family.ENDPOINTS)

__all__ = ["ENDPOINTS", "FAMILIES", "TABLES"]
