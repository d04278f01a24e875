"""``Guard``: the action boundary for an agent written in code.

A Guard turns each tool call into an Action, has it judged (in this process by the pipeline, or by a
running ``blastdoor serve``), and only an ``allow`` lets the tool run. Fail closed exactly like the
hooks: an error, an unreadable policy, a server that does not answer in time or an approval that never
comes all end in a verdict that is not ``allow``, so the tool does not run.
"""

from __future__ import annotations

import functools
import inspect
import time
import uuid
from typing import TYPE_CHECKING, Any, TypeVar, overload

from blastdoor.sdk._backends import SDK_APPROVAL, SDK_BAD_INPUT, Local, Remote, failed
from blastdoor.sdk.actions import Hint, action_for

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from blastdoor.action import Action, Decision
    from blastdoor.services import Services

__all__ = ["Blocked", "Guard", "blocked_text"]

F = TypeVar("F", bound="Callable[..., Any]")
_CLOSED = ("denied", "expired", "cancelled", "consumed")


def blocked_text(decision: Decision) -> str:
    """What the model reads when its call did not run: the verdict, the rule and the reason."""
    from blastdoor.action.wording import blocked_message

    return blocked_message(decision, decision.request_id or None)


class Blocked(Exception):
    """A guarded tool was not run; ``decision`` says why (``str(exc)`` is the text for the model)."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(blocked_text(decision))
        self.decision = decision


def new_call_id() -> str:
    return "sdk-" + uuid.uuid4().hex


class Guard:
    """Judges an agent's tool calls. Build one with ``Guard.local(...)`` or ``Guard.remote(...)``.

    ``agent``: the agent's stable id (what the kill switch revokes); ``app``: the name its function
    tools are filed under (``mcp:<app>/<tool>``); ``harness``: the framework (``pydantic-ai``...),
    which rules can match. ``confirm(action, decision) -> bool`` answers an ``ask`` verdict (a person
    confirming in your UI); without it a local Guard turns ``ask`` into an approval request and a
    remote one blocks it.
    """

    def __init__(
        self,
        backend: Local | Remote,
        *,
        agent: str = "sdk-agent",
        app: str = "sdk",
        harness: str = "sdk",
        session: str = "",
        requester: str = "",
        cwd: str = "",
        confirm: Callable[[Action, Decision], bool] | None = None,
    ) -> None:
        self.backend = backend
        self.agent = agent
        self.app = app
        self.harness = harness
        self.session = session
        self.requester = requester
        self.cwd = cwd
        self.confirm = confirm
        self._pending: dict[str, Action] = {}

    # -- construction -----------------------------------------------------------------------------------

    @classmethod
    def local(
        cls,
        *,
        policy: str | None = None,
        store: str | None = None,
        services: Services | None = None,
        requester: str = "",
        **options: Any,
    ) -> Guard:
        """Decide in this process: ``policy`` (a file; default: the policy the hooks use for ``cwd``), the
        audit log and approvals at ``store`` (default ``$BLASTDOOR_DB`` or the default file) or the given
        ``services``. ``requester``: the person the agent acts for (default: this OS user)."""
        if not requester:
            import getpass

            requester = getpass.getuser()
        cwd = options.get("cwd") or None
        backend = Local(policy=policy, cwd=cwd, store=store, services=services)
        return cls(backend, requester=requester, **options)

    @classmethod
    def remote(
        cls, url: str = "", *, socket: str = "", token: str = "", timeout: float = 10.0, **options: Any
    ) -> Guard:
        """Ask a running ``blastdoor serve``: ``url`` with a person's API token (``blastdoor people add NAME
        --role requester``), or its unix ``socket`` (the requester is this process's OS user)."""
        return cls(Remote(url=url, socket=socket, token=token, timeout=timeout), **options)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- actions and decisions ---------------------------------------------------------------------------

    def action(
        self,
        tool: str,
        args: Mapping[str, Any],
        *,
        sql: str = "",
        shell: str = "",
        path: str = "",
        op: str = "write",
        operation: str = "",
        hint: Hint | None = None,
    ) -> Action:
        """The Action for one call of ``tool`` (see ``blastdoor.sdk.actions``); raises ValueError on bad input."""
        agent = {"id": self.agent, "harness": self.harness, "session": self.session}
        if self.requester:
            agent["on_behalf_of"] = self.requester
        chosen = hint if hint is not None else Hint(sql=sql, shell=shell, path=path, op=op)
        return action_for(tool, args, hint=chosen, operation=operation, app=self.app, agent=agent, cwd=self.cwd)

    def decide(self, action: Action, *, correlation_id: str = "", ask_as_approve: bool | None = None) -> Decision:
        """Judge and record ``action``. Never raises; only ``verdict == "allow"`` may run it.

        ``ask_as_approve``: whether an ``ask`` becomes an approval request (default: when the Guard has no
        ``confirm``; a framework with its own confirmation passes False and handles ``ask`` itself).
        """
        cid = correlation_id or new_call_id()
        ask = self.confirm is None if ask_as_approve is None else ask_as_approve
        try:
            decision = self.backend.decide(action, cid, ask_as_approve=ask)
        except Exception as exc:  # the backends never raise; a bug behind them still denies
            decision = failed("sdk.error", f"internal error: {type(exc).__name__}: {exc}")
        return self._settled(action, decision)

    async def adecide(
        self, action: Action, *, correlation_id: str = "", ask_as_approve: bool | None = None, timeout: float = 30.0
    ) -> Decision:
        """``decide`` for an event loop; a decision not made within ``timeout`` seconds is a deny."""
        import asyncio

        cid = correlation_id or new_call_id()
        ask = self.confirm is None if ask_as_approve is None else ask_as_approve
        try:
            if isinstance(self.backend, Remote):
                decision = await asyncio.wait_for(self.backend.adecide(action, cid), timeout)
            else:
                backend = self.backend
                decision = await asyncio.wait_for(
                    asyncio.to_thread(backend.decide, action, cid, ask_as_approve=ask), timeout
                )
        except TimeoutError:
            decision = failed("sdk.unreachable", f"no decision within {timeout:g} s")
        except Exception as exc:
            decision = failed("sdk.error", f"internal error: {type(exc).__name__}: {exc}")
        return self._settled(action, decision)

    def _settled(self, action: Action, decision: Decision) -> Decision:
        if decision.verdict == "ask" and self.confirm is not None:
            try:
                yes = bool(self.confirm(action, decision))
            except Exception as exc:
                return decision.with_verdict("deny", "sdk.confirm", f"the confirmation failed: {exc}")
            word = "confirmed" if yes else "declined"
            return decision.with_verdict("allow" if yes else "deny", decision.rule, f"the user {word} it")
        if decision.verdict == "approve" and decision.request_id:
            self._pending[decision.request_id] = action
        return decision

    # -- approvals ---------------------------------------------------------------------------------------

    def wait_for_approval(
        self,
        decision: Decision,
        *,
        action: Action | None = None,
        timeout: float = 300.0,
        poll: float = 0.25,
        correlation_id: str = "",
    ) -> Decision:
        """Wait until the request of an ``approve`` decision is settled; the decision to act on.

        Approved: the action is decided again, which uses the approval (once) and answers ``allow``.
        Denied, expired or cancelled: a ``deny``. Not settled within ``timeout`` seconds: the pending
        decision itself (not ``allow``: nothing runs). A remote Guard asks the server again each time
        (a requester may not read requests), backing off to one question every 5 s. ``correlation_id``:
        the id the approved call is decided (and its outcome recorded) under.
        """
        if decision.verdict != "approve":
            return decision
        rid = decision.request_id
        action = action or self._pending.get(rid)
        if not rid or action is None:
            return decision  # no request was filed (the reason says why), or not through this Guard
        deadline = time.monotonic() + timeout
        delay = poll
        while True:
            status = self.backend.request_status(rid)
            if status in _CLOSED:
                self._pending.pop(rid, None)
                return decision.with_verdict("deny", SDK_APPROVAL, f"approval request {rid} was {status}")
            if status is None or status == "approved":
                again = self.decide(action, correlation_id=correlation_id)
                if again.verdict != "approve" or again.request_id != rid:
                    self._pending.pop(rid, None)
                    if again.verdict == "approve":  # the old request closed; a new one is pending
                        return again.with_verdict("deny", SDK_APPROVAL, f"approval request {rid} was closed")
                    return again
            left = deadline - time.monotonic()
            if left <= 0:
                return decision
            time.sleep(min(delay, left))
            if isinstance(self.backend, Remote):
                delay = min(delay * 1.5, 5.0)

    async def await_approval(
        self,
        decision: Decision,
        *,
        action: Action | None = None,
        timeout: float = 300.0,
        poll: float = 0.25,
        correlation_id: str = "",
    ) -> Decision:
        """``wait_for_approval`` without blocking the event loop."""
        import asyncio

        return await asyncio.to_thread(
            self.wait_for_approval, decision, action=action, timeout=timeout, poll=poll, correlation_id=correlation_id
        )

    # -- outcomes ----------------------------------------------------------------------------------------

    def record_outcome(
        self,
        correlation_id: str,
        *,
        error: str | None = None,
        exit_code: int | None = None,
        duration_ms: float | None = None,
        wait: bool = True,
    ) -> bool:
        """Record what happened when the call decided under ``correlation_id`` ran. Never raises.

        True when recorded (or, with ``wait=False``, queued: guarded tools and the integrations queue
        outcomes so that a call does not wait for a second durable write; ``flush`` waits for them).
        A remote Guard sends it to the server (``POST /v1/outcomes``), which takes one per decision
        made for this requester.
        """
        return self.backend.record_outcome(
            correlation_id, wait=wait, error=error, exit_code=exit_code, duration_ms=duration_ms
        )

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until queued outcomes are in the audit log; False when one could not be written."""
        return self.backend.flush(timeout)

    # -- the decorator ----------------------------------------------------------------------------------

    @overload
    def tool(self, fn: F, /) -> F: ...

    @overload
    def tool(
        self,
        fn: None = None,
        /,
        *,
        name: str = "",
        operation: str = "",
        sql: str = "",
        shell: str = "",
        path: str = "",
        op: str = "write",
        wait: float = 0.0,
        on_block: str = "raise",
    ) -> Callable[[F], F]: ...

    def tool(
        self,
        fn: Any = None,
        /,
        *,
        name: str = "",
        operation: str = "",
        sql: str = "",
        shell: str = "",
        path: str = "",
        op: str = "write",
        wait: float = 0.0,
        on_block: str = "raise",
    ) -> Any:
        """Wrap a function or coroutine function as a guarded tool.

        Its bound arguments become the action's ``args``; ``sql``/``shell``/``path`` name the argument
        that is SQL, a shell line or a path. ``wait``: seconds to wait for an approval before giving up
        (0: do not wait). ``on_block``: ``"raise"`` raises ``Blocked``; ``"return"`` returns its text,
        for frameworks that hand a tool's return value to the model.
        """
        if on_block not in ("raise", "return"):
            raise ValueError(f"on_block must be 'raise' or 'return', got {on_block!r}")
        hint = Hint(sql=sql, shell=shell, path=path, op=op)

        def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
            tool_name = name or func.__name__
            signature = inspect.signature(func)

            def prepare(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Action | None, Decision | None]:
                try:
                    bound = signature.bind(*args, **kwargs)
                    bound.apply_defaults()
                    return self.action(tool_name, bound.arguments, hint=hint, operation=operation), None
                except Exception as exc:  # bad arguments or a bad hint: the tool does not run
                    return None, failed(SDK_BAD_INPUT, f"tool {tool_name!r}: {exc}")

            def refuse(decision: Decision) -> Any:
                if on_block == "return":
                    return blocked_text(decision)
                raise Blocked(decision)

            if inspect.iscoroutinefunction(func):

                @functools.wraps(func)
                async def arun(*args: Any, **kwargs: Any) -> Any:
                    action, bad = prepare(args, kwargs)
                    if action is None:
                        return refuse(bad)  # type: ignore[arg-type]
                    cid = new_call_id()
                    decision = await self.adecide(action, correlation_id=cid)
                    if decision.verdict == "approve" and wait > 0:
                        cid = new_call_id()  # the approved call is decided again, under its own id
                        decision = await self.await_approval(decision, action=action, timeout=wait, correlation_id=cid)
                    if decision.verdict != "allow":
                        return refuse(decision)
                    started = time.monotonic()
                    try:
                        result = await func(*args, **kwargs)
                    except BaseException as exc:
                        self._outcome(cid, started, error=f"{type(exc).__name__}: {exc}")
                        raise
                    self._outcome(cid, started, exit_code=0)
                    return result

                return arun

            @functools.wraps(func)
            def run(*args: Any, **kwargs: Any) -> Any:
                action, bad = prepare(args, kwargs)
                if action is None:
                    return refuse(bad)  # type: ignore[arg-type]
                cid = new_call_id()
                decision = self.decide(action, correlation_id=cid)
                if decision.verdict == "approve" and wait > 0:
                    cid = new_call_id()
                    decision = self.wait_for_approval(decision, action=action, timeout=wait, correlation_id=cid)
                if decision.verdict != "allow":
                    return refuse(decision)
                started = time.monotonic()
                try:
                    result = func(*args, **kwargs)
                except BaseException as exc:
                    self._outcome(cid, started, error=f"{type(exc).__name__}: {exc}")
                    raise
                self._outcome(cid, started, exit_code=0)
                return result

            return run

        return wrap(fn) if fn is not None else wrap

    def _outcome(self, cid: str, started: float, **outcome: Any) -> None:
        if cid:
            self.record_outcome(cid, duration_ms=(time.monotonic() - started) * 1000, wait=False, **outcome)
