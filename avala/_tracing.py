"""OpenTelemetry spans for API calls, when ``opentelemetry-api`` is installed and a tracer
provider is set; otherwise nothing is imported and nothing runs.

Each logical call is one ``CLIENT`` span named ``avala.<resource>.<method>`` (e.g.
``avala.datasets.get``), a child of the caller's current span, with the HTTP method, the
route template, the status, the number of attempts and the seconds spent waiting for
pacing or a pooled connection; each retry is a span event. Spans never carry the API key, a
signed URL, a query string or a body.
"""

from __future__ import annotations

import os
import re
import sys
from types import FrameType, TracebackType
from typing import Any

_state: dict[str, Any] = {}
_names: dict[type, str] = {}
_UNKNOWN = object()
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _otel() -> Any:
    """The ``opentelemetry.trace`` module, or None when it is not installed (looked up once)."""
    if "trace" not in _state:
        try:
            from opentelemetry import trace as module
        except ImportError:
            _state["trace"] = None
        else:
            _state["trace"] = module
        _state["from_env"] = "OTEL_PYTHON_TRACER_PROVIDER" in os.environ
    return _state["trace"]


def tracer() -> Any:
    """The SDK's tracer when spans would be recorded, else None (cheap to call per request)."""
    trace = _state.get("trace", _UNKNOWN)
    if trace is _UNKNOWN:
        trace = _otel()
    if trace is None:
        return None
    # The API's global, read directly (get_tracer_provider() costs ~1 us, three times per
    # request); None until an application sets one, unless one is named in the environment.
    if getattr(trace, "_TRACER_PROVIDER", _UNKNOWN) is None and not _state["from_env"]:
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return None  # no SDK configured: skip spans altogether
    cached = _state.get("tracer")
    if cached is None or cached[0] is not provider:
        from ._version import __version__

        cached = _state["tracer"] = (provider, provider.get_tracer("avala", __version__))
    return cached[1]


def enabled() -> bool:
    return tracer() is not None


def resource_name(resource: object) -> str:
    """``datasets``, ``fleet.devices``: the client attribute path of a resource object."""
    cls = type(resource)
    cached = _names.get(cls)
    if cached is None:
        family = cls.__module__.rsplit(".", 1)[-1]
        snake = _CAMEL.sub("_", cls.__name__.removeprefix("Async")).lower()
        nested = f"{family}.{snake.removeprefix(family + '_')}"
        cached = family if snake == family else nested
        _names[cls] = cached
    return cached


def operation(resource: object) -> str:
    """``avala.<resource>.<method>`` for the public resource method now running (found on
    the call stack: the nearest frame of ``resource`` whose function is public)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_locals.get("self") is resource and not frame.f_code.co_name.startswith("_"):
            return f"avala.{resource_name(resource)}.{frame.f_code.co_name}"
        frame = frame.f_back
    return f"avala.{resource_name(resource)}"


class Span:
    """The span of one logical call, fed by the request loop."""

    def __init__(self, tracer: Any, name: str, method: str, template: str) -> None:
        trace = _otel()
        self._cm = tracer.start_as_current_span(
            name,
            kind=trace.SpanKind.CLIENT,
            attributes={"http.request.method": method, "url.template": template},
            record_exception=False,
            set_status_on_exception=False,
        )
        self.pacing_wait = 0.0
        self.pool_wait = 0.0
        self.attempts = 0

    def __enter__(self) -> Span:
        self.span = self._cm.__enter__()
        return self

    def retry(self, attempt: int, reason: str, delay: float) -> None:
        self.span.add_event(
            "retry", {"avala.attempt": attempt, "avala.reason": reason, "avala.delay_s": delay}
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        span = self.span
        span.set_attribute("avala.attempts", self.attempts)
        span.set_attribute("avala.pacing.wait_s", round(self.pacing_wait, 6))
        span.set_attribute("avala.pool.wait_s", round(self.pool_wait, 6))
        if exc is not None:
            trace = _otel()
            status = getattr(exc, "status_code", None)
            if isinstance(status, int):
                span.set_attribute("http.response.status_code", status)
            span.set_attribute("error.type", type(exc).__name__)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
        self._cm.__exit__(exc_type, exc, tb)
