"""``client.inference_providers``: (to be written)."""

from __future__ import annotations

from ._base import AsyncResource


class AsyncInferenceProviders(AsyncResource):
    """Model endpoints (HTTP or SageMaker) used for pre-labelling."""

    __slots__ = ()
