"""``avala.async_signup`` / ``avala.signup``: create an account, no API key needed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._config import check_max_retries, resolve_base_url, to_timeout
from ._transport import RequestOptions, Transport

if TYPE_CHECKING:
    from .models.signup import SignupResponse

__all__ = ["async_signup"]


async def async_signup(
    *,
    email: str,
    password: str,
    first_name: str | None = None,
    last_name: str | None = None,
    base_url: str | None = None,
    timeout: float = 30.0,
) -> SignupResponse:
    """Create an Avala account and its first API key.

    No key is sent. The base URL follows the clients' rules (``base_url=``, else
    ``AVALA_BASE_URL``, else the default; https only, http for localhost with
    ``AVALA_ALLOW_INSECURE_BASE_URL=true``). The API allows about 5 sign-ups a minute per
    address; a 429 is retried only when the server says when (``Retry-After``).

    Args:
        email: The new account's email.
        password: Its password.
        first_name: Given name.
        last_name: Family name.
        base_url: The API root.
        timeout: Seconds for the whole call.

    Returns:
        The new user and ``api_key`` (kept out of the result's ``repr``): store the key now,
        it is shown only once.

    Raises:
        ValidationError: a field was rejected (``.errors``), e.g. the email is taken.
        ForbiddenError: sign-ups are closed for this deployment.
        ConfigurationError: the base URL is invalid (before any request).
    """
    from ._serde import structure  # imported on use: cattrs is not needed at import time
    from .models.signup import SignupResponse

    url = resolve_base_url(base_url)
    options = RequestOptions(to_timeout(timeout), check_max_retries(2))
    transport = Transport(url, None, None, options)
    payload = {"email": email, "password": password}
    if first_name is not None:
        payload["first_name"] = first_name
    if last_name is not None:
        payload["last_name"] = last_name
    try:
        response = await transport.request("POST", "/signup/", options, json_body=payload)
    finally:
        await transport.close()
    return structure(response.data, SignupResponse)
