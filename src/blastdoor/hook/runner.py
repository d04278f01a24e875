"""One hook call, start to end: payload -> event -> decide and record -> the harness's reply.

Fail closed everywhere: malformed input, an unreadable policy, an unwritable audit log before a
non-read, a classifier exception or a timeout all answer the harness's deny with exit 2 (exit 1 would
let the tool run in most harnesses). Imports are lazy: a hook is a fresh process per tool call.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from blastdoor.adapters._base import IGNORE, POST, HookEvent, PayloadError, Reply

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from blastdoor.action import Action, Decision
    from blastdoor.adapters._base import Adapter
    from blastdoor.audit.log import AuditLog
    from blastdoor.policy.compiled import CompiledPolicy
    from blastdoor.services import Services

JSON = Any

# Pseudo-rules of decisions that mean blastdoor could not decide (as opposed to a policy's deny).
_FAILURES = frozenset({"policy.on_error", "audit.unavailable", "identity.unavailable"})


def timeout_seconds() -> float:
    """``BLASTDOOR_HOOK_TIMEOUT`` (seconds), else the default: the thin hook and this one read it alike."""
    from blastdoor.hook.wire import timeout_seconds as _seconds

    return _seconds(os.environ)


def open_services() -> Services:
    """The services the hook records to: ``$BLASTDOOR_DB`` or the default store.

    No checkpoint on close: signing would import ``cryptography`` on every tool call; the log's
    count and interval rules still checkpoint when one is due.
    """
    from blastdoor.services import open_services as _open

    return _open(checkpoint_on_close=False)


def open_audit_log() -> AuditLog:
    """The audit log alone (outcomes need nothing else)."""
    from blastdoor.services import store_url
    from blastdoor.store import open_log

    return open_log(store_url(), checkpoint_on_close=False)


class _UnavailableLog:
    """Stands in for a log that could not be opened, so recording fails the same way as a write."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def record_decision(self, action: Action, decision: Decision, *, correlation_id: str = "") -> int:
        raise self.error


def via_server(harness: str, data: bytes) -> Reply | None:
    """The running server's reply over its unix socket (``blastdoor.hook.wire``); None to decide here.

    Any failure there (no server, an error, a timeout) falls back to deciding in-process with the same
    policy and the same store.
    """
    from blastdoor.hook.wire import ask_server

    answer = ask_server(harness, data)
    if answer is None:
        return None
    code, out, err = answer
    return Reply.raw(out, code, err.decode("utf-8", "replace"))


class HookContext:
    """What one hook call runs against, when it is not this process alone (the server's case).

    ``env`` is the calling process's environment (who the user is, ``AWS_PROFILE``, ``HOME``...);
    ``services`` are shared, already open, and not closed after the call; ``policy_for(cwd, env)``
    returns the compiled policy for a working directory. ``requester``: who asks, as the server
    established it (the unix socket's peer or a token's person); it replaces whatever the payload or
    the environment claims as the action's ``on_behalf_of``.
    """

    __slots__ = ("env", "policy_for", "requester", "services")

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        services: Services | None = None,
        policy_for: Callable[[str, Mapping[str, str] | None], CompiledPolicy] | None = None,
        requester: str | None = None,
    ) -> None:
        self.env = env
        self.services = services
        self.policy_for = policy_for
        self.requester = requester


def run_hook(harness: str, data: bytes, context: HookContext | None = None) -> Reply:
    """The reply to one hook call. Never raises."""
    from blastdoor.adapters import adapter
    from blastdoor.adapters._base import reset_caller_environ, set_caller_environ

    mod = adapter(harness)
    ctx = context or HookContext()
    event_name = ""
    token = set_caller_environ(ctx.env)
    try:
        if context is None:
            remote = via_server(harness, data)
            if remote is not None:
                return remote
        import json

        try:
            payload = json.loads(data)
        except ValueError as exc:
            return mod.failure("", f"the hook input is not valid JSON: {exc}")
        if isinstance(payload, dict):
            name = payload.get("hook_event_name") or payload.get("hookEventName")
            event_name = name if isinstance(name, str) else ""
        try:
            event: HookEvent = mod.parse(payload)
        except (PayloadError, ValueError) as exc:
            return mod.failure(event_name, f"malformed hook input: {exc}")
        if event.phase == IGNORE:
            return mod.acknowledge(event)
        if event.phase == POST:
            return _record_outcome(mod, event, ctx)
        return _decide(mod, event, ctx)
    except Exception as exc:  # fail closed on anything, bugs included
        return mod.failure(event_name, f"internal error: {type(exc).__name__}: {exc}")
    finally:
        reset_caller_environ(token)


