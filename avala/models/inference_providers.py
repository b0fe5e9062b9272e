"""Inference provider models: your model endpoints, used for auto-labeling."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

import attrs


@attrs.frozen(kw_only=True)
class InferenceProvider:
    """A model endpoint Avala can call for predictions (HTTP or SageMaker)."""

    uid: str
    """The provider's unique id."""
    name: str
    """Display name."""
    description: str | None = None
    """Free-text description."""
    provider_type: str | None = None
    """``http`` or ``sagemaker``."""
    config: dict[str, Any] | None = None
    """Connection settings, e.g. ``endpoint_url`` or ``endpoint_name`` and ``region``."""
    is_active: bool = True
    """Whether the provider may be used."""
    project: str | None = None
    """The project it is limited to, if any. The OpenAPI page types it integer, the official
    SDK str; both parse, kept as text."""
    last_test_at: datetime | None = None
    """Time of the last connection test (timezone-aware)."""
    last_test_success: bool | None = None
    """Whether the last connection test succeeded."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


class InferenceProviderTestResult(TypedDict, total=False):
    """The outcome of testing an inference provider's connection."""

    success: bool  # whether the endpoint answered
    message: str  # a message about the outcome
    latency_ms: float  # round-trip time of the test call, in milliseconds
    tested_at: str  # when the test ran (ISO 8601 text, as the server sent it)
