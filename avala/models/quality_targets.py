"""Quality target models: thresholds on a project's quality metrics."""

from __future__ import annotations

from datetime import datetime

import attrs


@attrs.frozen(kw_only=True)
class QualityTarget:
    """A quality target: a metric, a threshold, and who to tell when it is breached."""

    uid: str
    """The target's unique id."""
    name: str
    """Display name."""
    metric: str
    """The metric watched."""
    operator: str
    """How the metric is compared to the threshold: ``gt``, ``lt``, ``gte``, ``lte``..."""
    threshold: float
    """The threshold."""
    severity: str | None = None
    """``warning`` or ``critical``."""
    is_active: bool = True
    """Whether the target is evaluated."""
    notify_webhook: bool = True
    """Whether a breach is sent to the webhooks."""
    notify_emails: list[str] = attrs.Factory(list)
    """Addresses emailed on a breach."""
    last_evaluated_at: datetime | None = None
    """Time of the last evaluation (timezone-aware)."""
    last_value: float | None = None
    """The metric's value at the last evaluation."""
    is_breached: bool = False
    """Whether the last evaluation breached the target."""
    breach_count: int = 0
    """Number of breaches so far."""
    last_breached_at: datetime | None = None
    """Time of the last breach (timezone-aware)."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class QualityTargetEvaluation:
    """The result of evaluating one quality target now."""

    uid: str
    """The target's uid."""
    name: str
    """The target's name."""
    metric: str
    """The metric watched."""
    threshold: float
    """The threshold."""
    operator: str
    """How the metric is compared to the threshold."""
    current_value: float
    """The metric's current value."""
    is_breached: bool
    """Whether the target is breached."""
    severity: str | None = None
    """``warning`` or ``critical``."""