def _decide(mod: Adapter, event: HookEvent, ctx: HookContext) -> Reply:
    from blastdoor.errors import BlastdoorError
    from blastdoor.pipeline import decide_and_record

    action = event.action
    assert action is not None  # INVARIANT: parse() attaches an action to every pre-event
    if ctx.requester is not None:
        action.agent.on_behalf_of = ctx.requester
    try:
        if ctx.policy_for is not None:
            policy = ctx.policy_for(action.cwd, ctx.env)
        else:
            from blastdoor.policy import load_policy

            policy = load_policy(action.cwd or None, environ=ctx.env)
    except BlastdoorError as exc:
        return mod.failure(event.name, f"the policy cannot be loaded: {exc.message}")
    home = ctx.env.get("HOME") if ctx.env is not None else None
    services = ctx.services
    owned = services is None
    try:
        if services is None:
            services = open_services()
        _, decision = decide_and_record(
            policy,
            action,
            services.log,
            event.call_id,
            approvals=services.approvals,
            agents=services.agents,
            environ=ctx.env,
            home=home,
            break_glass=services.break_glass,
        )
    except Exception as exc:  # the store cannot be opened: recording fails, so only a plain read passes
        _, decision = decide_and_record(policy, action, _UnavailableLog(exc), event.call_id, environ=ctx.env, home=home)
    finally:
        if owned and services is not None:
            try:
                services.close()
            except Exception as exc:  # a close that fails after a durable append loses nothing
                print(f"blastdoor: closing the audit log: {exc}", file=sys.stderr)
    if decision.verdict == "deny" and decision.rule in _FAILURES:
        # blastdoor itself failed (a classifier bug, the audit log): the harness's block, exit 2.
        return mod.failure(event.name, decision.reason)
    return mod.answer(event, decision, decision.request_id or None)


def _record_outcome(mod: Adapter, event: HookEvent, ctx: HookContext) -> Reply:
    try:
        if ctx.services is not None and ctx.requester is not None:
            # On the server, as ``POST /v1/outcomes``: a caller never writes what happened into a call
            # that was decided for someone else (a guessed or copied tool-use id).
            owner = ctx.services.log.requester_of(event.call_id)
            if owner is not None and owner != ctx.requester:
                ack = mod.acknowledge(event)
                why = f"the outcome of `{event.call_id}` was not recorded: its decision was not made for you"
                return Reply(ack.stdout, 2, f"blastdoor: {why}")
        if ctx.services is not None:
            ctx.services.log.record_outcome(
                event.call_id,
                exit_code=event.exit_code,
                error=event.error,
                duration_ms=event.duration_ms,
                extra=event.extra or None,
            )
        else:
            log = open_audit_log()
            try:
                log.record_outcome(
                    event.call_id,
                    exit_code=event.exit_code,
                    error=event.error,
                    duration_ms=event.duration_ms,
                    extra=event.extra or None,
                )
            finally:
                log.close()
    except Exception as exc:
        ack = mod.acknowledge(event)
        return Reply(ack.stdout, 2, f"blastdoor: the outcome could not be recorded in the audit log: {exc}")
    return mod.acknowledge(event)


class Watchdog:
    """Answers deny (exit 2) if the hook has not replied within ``seconds``.

    A daemon thread rather than SIGALRM: a signal handler runs only between bytecodes of the main
    thread, while a thread also fires when the main thread waits in C (a locked database, a slow parse
    that releases the GIL). It writes with ``os.write`` and leaves with ``os._exit`` so that nothing of
    the stuck main thread can run after it.
    """

    def __init__(self, seconds: float, reply: Reply) -> None:
        import threading

        self._lock = threading.Lock()
        self._done = False
        self._reply = reply
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def finish(self) -> bool:
        """Claim the right to reply; False when the watchdog already answered."""
        with self._lock:
            if self._done:
                return False
            self._done = True
        self._timer.cancel()
        return True

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
            write_reply(self._reply)
            os._exit(2)


def write_reply(reply: Reply) -> None:
    """Print a reply with raw writes (safe from the watchdog thread)."""
    out = reply.stdout_text().encode()
    if out:
        os.write(1, out)
    if reply.stderr:
        os.write(2, (reply.stderr.rstrip("\n") + "\n").encode())


def main(harness: str) -> int:
    """``blastdoor hook <harness>``: stdin -> reply; the exit code is the reply's."""
    from blastdoor.adapters import adapter

    mod = adapter(harness)
    seconds = timeout_seconds()
    dog = Watchdog(seconds, mod.failure("", f"no decision within {seconds:g} s"))
    dog.start()
    try:
        data = sys.stdin.buffer.read()
        reply = run_hook(harness, data)
    except BaseException as exc:  # even KeyboardInterrupt must not leave the harness without a deny
        reply = mod.failure("", f"internal error: {type(exc).__name__}")
    if not dog.finish():
        return 2
    write_reply(reply)
    return reply.exit_code
