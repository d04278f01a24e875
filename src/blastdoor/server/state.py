"""What the running server holds: the services, the policy cache, metrics, notifications, live updates.

``decide`` runs in the event loop and awaits its audit append, which the log's writer thread commits
together with the appends of concurrent requests (one durable commit), so latency stays near one
commit while throughput grows with concurrency; blocking steps (approvals, judging on a networked
store) go to the decision threads. ``hook`` runs the blocking hook pipeline on those threads.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from blastdoor.server.auth import TokenCache
from blastdoor.server.metrics import Metrics
from blastdoor.server.notify import Notifier

T = TypeVar("T")

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from blastdoor.action import Action, Decision
    from blastdoor.adapters._base import Reply
    from blastdoor.approvals import Request
    from blastdoor.approvals.break_glass import Glass
    from blastdoor.policy.compiled import CompiledPolicy
    from blastdoor.server.config import ServerConfig
    from blastdoor.services import Services

DECISION_THREADS = 32

# How long a compiled policy is reused before the files are looked at again (a policy edit takes
# effect within this time; the compiled cache makes the look cheap).
POLICY_TTL = 1.0


# Inputs up to this many characters are judged in the event loop (microseconds); larger ones go to a
# decision thread, so one big request never queues the small decisions behind it.
JUDGE_IN_LOOP_MAX = 2048


def judge_in_loop(action: Action) -> bool:
    """Whether ``action`` is small enough to classify and decide in the event loop's own thread."""
    return not action.args and not action.parts and len(action.raw) + len(action.command) <= JUDGE_IN_LOOP_MAX


