"""Task leases: just-in-time scope. A lease narrows (never widens) what one agent may do, for one task.

``grant`` records a lease: the task, the scope (the policy's own matchers, each read as an ``allow``
rule reads them), the verdict for anything outside it (``otherwise``, default ask) and an expiry. A
lease whose scope reaches production (an environment named ``prod*``/``production*``, or no environment
at all) or that asks for approvals waits for them: it files an ordinary approval request (the inbox,
``blastdoor approvals approve``) and becomes active when that request is approved. Leases expire on
their own, are revoked by a person or with the agent, and every change is an audit event.

The pipeline reads the agent's active leases on each decision (one indexed read; ``active_for``).
``$BLASTDOOR_LEASE`` binds a harness session to one lease: only it applies, and when it is not active
anything but a plain read gets its ``otherwise``.
"""

from __future__ import annotations

import json
import secrets
import time

from blastdoor.errors import InputError, NotFound

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from blastdoor.approvals.requests import EventLog, StateStore
    from blastdoor.policy.compiled import Rule

ENV_LEASE = "BLASTDOOR_LEASE"
PENDING = "pending"  # waiting for its approval request
ACTIVE = "active"
EXPIRED = "expired"
REVOKED = "revoked"
DENIED = "denied"  # its approval request was denied or expired
PRODUCTION = ("prod", "production")  # environments whose scope needs approval (globs in a lease match them)
VERDICTS = ("ask", "approve", "deny")
MAX_TTL = 7 * 86400

LEASE_REQUESTED = "lease.requested"
LEASE_GRANTED = "lease.granted"
LEASE_EXPIRED = "lease.expired"
LEASE_REVOKED = "lease.revoked"
LEASE_DENIED = "lease.denied"

_COLUMNS = (
    "id, agent_id, task, scope, otherwise, status, requested_by, request_id, created, expires, changed_by, reason"
)


class Lease:
    __slots__ = (
        "agent_id",
        "changed_by",
        "created",
        "expires",
        "id",
        "otherwise",
        "reason",
        "request_id",
        "requested_by",
        "scope",
        "status",
        "task",
    )

    def __init__(self, row: tuple[Any, ...]) -> None:
        (
            self.id,
            self.agent_id,
            self.task,
            scope,
            self.otherwise,
            self.status,
            self.requested_by,
            self.request_id,
            created,
            expires,
            self.changed_by,
            self.reason,
        ) = (str(v) if isinstance(v, str) else v for v in row)
        self.scope: list[dict[str, Any]] = json.loads(scope)
        self.created = float(created)
        self.expires = float(expires)

    def to_dict(self) -> dict[str, Any]:
        from blastdoor.audit.events import format_time

        out = {k: getattr(self, k) for k in self.__slots__}
        out["created"] = format_time(int(self.created * 1e9))
        out["expires"] = format_time(int(self.expires * 1e9))
        return out


def needs_approval(scope: list[dict[str, Any]]) -> bool:
    """True when the scope reaches production: a matcher without ``env`` or with one matching prod."""
    from blastdoor.policy.glob import value_matcher

    for m in scope:
        envs = m.get("env")
        if envs is None:
            return True
        for pattern in envs if isinstance(envs, list) else [envs]:
            if any(value_matcher(str(pattern))(p) for p in PRODUCTION) or str(pattern).startswith(PRODUCTION):
                return True
    return False


