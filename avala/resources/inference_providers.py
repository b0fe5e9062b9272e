"""``client.inference_providers``: your model endpoints, used for auto-labelling."""

from __future__ import annotations

from typing import Any

from ..models.inference_providers import InferenceProvider, InferenceProviderTestResult
from ..pagination import AsyncPaginator
from ._base import AsyncResource, given, path


class AsyncInferenceProviders(AsyncResource):
    """Model endpoints (HTTP or SageMaker) used for pre-labelling."""

    __slots__ = ()

    def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[InferenceProvider]:
        """List inference providers.

        Returns:
            A paginator: iterate it for every provider, or call ``first_page()`` for one page.
        """
        return self._list("/inference-providers/", InferenceProvider, locals())

    async def get(self, uid: str) -> InferenceProvider:
        """Fetch an inference provider by uid.

        Raises:
            NotFoundError: no such provider.
        """
        return await self._get(path("/inference-providers/{uid}/", uid=uid), InferenceProvider)

    async def create(
        self,
        *,
        name: str,
        provider_type: str,
        config: dict[str, Any],
        description: str | None = None,
        is_active: bool | None = None,
        project: str | int | None = None,
    ) -> InferenceProvider:
        """Register a model endpoint.

        Args:
            name: Display name (1 to 255 characters).
            provider_type: ``http`` or ``sagemaker``.
            config: Connection settings: ``endpoint_url`` (and optionally ``auth_header``,
                ``auth_type``, ``headers``, ``timeout``, ``response_key``) for ``http``;
                ``endpoint_name`` and ``region`` for ``sagemaker``.
            description: Free text.
            is_active: Whether it may be used (the server's default when omitted: active).
            project: Limit it to this project. The API's reference types it as an integer id
                while the official SDK types it as text, so both are accepted and sent as
                given; the returned :attr:`~avala.models.InferenceProvider.project` is
                always text (an integer comes back as e.g. ``"42"``), where the official
                SDK fails to parse an integer.

        Raises:
            ValidationError: the server rejected a field; ``.errors`` lists them.
        """
        return await self._post("/inference-providers/", InferenceProvider, given(locals()))

    async def update(
        self,
        uid: str,
        *,
        name: str | None = None,
        description: str | None = None,
        provider_type: str | None = None,
        config: dict[str, Any] | None = None,
        is_active: bool | None = None,
        project: str | int | None = None,
    ) -> InferenceProvider:
        """Change an inference provider: only the fields given are sent (PATCH).

        Args:
            uid: The provider.
            name: New display name.
            description: New description.
            provider_type: New type (``http`` or ``sagemaker``).
            config: New connection settings (replaces the object).
            is_active: Disable (False) or enable (True).
            project: New project scope (see :meth:`create`).
        """
        return await self._patch(
            path("/inference-providers/{uid}/", uid=uid),
            InferenceProvider,
            given(locals(), "uid"),
        )

    async def delete(self, uid: str) -> None:
        """Delete an inference provider.

        Raises:
            NotFoundError: no such provider.
        """
        await self._void("DELETE", path("/inference-providers/{uid}/", uid=uid))

    async def test(self, uid: str) -> InferenceProviderTestResult:
        """Test the connection to the provider's endpoint (no body is sent).

        The provider's ``last_test_at`` and ``last_test_success`` record the outcome.

        Returns:
            The server's report as a dict, e.g. ``{"success": True, "message": ...,
            "latency_ms": 42.0, "tested_at": ...}``.
        """
        return await self._post(
            path("/inference-providers/{uid}/test/", uid=uid), InferenceProviderTestResult
        )
