"""Send ``execute_tool`` spans through the OpenTelemetry SDK (optional extra: ``blastdoor[otel]``).

The import of ``opentelemetry`` happens here and only here, when spans are sent; without the extra,
``export --format otel`` still writes OTLP/JSON (see ``blastdoor.audit.export``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.audit.export import tool_spans
from blastdoor.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable


def _value(v: dict[str, Any]) -> Any:
    if "intValue" in v:
        return int(v["intValue"])
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "arrayValue" in v:
        return [x.get("stringValue", "") for x in v["arrayValue"]["values"]]
    return v.get("stringValue", "")


def emit_spans(entries: Iterable[dict[str, Any]], tracer_provider: Any = None) -> int:
    """Record one span per decision on ``tracer_provider`` (default: the global one); returns the count."""
    try:
        from opentelemetry import trace
        from opentelemetry.trace import Status, StatusCode
    except ImportError as exc:
        raise UsageError("OpenTelemetry is not installed", hints=["pip install 'blastdoor[otel]'"]) from exc
    tracer = trace.get_tracer("blastdoor.audit", tracer_provider=tracer_provider)
    count = 0
    for s in tool_spans(entries):
        attrs = {a["key"]: _value(a["value"]) for a in s["attributes"]}
        span = tracer.start_span(
            s["name"], start_time=int(s["startTimeUnixNano"]), attributes=attrs, kind=trace.SpanKind.INTERNAL
        )
        code = s["status"]["code"]
        if code == 2:
            span.set_status(Status(StatusCode.ERROR, s["status"].get("message", "")))
        elif code == 1:
            span.set_status(Status(StatusCode.OK))
        span.end(end_time=int(s["endTimeUnixNano"]))
        count += 1
    return count
