"""Where a Guard's decisions are made: in this process, or by a running ``blastdoor serve``.

Both answer with a Decision and never raise: anything that goes wrong (an unreadable policy, a store
that cannot be written, a server that does not answer in time, an answer that cannot be read) is a
``deny`` whose reason says what happened, the same answer a hook gives.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.action import Action, Decision
    from blastdoor.policy.compiled import CompiledPolicy
    from blastdoor.services import Services

# Pseudo-rules of the verdicts a Guard sets itself.
SDK_ERROR = "sdk.error"  # the decision could not be made: fail closed
SDK_UNREACHABLE = "sdk.unreachable"  # the server did not answer (in time)
SDK_BAD_INPUT = "sdk.bad_input"  # the tool call could not be turned into an action
SDK_APPROVAL = "sdk.approval"  # the approval request was closed without approval, or not awaited

POLICY_TTL = 1.0  # seconds a loaded policy is used before its files are looked at again


def failed(rule: str, reason: str, digest: str = "") -> Decision:
    from blastdoor.action import Decision

    return Decision("deny", rule, reasons=(reason,), action_digest=digest)


class Local:
    """Decides with the pipeline in this process, on the services of one store (the hooks' store by default)."""

    supports_ask_as_approve = True

    def __init__(
        self,
        *,
        policy: str | None = None,
        cwd: str | None = None,
        store: str | None = None,
        services: Services | None = None,
    ) -> None:
        self._policy_file = policy
        self._cwd = cwd
        self._store = store
        self._services = services
        self._owns_services = services is None
        self._policy: CompiledPolicy | None = None
        self._loaded = 0.0
        self._stamp: tuple[int, int] = (0, 0)  # the policy file's (mtime_ns, size) when compiled
        self._outcomes: list[Any] = []  # futures of outcomes being appended

    def services(self) -> Services:
        if self._services is None:
            from blastdoor.services import open_services

            self._services = open_services(self._store)
        return self._services

    def policy(self) -> CompiledPolicy:
        now = time.monotonic()
        if self._policy is None or now - self._loaded > POLICY_TTL:
            from blastdoor.policy import compile_files, load_policy

            if self._policy_file:
                st = os.stat(self._policy_file)
                if self._policy is None or (st.st_mtime_ns, st.st_size) != self._stamp:
                    self._policy = compile_files([self._policy_file])
                    self._stamp = (st.st_mtime_ns, st.st_size)
            else:
                self._policy = load_policy(self._cwd)
            self._loaded = now
        return self._policy

    def decide(self, action: Action, correlation_id: str, *, ask_as_approve: bool) -> Decision:
        try:
            policy = self.policy()
        except Exception as exc:  # an invalid or unreadable policy: nothing but a deny
            return failed(SDK_ERROR, f"the policy cannot be loaded: {exc}")
        try:
            from blastdoor.pipeline import decide_and_record

            s = self.services()
            _, decision = decide_and_record(
                policy,
                action,
                s.log,
                correlation_id,
                approvals=s.approvals,
                agents=s.agents,
                ask_as_approve=ask_as_approve,
                break_glass=s.break_glass,
            )
            return decision
        except Exception as exc:  # the pipeline never raises; a store that cannot open does
            return failed(SDK_ERROR, f"internal error: {type(exc).__name__}: {exc}")

    def request_status(self, request_id: str) -> str | None:
        """The approval request's status (``pending``, ``approved``, ``denied``...); None when unreadable."""
        try:
            return str(self.services().approvals.get(request_id).status)
        except Exception:
            return None

    def record_outcome(self, correlation_id: str, *, wait: bool = True, **outcome: Any) -> bool:
        """Append the outcome; ``wait=False`` queues it for the log's writer thread (see ``flush``)."""
        try:
            log = self.services().log
            if wait:
                log.record_outcome(correlation_id, **outcome)
                return True
            from blastdoor.audit.events import outcome_event

            self._outcomes = [f for f in self._outcomes if not f.done()]
            self._outcomes.append(log.submit(outcome_event(correlation_id, **outcome)))
            return True
        except Exception:
            return False

    def flush(self, timeout: float) -> bool:
        """Wait until the queued outcomes are durable; False when one failed or time ran out."""
        import concurrent.futures

        pending, self._outcomes = self._outcomes, []
        try:
            for future in concurrent.futures.as_completed(pending, timeout=timeout):
                future.result()
        except Exception:
            return False
        return True

    def close(self) -> None:
        self.flush(10.0)
        if self._owns_services and self._services is not None:
            self._services.close()
            self._services = None


class Remote:
    """Asks ``POST /v1/decide`` of a running server, over TCP with a person's API token or over its unix socket.

    The server establishes who asks (the token's person, or the socket's peer user) and applies its
    own policy; the caller's claims about itself do not count.
    """

    supports_ask_as_approve = False

    def __init__(self, *, url: str = "", socket: str = "", token: str = "", timeout: float = 10.0) -> None:
        if not url and not socket:
            raise ValueError("a remote Guard needs the server's url or its unix socket")
        self.base = url.rstrip("/") if url else "http://blastdoor"
        self.socket = socket
        self.headers = {"authorization": f"Bearer {token}"} if token else {}
        self.timeout = timeout
        self._client: Any = None
        self._aclient: Any = None
        self._sender: Any = None  # the thread queued outcomes are sent from
        self._outcomes: list[Any] = []  # their futures

    def _body(self, action: Action, correlation_id: str) -> dict[str, Any]:
        return {"action": action.to_dict(), "correlation_id": correlation_id}

    def _read(self, status: int, payload: Any) -> Decision:
        from blastdoor.action import Decision

        if status != 200:
            error = payload.get("error", {}) if isinstance(payload, dict) else {}
            message = error.get("message") if isinstance(error, dict) else None
            return failed(SDK_ERROR, f"the server refused the decision ({status}): {message or payload!r}")
        try:
            return Decision.from_dict(payload["decision"])
        except Exception as exc:
            return failed(SDK_ERROR, f"the server's answer cannot be read: {type(exc).__name__}: {exc}")

    def decide(self, action: Action, correlation_id: str, *, ask_as_approve: bool) -> Decision:
        import httpx

        try:
            r = self._http().post("/v1/decide", json=self._body(action, correlation_id), timeout=self.timeout)
            return self._read(r.status_code, _json(r))
        except httpx.TimeoutException:
            return failed(SDK_UNREACHABLE, f"the blastdoor server did not answer within {self.timeout:g} s")
        except Exception as exc:
            return failed(SDK_UNREACHABLE, f"the blastdoor server cannot be reached: {type(exc).__name__}: {exc}")

    async def adecide(self, action: Action, correlation_id: str) -> Decision:
        import httpx

        try:
            if self._aclient is None:
                transport = httpx.AsyncHTTPTransport(uds=self.socket) if self.socket else None
                self._aclient = httpx.AsyncClient(base_url=self.base, transport=transport, headers=self.headers)
            r = await self._aclient.post("/v1/decide", json=self._body(action, correlation_id), timeout=self.timeout)
            return self._read(r.status_code, _json(r))
        except httpx.TimeoutException:
            return failed(SDK_UNREACHABLE, f"the blastdoor server did not answer within {self.timeout:g} s")
        except Exception as exc:
            return failed(SDK_UNREACHABLE, f"the blastdoor server cannot be reached: {type(exc).__name__}: {exc}")

    def request_status(self, request_id: str) -> str | None:
        return None  # a requester may not read requests: the Guard asks again instead

    def record_outcome(self, correlation_id: str, *, wait: bool = True, **outcome: Any) -> bool:
        """``POST /v1/outcomes``; ``wait=False`` sends it from a worker thread (see ``flush``)."""
        body = {"correlation_id": correlation_id, **{k: v for k, v in outcome.items() if v is not None}}
        if wait:
            return self._send_outcome(body)
        try:
            if self._sender is None:
                import concurrent.futures

                self._sender = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="blastdoor-outcomes")
            self._outcomes = [f for f in self._outcomes if not f.done()]
            self._outcomes.append(self._sender.submit(self._send_outcome, body))
            return True
        except Exception:
            return False

    def _send_outcome(self, body: dict[str, Any]) -> bool:
        try:
            r = self._http().post("/v1/outcomes", json=body, timeout=self.timeout)
            return bool(r.status_code == 201)
        except Exception:
            return False

    def _http(self) -> Any:
        import httpx

        if self._client is None:
            transport = httpx.HTTPTransport(uds=self.socket) if self.socket else None
            self._client = httpx.Client(base_url=self.base, transport=transport, headers=self.headers)
        return self._client

    def flush(self, timeout: float) -> bool:
        """Wait until the queued outcomes are sent; False when one was refused or time ran out."""
        import concurrent.futures

        pending, self._outcomes = self._outcomes, []
        try:
            return all(f.result() for f in concurrent.futures.as_completed(pending, timeout=timeout))
        except Exception:
            return False

    def close(self) -> None:
        self.flush(self.timeout)
        if self._sender is not None:
            self._sender.shutdown(wait=True)
            self._sender = None
        if self._client is not None:
            self._client.close()
            self._client = None
        self._aclient = None  # an AsyncClient is closed by aclose() in its own loop; dropped here


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"error": {"message": response.text[:200]}}
