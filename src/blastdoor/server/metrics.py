"""Prometheus text exposition (format 0.0.4) for the few series the server keeps: no client library."""

from __future__ import annotations

import bisect
import threading

# Decision latency buckets, seconds: the budget is around a millisecond.
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)

HELP = {
    "blastdoor_decisions_total": ("counter", "Decisions made, by verdict and front end."),
    "blastdoor_decision_seconds": ("histogram", "Time to decide and durably record one action."),
    "blastdoor_http_requests_total": ("counter", "HTTP requests, by route and status."),
    "blastdoor_webhook_deliveries_total": ("counter", "Webhook deliveries, by outcome."),
    "blastdoor_approvals_pending": ("gauge", "Approval requests waiting for votes."),
    "blastdoor_audit_entries": ("gauge", "Entries in the audit log."),
}


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return "{" + body + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, str], float] = {}
        self._hist: dict[str, list[int]] = {}
        self._hist_sum: dict[str, float] = {}
        self._keys: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[str, str]] = {}

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        given = (name, tuple(labels.items()))
        key = self._keys.get(given)
        if key is None:  # label sets repeat: render each once
            key = (name, _labels(labels))
            if len(self._keys) < 1024:
                self._keys[given] = key
        with self._lock:
            self._counters[key] = self._counters.get(key, 0.0) + value

    def observe(self, name: str, seconds: float) -> None:
        with self._lock:
            counts = self._hist.setdefault(name, [0] * (len(BUCKETS) + 1))
            counts[bisect.bisect_left(BUCKETS, seconds)] += 1
            self._hist_sum[name] = self._hist_sum.get(name, 0.0) + seconds

    def render(self, gauges: dict[str, float]) -> str:
        lines: list[str] = []
        with self._lock:
            names = sorted({n for n, _ in self._counters} | set(self._hist) | set(gauges))
            for name in names:
                kind, text = HELP.get(name, ("untyped", name))
                lines.append(f"# HELP {name} {text}")
                lines.append(f"# TYPE {name} {kind}")
                if name in gauges:
                    lines.append(f"{name} {gauges[name]:g}")
                for (n, labels), value in sorted(self._counters.items()):
                    if n == name:
                        lines.append(f"{name}{labels} {value:g}")
                if name in self._hist:
                    running = 0
                    for bound, count in zip((*BUCKETS, float("inf")), self._hist[name], strict=True):
                        running += count
                        le = "+Inf" if bound == float("inf") else f"{bound:g}"
                        lines.append(f'{name}_bucket{{le="{le}"}} {running}')
                    lines.append(f"{name}_sum {self._hist_sum[name]:g}")
                    lines.append(f"{name}_count {running}")
        return "\n".join(lines) + "\n"
