"""Inference providers, the model endpoints used for pre-labelling (the official SDK's
``avala.types.inference_provider``; the class of :mod:`avala.models.inference_providers`).

Also here: ``InferenceProviderTestResult``, the typed dict ``inference_providers.test()``
returns (a plain dict in the official SDK).

The classes are those of ``avala.models``: ``avala.types.inference_provider.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.inference_providers import (
    InferenceProvider as InferenceProvider,
    InferenceProviderTestResult as InferenceProviderTestResult,
)

__all__ = [
    "InferenceProvider",
    "InferenceProviderTestResult",
]