class Leases:
    def __init__(self, store: StateStore, log: EventLog, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        self._scopes: dict[str, tuple[Rule, ...]] = {}  # lease id -> compiled scope (a lease never changes)

    # -- granting ------------------------------------------------------------------------------------

    def grant(
        self,
        agent_id: str,
        task: str,
        allow: list[dict[str, Any]],
        *,
        by: str,
        envs: list[str] | None = None,
        ttl: int = 3600,
        otherwise: str = "ask",
        approvals: int = 0,
    ) -> Lease:
        """Record a lease; active now, or pending its approval request (production scope, ``approvals``)."""
        from blastdoor.policy.leases import check_matchers, compile_scope

        if not agent_id:
            raise InputError("a lease needs an agent (--agent)")
        if not task.strip():
            raise InputError("a lease needs a task (--task): what the agent is doing, for the log and approvers")
        if not allow:
            raise InputError("a lease needs a scope: at least one --allow matcher")
        if otherwise not in VERDICTS:
            raise InputError(f"--otherwise must be one of {', '.join(VERDICTS)} (a lease never allows more)")
        if not 0 < ttl <= MAX_TTL:
            raise InputError(f"a lease lasts between 1 s and {MAX_TTL // 86400} days (--ttl)")
        if approvals < 0:
            raise InputError("--approvals must be 0 or more")
        check_matchers(allow)
        scope = [{**m, "env": envs} if envs and "env" not in m else dict(m) for m in allow]
        compile_scope(scope, "/")  # refuses what the engine could not read (a bad regex...) before recording
        lease_id = "L-" + secrets.token_hex(4)
        now = self.clock()
        wide = approvals > 0 or needs_approval(scope)
        request_id = ""
        if wide:
            request_id = self._file_request(lease_id, agent_id, task, scope, by, ttl, max(1, approvals))
        status = PENDING if wide else ACTIVE
        self.log.append(self._event(LEASE_REQUESTED if wide else LEASE_GRANTED, lease_id, agent_id, by, task, scope))
        with self.store.write() as tx:
            tx.execute(
                f"INSERT INTO agent_lease ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    lease_id,
                    agent_id,
                    task,
                    json.dumps(scope),
                    otherwise,
                    status,
                    by,
                    request_id,
                    now,
                    now + ttl,
                    by,
                    "",
                ),
            )
        return self.get(lease_id)

    def _request_action(self, lease_id: str, agent_id: str, task: str, scope: list[dict[str, Any]], by: str) -> Any:
        from blastdoor.action import Action, Agent

        envs = sorted({str(e) for m in scope for e in (m.get("env") or ["*"])})
        return Action(
            "blastdoor",
            "lease:grant",
            raw=f"lease {lease_id} for {agent_id}: {task} (scope {json.dumps(scope)})",
            args={"lease": lease_id, "task": task, "scope": scope},
            agent=Agent(agent_id, "blastdoor", on_behalf_of=by),
            effects=("privilege",),
            env=",".join(envs),
        )

    def _file_request(
        self, lease_id: str, agent_id: str, task: str, scope: list[dict[str, Any]], by: str, ttl: int, count: int
    ) -> str:
        from blastdoor.action import Approvals as Required
        from blastdoor.action import Decision
        from blastdoor.approvals import Approvals

        action = self._request_action(lease_id, agent_id, task, scope, by)
        reason = f"a lease for {agent_id} reaches production: {task}"
        decision = Decision("approve", "lease.scope", reasons=(reason,), approvals=Required(count, "", min(ttl, 86400)))
        return str(Approvals(self.store, self.log, clock=self.clock).file(action, decision).id)

    def _event(
        self, kind: str, lease_id: str, agent_id: str, by: str, task: str, scope: Any = None, reason: str = ""
    ) -> dict[str, Any]:
        from blastdoor.audit.events import VERSION

        event: dict[str, Any] = {"v": VERSION, "kind": kind, "agent_id": agent_id, "lease": lease_id, "task": task}
        event.update({"by": by, "reason": reason})
        if scope is not None:
            event["scope"] = scope
        return event

    # -- ending --------------------------------------------------------------------------------------

    def revoke(self, lease_id: str, *, by: str, reason: str = "") -> Lease:
        lease = self.get(lease_id)
        if lease.status not in (ACTIVE, PENDING):
            raise InputError(f"lease {lease_id} is {lease.status}, not active")
        self._close(lease, REVOKED, LEASE_REVOKED, by, reason)
        return self.get(lease_id)

    def revoke_agent(self, agent_id: str, *, by: str, reason: str = "") -> list[str]:
        """End every open lease of ``agent_id`` (the kill switch ends them with the agent)."""
        leases = self._open_rows((agent_id,))
        for lease in leases:
            self._close(lease, REVOKED, LEASE_REVOKED, by, reason)
        return [lease.id for lease in leases]

    def _close(self, lease: Lease, status: str, kind: str, by: str, reason: str) -> bool:
        with self.store.write() as tx:
            changed = tx.execute(
                "UPDATE agent_lease SET status = ?, changed_by = ?, reason = ? WHERE id = ? AND status = ?",
                (status, by, reason, lease.id, lease.status),
            )
        if changed:  # one process closes it, and records it once
            self.log.append(self._event(kind, lease.id, lease.agent_id, by, lease.task, reason=reason))
        return bool(changed)

    # -- reading -------------------------------------------------------------------------------------

    def get(self, lease_id: str) -> Lease:
        rows = self.store.read(f"SELECT {_COLUMNS} FROM agent_lease WHERE id = ?", (lease_id,))
        if not rows:
            raise NotFound(f"no lease {lease_id}", hints=["blastdoor lease list"])
        return Lease(rows[0])

    def all(self, *, agent_id: str = "") -> list[Lease]:
        self.settle(agent_id=agent_id)
        where, params = ("WHERE agent_id = ?", (agent_id,)) if agent_id else ("", ())
        rows = self.store.read(f"SELECT {_COLUMNS} FROM agent_lease {where} ORDER BY created DESC", params)
        return [Lease(r) for r in rows]

    def _open_rows(self, agent_ids: tuple[str, ...]) -> list[Lease]:
        marks = ", ".join("?" * len(agent_ids))
        rows = self.store.read(
            f"SELECT {_COLUMNS} FROM agent_lease WHERE agent_id IN ({marks}) AND status IN (?, ?)",
            (*agent_ids, ACTIVE, PENDING),
        )
        return [Lease(r) for r in rows]

    def settle(self, *, agent_id: str = "") -> None:
        """Expire what is due and activate what was approved (or close what was refused)."""
        if agent_id:
            self.active_for((agent_id,))
            return
        rows = self.store.read("SELECT DISTINCT agent_id FROM agent_lease WHERE status IN (?, ?)", (ACTIVE, PENDING))
        if rows:
            self.active_for(tuple(str(r[0]) for r in rows))

    def active_for(self, agent_ids: tuple[str, ...]) -> list[Lease]:
        """The leases that apply to these agent ids now; expiring and activating as it goes."""
        now = self.clock()
        out = []
        for lease in self._open_rows(agent_ids):
            if lease.expires <= now:
                self._close(lease, EXPIRED, LEASE_EXPIRED, "blastdoor", "expired")
                continue
            if lease.status == PENDING and not self._activate(lease):
                continue
            out.append(lease)
        return out

    def _activate(self, lease: Lease) -> bool:
        """A pending lease whose request was approved becomes active (the request is used up)."""
        from blastdoor.approvals import Approvals
        from blastdoor.approvals.requests import APPROVED
        from blastdoor.approvals.requests import PENDING as REQUEST_PENDING

        approvals = Approvals(self.store, self.log, clock=self.clock)
        request = approvals.get(lease.request_id)
        if request.status == REQUEST_PENDING and request.expires > self.clock():
            return False
        if request.status != APPROVED:
            self._close(
                lease, DENIED, LEASE_DENIED, "blastdoor", f"its approval request {request.id} is {request.status}"
            )
            return False
        action = self._request_action(lease.id, lease.agent_id, lease.task, lease.scope, lease.requested_by)
        approvals.consume(action)
        with self.store.write() as tx:
            changed = tx.execute(
                "UPDATE agent_lease SET status = ?, changed_by = ? WHERE id = ? AND status = ?",
                (ACTIVE, ", ".join(request.approvers), lease.id, PENDING),
            )
        if changed:
            self.log.append(
                self._event(LEASE_GRANTED, lease.id, lease.agent_id, ", ".join(request.approvers), lease.task)
            )
        lease.status = ACTIVE
        return True

    def scope_of(self, lease: Lease, home: str) -> tuple[Rule, ...]:
        scope = self._scopes.get(lease.id)
        if scope is None:
            from blastdoor.policy.leases import compile_scope

            scope = self._scopes[lease.id] = compile_scope(lease.scope, home)
        return scope
