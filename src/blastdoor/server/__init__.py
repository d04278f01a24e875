"""The server (``blastdoor serve``): decisions over HTTP and a unix socket, approvals, the web inbox.

config.py   the server's settings (file, environment, flags)
state.py    what the running server holds: services, policy cache, metrics, live updates
api.py      the JSON API (openapi.yaml documents it; tests check the server against it)
web.py      the web inbox for approvers (Jinja2 templates, SSE live updates)
notify.py   webhooks on new requests (generic JSON, Slack-compatible), retried with backoff
metrics.py  Prometheus text format
app.py      the Starlette app, and serving it with uvicorn on TCP and the unix socket
"""