class ServerState:
    def __init__(self, config: ServerConfig, services: Services) -> None:
        self.config = config
        self.services = services
        self.metrics = Metrics()
        self.notifier = Notifier(config.webhooks, config.public_url, self.metrics)
        self.started = time.time()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: set[asyncio.Queue[str]] = set()
        self._policies: dict[tuple[str, ...], tuple[float, CompiledPolicy]] = {}
        self._policy_lock = threading.Lock()
        self._environ: tuple[float, dict[str, str]] | None = None
        self.secret = _session_secret()
        self.tokens = TokenCache()
        services.approvals.on_filed = self._request_filed
        services.agents.remember()  # decisions read one counter, not the identity tables (identity/remember.py)
        services.break_glass.on_change = self._break_glass_changed
        # The decision path's own threads: a plain executor hands work over with less overhead than
        # anyio's to_thread, and enough threads let the audit log's group commit fill its batches.
        self._workers = ThreadPoolExecutor(max_workers=DECISION_THREADS, thread_name_prefix="blastdoor-decide")
        # Judging reads the agent's status: in the loop's own thread only from an embedded store.
        self._judge_here = bool(getattr(services.store, "embedded", False))

    async def in_worker(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a decision thread and wait for it without blocking the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._workers, fn, *args)

    def close(self) -> None:
        self._workers.shutdown(wait=True)

    # -- policy ------------------------------------------------------------------------------------

    def policy_for(self, cwd: str, env: Mapping[str, str] | None = None) -> CompiledPolicy:
        """The effective policy for ``cwd``: the operator's, never the caller's.

        The layers are chosen by the server's configuration and its own environment (managed, project
        and user files, ``BLASTDOOR_*_POLICY``, its ``HOME``) plus the project file found upward from
        ``cwd`` when the configuration names none. ``env``, the caller's environment, is accepted for
        the signature's sake and never read: a forwarded ``BLASTDOOR_POLICY`` chooses nothing, and a
        forwarded environment that lacks one drops no layer.
        """
        from blastdoor.policy import load_policy

        project = self.config.policy or None
        key = (cwd,)
        now = time.monotonic()
        hit = self._policies.get(key)
        if hit is not None and now - hit[0] < POLICY_TTL:
            return hit[1]
        with self._policy_lock:
            policy = load_policy(cwd or None, project=project, environ=os.environ)
            if len(self._policies) > 256:
                self._policies.clear()
            self._policies[key] = (now, policy)
        return policy

    def own_environ(self) -> Mapping[str, str]:
        """The server's own environment as a plain dict, copied again at most every ``POLICY_TTL``.

        Classification looks variables up dozens of times a decision; each lookup in ``os.environ``
        encodes and decodes (measured: ~8% of a decision). A change to the server's environment is
        seen as a policy edit is, within a second.
        """
        now = time.monotonic()
        copied = self._environ
        if copied is None or now - copied[0] >= POLICY_TTL:
            copied = self._environ = (now, dict(os.environ))
        return copied[1]

    # -- deciding (worker threads) -------------------------------------------------------------------

    async def decide(
        self, action: Action, correlation_id: str, environ: Mapping[str, str] | None = None
    ) -> tuple[Action, Decision]:
        """Decide and record in the event loop; only blocking work goes to a decision thread."""
        from blastdoor.pipeline import decide_and_record_async

        started = time.perf_counter()
        env = environ if environ is not None else self.own_environ()
        services = self.services
        policy = self.policy_for(action.cwd, env)
        classified, decision = await decide_and_record_async(
            policy,
            action,
            services.log,
            correlation_id,
            offload=self.in_worker,
            judge_here=self._judge_here and judge_in_loop(action),
            approvals=services.approvals,
            agents=services.agents,
            environ=env,
            home=env.get("HOME"),
            break_glass=services.break_glass,
        )
        self.metrics.observe("blastdoor_decision_seconds", time.perf_counter() - started)
        self.metrics.inc("blastdoor_decisions_total", verdict=decision.verdict, front="api")
        return classified, decision

    def hook(self, harness: str, data: bytes, environ: Mapping[str, str] | None, requester: str) -> Reply:
        """One hook call for a thin client or an HTTP hook; ``requester`` is who asks (``auth.Caller``)."""
        from blastdoor.hook.runner import HookContext, run_hook

        started = time.perf_counter()
        context = HookContext(env=environ, services=self.services, policy_for=self.policy_for, requester=requester)
        reply = run_hook(harness, data, context)
        self.metrics.observe("blastdoor_decision_seconds", time.perf_counter() - started)
        self.metrics.inc("blastdoor_decisions_total", verdict=f"exit-{reply.exit_code}", front=f"hook:{harness}")
        return reply

    # -- live updates ----------------------------------------------------------------------------------

    def _request_filed(self, request: Request) -> None:
        """Called in a worker thread when a request is filed: notify, and tell open inboxes."""
        loop = self.loop
        if loop is None:
            return
        loop.call_soon_threadsafe(self.notifier.request_filed, request)
        self.publish(f"filed {request.id}")

    def _break_glass_changed(self, kind: str, glass: Glass) -> None:
        """Called in a worker thread after each break-glass change: notify loudly, tell open pages."""
        loop = self.loop
        if loop is None:
            return
        loop.call_soon_threadsafe(self.notifier.break_glass, kind, glass)
        self.publish(f"{kind} {glass.id}")

    def publish(self, message: str) -> None:
        """Tell every live inbox that something changed (thread-safe)."""
        loop = self.loop
        if loop is None:
            return
        loop.call_soon_threadsafe(self._fan_out, message)

    def _fan_out(self, message: str) -> None:
        for queue in list(self._subscribers):
            if queue.qsize() < 100:
                queue.put_nowait(message)

    def subscribe(self) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str]) -> None:
        self._subscribers.discard(queue)

    def fingerprint(self) -> tuple[Any, ...]:
        """A cheap summary of approval state: another process's votes change it too."""
        rows = self.services.store.read(
            "SELECT COUNT(*), MAX(created), MAX(closed), (SELECT COUNT(*) FROM approval_vote) FROM approval_request"
        )
        agents = self.services.store.read("SELECT COUNT(*), MAX(changed) FROM agent_status")
        return (*rows[0], *agents[0])

    def gauges(self) -> dict[str, float]:
        pending = self.services.store.read("SELECT COUNT(*) FROM approval_request WHERE status = 'pending'")
        return {
            "blastdoor_approvals_pending": float(pending[0][0]),
            "blastdoor_audit_entries": float(self.services.log.size()),
        }


def _session_secret() -> bytes:
    """The key that signs web sessions: a 0600 file beside the store, made on first use."""
    import secrets

    from blastdoor.paths import data_dir

    path = os.path.join(data_dir(), "server.secret")
    try:
        with open(path, "rb") as fh:
            secret = fh.read()
        if len(secret) >= 32:
            return secret
    except OSError:
        pass
    secret = secrets.token_bytes(32)
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secret)
    except OSError:
        pass  # sessions then last as long as this process
    return secret
