"""`blastdoor proxy`: what judging and recording each request adds, against the upstream direct.

    .venv/bin/python bench/proxy.py [--quick] [--runs N]

A real upstream (Starlette under uvicorn) and the proxy (uvicorn, SQLite store, durable audit append,
credential verified on every request) in this process's threads; one keep-alive client each, requests
interleaved. ``proxy_added_*`` is the proxied time minus the direct time at that percentile. The last
line is one JSON object.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _util import finish, summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="200 requests instead of 1000")
    ap.add_argument("--runs", type=int, default=0)
    opts = ap.parse_args()
    runs = opts.runs or (200 if opts.quick else 1000)
    import httpx
    from tests.identity.test_proxy import POLICY, Running, shop

    from blastdoor.policy.compile import compile_sources
    from blastdoor.policy.layers import Source
    from blastdoor.server.proxy import build_proxy
    from blastdoor.services import open_services

    with tempfile.TemporaryDirectory() as tmp:
        policy = compile_sources([Source("project", "<bench>", POLICY)], home=tmp)
        with open_services(os.path.join(tmp, "b.db"), key_path=os.path.join(tmp, "audit.key")) as svc:
            token = svc.agents.credentials.enrol("bench-agent", by="bench").token
            upstream = Running(shop())
            proxy = Running(build_proxy(upstream.url, policy, svc))
            times: dict[str, list[float]] = {"direct": [], "proxied": []}
            try:
                with httpx.Client(base_url=upstream.url) as direct, httpx.Client(base_url=proxy.url) as proxied:
                    who = {"Blastdoor-Agent-Credential": token}
                    for _ in range(20):
                        direct.get("/orders/1")
                        assert proxied.get("/orders/1", headers=who).status_code == 200
                    for i in range(runs):
                        t0 = time.perf_counter()
                        direct.get(f"/orders/{i}")
                        times["direct"].append((time.perf_counter() - t0) * 1000)
                        t0 = time.perf_counter()
                        proxied.get(f"/orders/{i}", headers=who)
                        times["proxied"].append((time.perf_counter() - t0) * 1000)
            finally:
                proxy.stop()
                upstream.stop()
    d, p = summary(times["direct"]), summary(times["proxied"])
    print(f"direct  p50 {d['p50']:.2f} ms  p99 {d['p99']:.2f} ms")
    print(f"proxied p50 {p['p50']:.2f} ms  p99 {p['p99']:.2f} ms")
    finish(
        {
            "runs": runs,
            "direct_p50_ms": round(d["p50"], 3),
            "proxied_p50_ms": round(p["p50"], 3),
            "proxy_added_p50_ms": round(p["p50"] - d["p50"], 3),
            "proxy_added_p99_ms": round(p["p99"] - d["p99"], 3),
        }
    )


if __name__ == "__main__":
    main()
