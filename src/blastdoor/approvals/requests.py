"""Approval requests: filed by an ``approve`` verdict, voted on by people, consumed by one execution.

Order of writes: the audit event first, then the state change. A vote the log does not hold does not
count; a race lost between the two (another process closed the request meanwhile) leaves a logged vote
on a closed request, never an unlogged one.

State lives in two tables (``approval_request``, ``approval_vote``) reached through the store's plain
SQL interface (``read`` and ``write`` transactions with ``?`` marks), the same code on SQLite and
PostgreSQL. Transitions are compare-and-set on ``status``, so concurrent processes cannot approve a
denied request or consume one twice.
"""

from __future__ import annotations

import json
import secrets
import threading
import time

from blastdoor.audit import events as ev
from blastdoor.errors import Conflict, Forbidden, InputError, NotFound, StoreError

TYPE_CHECKING = False  # not typing's: the hook imports this module on an approve verdict
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any, Protocol

    from blastdoor.action import Action, Decision

    JSON = Any

    class Tx(Protocol):
        def execute(self, sql: str, params: Sequence[object] = ()) -> int: ...

        def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

        def __enter__(self) -> Tx: ...

        def __exit__(self, *exc: object) -> None: ...

    class StateStore(Protocol):
        """What approvals need of a store (``blastdoor.store``'s SQLite and PostgreSQL stores)."""

        def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

        def write(self) -> Tx: ...

    class EventLog(Protocol):
        """What approvals need of the audit log (``blastdoor.audit.log.AuditLog``)."""

        def append(self, event: dict[str, JSON]) -> int: ...


PENDING = "pending"
APPROVED = "approved"
DENIED = "denied"
EXPIRED = "expired"
CANCELLED = "cancelled"
CONSUMED = "consumed"
STATUSES = (PENDING, APPROVED, DENIED, EXPIRED, CANCELLED, CONSUMED)
OPEN = (PENDING, APPROVED)

# People's roles: admins manage people and agents and may approve; approvers approve.
ROLES = ("admin", "approver")

# What closing a request (expiry, cancellation) needs to write its event.
_CLOSE_COLUMNS = "id, correlation_id, action_digest, agent_id, needed, grp, rule, policy_hash"
_COLUMNS = (
    "id, binding, action_digest, agent_id, requester, harness, tool, operation, env, rule, reason, needed,"
    " grp, eligible, policy_hash, correlation_id, created, expires, status, closed, detail"
)


def binding_of(action: Action) -> str:
    """What an approval approves: the action's digest, the environment it resolved to, and its preview.

    The digest covers what was asked (tool, operation, raw text, args, cwd, agent); the environment is
    bound too because it can come from outside the request (``AWS_PROFILE`` in the agent's
    environment): an approval for staging does not carry over to the same command aimed at prod. So
    is the requester (``on_behalf_of``): what was approved for alice's agent is not bob's to use.

    Only a preview that was made binds (``status: ok``): one that failed showed the approvers nothing
    ("no preview available"), so the approval is for the action as asked. Either way the run that
    follows is previewed again: a preview that now differs, or now fails where one was approved,
    does not match.
    """
    from blastdoor.action.canonical import digest

    made = action.preview is not None and action.preview.get("status", "ok") == "ok"
    preview = digest(action.preview) if made else ""
    return digest(
        {"action": action.digest(), "env": action.env, "preview": preview, "requester": action.agent.on_behalf_of}
    )


# Requesters that name nobody: no vote could be shown to come from someone other than them.
UNKNOWN_REQUESTERS = frozenset(("", "unknown"))


class Person:
    """Someone who acts on requests: a name and a role (``admin`` or ``approver``)."""

    __slots__ = ("name", "role")

    def __init__(self, name: str, role: str = "approver") -> None:
        self.name = name
        self.role = role

    def __repr__(self) -> str:
        return f"Person({self.name!r}, {self.role!r})"


class Vote:
    __slots__ = ("comment", "person", "time", "vote")

    def __init__(self, person: str, vote: str, comment: str, time: float) -> None:
        self.person = person
        self.vote = vote
        self.comment = comment
        self.time = time

    def to_dict(self) -> dict[str, JSON]:
        return {"person": self.person, "vote": self.vote, "comment": self.comment, "time": _iso(self.time)}


class Request:
    """One approval request and its votes (a snapshot: re-read it to see later changes)."""

    __slots__ = (
        "action_digest",
        "agent_id",
        "binding",
        "closed",
        "correlation_id",
        "created",
        "detail",
        "eligible",
        "env",
        "expires",
        "group",
        "harness",
        "id",
        "needed",
        "operation",
        "policy_hash",
        "reason",
        "requester",
        "rule",
        "status",
        "tool",
        "votes",
    )

    def __init__(self, row: Sequence[Any], votes: Iterable[Vote] = ()) -> None:
        (
            self.id,
            self.binding,
            self.action_digest,
            self.agent_id,
            self.requester,
            self.harness,
            self.tool,
            self.operation,
            self.env,
            self.rule,
            self.reason,
            needed,
            self.group,
            eligible,
            self.policy_hash,
            self.correlation_id,
            created,
            expires,
            self.status,
            closed,
            detail,
        ) = row
        self.needed = int(needed)
        self.eligible: tuple[str, ...] = tuple(json.loads(eligible))
        self.created = float(created)
        self.expires = float(expires)
        self.closed = float(closed)
        self.detail: dict[str, JSON] = json.loads(detail)
        self.votes: list[Vote] = list(votes)

    @property
    def approvers(self) -> list[str]:
        return [v.person for v in self.votes if v.vote == "approve"]

    @property
    def command(self) -> str:
        """The exact command or call, as an approver should read it."""
        raw = self.detail.get("raw") or self.detail.get("command")
        if raw:
            return str(raw)
        return f"{self.operation} {json.dumps(self.detail.get('args', {}), sort_keys=True)}"

    def to_dict(self) -> dict[str, JSON]:
        return {
            "id": self.id,
            "status": self.status,
            "agent_id": self.agent_id,
            "requester": self.requester,
            "harness": self.harness,
            "tool": self.tool,
            "operation": self.operation,
            "env": self.env,
            "command": self.command,
            "rule": self.rule,
            "reason": self.reason,
            "needed": self.needed,
            "group": self.group,
            "eligible": list(self.eligible),
            "approvers": self.approvers,
            "votes": [v.to_dict() for v in self.votes],
            "created": _iso(self.created),
            "expires": _iso(self.expires),
            "closed": _iso(self.closed) if self.closed else None,
            "action_digest": self.action_digest,
            "binding": self.binding,
            "policy_hash": self.policy_hash,
            "correlation_id": self.correlation_id,
            "action": self.detail,
        }


class ApprovalRefused(Forbidden):
    """A vote or use that the rules of approval forbid; ``code`` says which rule, for API clients."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ApprovalClosed(Conflict, ApprovalRefused):
    """A vote or use on a request that is no longer pending (code ``closed``): a conflict of state."""


class Approvals:
    """The approvals service. Thread-safe as far as its store is (each call is one transaction)."""

    def __init__(
        self,
        store: StateStore,
        log: EventLog,
        *,
        clock: Callable[[], float] = time.time,
        on_filed: Callable[[Request], None] | None = None,
    ) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        # Called with each newly filed request (the server's notifications and live inbox).
        self.on_filed = on_filed
        # Filing is find-or-create: one filer at a time here; the store's unique index across processes.
        self._filing = threading.Lock()

    # -- the hook side: file a request, or consume an approved one ---------------------------------

    def file(
        self,
        action: Action,
        decision: Decision,
        *,
        eligible: Iterable[str] = (),
        correlation_id: str = "",
    ) -> Request:
        """The open request for this exact action: the pending one if there is one, else a new one.

        Expired requests are never found (``_open`` skips them); closing them with their event is
        ``consume``'s and the sweep's job, which the pipeline runs just before.
        """
        if action.agent.on_behalf_of.strip() in UNKNOWN_REQUESTERS:
            raise ApprovalRefused(
                "no_requester",
                "the requester (the person the agent acts for) is not known, so no approval could be shown to "
                "come from someone else",
            )
        binding = binding_of(action)
        with self._filing:
            for _ in range(3):
                found = self._open(binding, action.agent.id, (PENDING,))
                if found is not None:
                    return found
                filed = self._file_new(action, decision, binding, eligible, correlation_id)
                if filed is not None:
                    break
                self.expire_due()  # lost to another process's filing, or to a request that just expired
            else:
                raise StoreError("could not file the approval request: the same request kept appearing and vanishing")
        if self.on_filed is not None:
            try:
                self.on_filed(filed)
            except Exception:  # a notifier's failure never undoes the request (it is durable already)
                pass
        return filed

    def _file_new(
        self, action: Action, decision: Decision, binding: str, eligible: Iterable[str], correlation_id: str
    ) -> Request | None:
        """A new pending request, its event first; None when another process filed the same one first."""
        approvals = decision.approvals
        needed = approvals.count if approvals is not None else 1
        group = approvals.group if approvals is not None else ""
        ttl = approvals.ttl if approvals is not None else 3600
        now = self.clock()
        request_id = "req_" + secrets.token_hex(6)
        detail = _detail(action, decision)
        row = (
            request_id,
            binding,
            decision.action_digest or action.digest(),
            action.agent.id,
            action.agent.on_behalf_of,
            action.agent.harness,
            action.tool,
            action.operation,
            action.env,
            decision.rule,
            decision.reason,
            needed,
            group,
            json.dumps(sorted(set(eligible))),
            decision.policy_hash,
            correlation_id,
            now,
            now + ttl,
            PENDING,
            0.0,
            json.dumps(detail, sort_keys=True),
        )
        self.log.append(
            ev.approval_event(
                ev.APPROVAL_REQUESTED,
                request_id=request_id,
                correlation_id=correlation_id,
                action=action,
                action_digest=row[2],
                needed=needed,
                group=group,
                reason=decision.reason,
                rule=decision.rule,
                policy_hash=decision.policy_hash,
                expires=_iso(now + ttl),
            )
        )
        marks = ", ".join("?" * len(row))
        with self.store.write() as tx:
            inserted = tx.execute(
                f"INSERT INTO approval_request ({_COLUMNS}) VALUES ({marks}) ON CONFLICT DO NOTHING", row
            )
        if inserted == 1:
            return Request(row)
        # Its event is in the log: close it there too, so no request is left open that never existed.
        self.log.append(
            ev.approval_event(
                ev.APPROVAL_CANCELLED,
                request_id=request_id,
                correlation_id=correlation_id,
                action_digest=row[2],
                needed=needed,
                group=group,
                reason="the same request was filed at the same moment by another process; that one stands",
                rule=decision.rule,
                policy_hash=decision.policy_hash,
            )
            | {"agent_id": action.agent.id}
        )
        return None

    def consume(self, action: Action) -> Request | None:
        """Use the approved request for this exact action, once; None when there is none.

        Compare-and-set: of two processes consuming the same request, one gets it.
        """
        binding = binding_of(action)
        self.expire_due()
        found = self._open(binding, action.agent.id, (APPROVED,))
        if found is None:
            return None
        with self.store.write() as tx:
            used = tx.execute(
                "UPDATE approval_request SET status = ?, closed = ? WHERE id = ? AND status = ?",
                (CONSUMED, self.clock(), found.id, APPROVED),
            )
        if used != 1:
            return None
        found.status = CONSUMED
        return found

    def approved_for_other_state(self, action: Action) -> Request | None:
        """An approved request for this very action (same digest, agent and requester) bound to another state:
        its environment or its preview moved since it was approved. It does not approve this run."""
        binding = binding_of(action)
        rows = self.store.read(
            f"SELECT {_COLUMNS} FROM approval_request WHERE action_digest = ? AND agent_id = ? AND requester = ?"
            " AND status = ? AND binding <> ? AND expires > ? ORDER BY created DESC LIMIT 1",
            (action.digest(), action.agent.id, action.agent.on_behalf_of, APPROVED, binding, self.clock()),
        )
        return self._with_votes(rows[0]) if rows else None

    def _open(self, binding: str, agent_id: str, statuses: tuple[str, ...]) -> Request | None:
        now = self.clock()
        marks = ", ".join("?" * len(statuses))
        rows = self.store.read(
            f"SELECT {_COLUMNS} FROM approval_request WHERE binding = ? AND agent_id = ? AND status IN ({marks})"
            " AND expires > ? ORDER BY created LIMIT 1",
            (binding, agent_id, *statuses, now),
        )
        return self._with_votes(rows[0]) if rows else None

    # -- the approver side --------------------------------------------------------------------------

    def approve(self, request_id: str, person: Person, *, comment: str = "", agents: Iterable[str] = ()) -> Request:
        """Add ``person``'s approval; the request is approved once it has ``needed`` of them.

        Refused (``ApprovalRefused``): not pending (denied, expired, consumed, ...), the requester or an
        agent voting, someone outside the group, a second vote by the same person.
        """
        return self._vote(request_id, person, "approve", comment, agents)

    def deny(self, request_id: str, person: Person, *, comment: str = "", agents: Iterable[str] = ()) -> Request:
        """Deny the request: final."""
        return self._vote(request_id, person, "deny", comment, agents)

    def _vote(self, request_id: str, person: Person, vote: str, comment: str, agents: Iterable[str]) -> Request:
        self.expire_due()
        request = self.get(request_id)
        try:
            _check_vote(request, person, set(agents))
        except ApprovalRefused as refused:
            self._refused(request, person, vote, refused)
            raise
        approvers = [*request.approvers, person.name] if vote == "approve" else request.approvers
        reached = vote == "approve" and len(approvers) >= request.needed
        self.log.append(
            ev.approval_event(
                ev.APPROVAL_GRANTED if vote == "approve" else ev.APPROVAL_DENIED,
                request_id=request.id,
                correlation_id=request.correlation_id,
                action_digest=request.action_digest,
                approver=person.name,
                approvers=approvers,
                needed=request.needed,
                group=request.group,
                reason=comment,
                rule=request.rule,
                policy_hash=request.policy_hash,
            )
            | {"agent_id": request.agent_id, "harness": request.harness, "tool": request.tool, "env": request.env}
        )
        now = self.clock()
        with self.store.write() as tx:
            status = tx.query("SELECT status FROM approval_request WHERE id = ?", (request.id,))
            if not status or status[0][0] != PENDING:
                raise ApprovalClosed("closed", f"request {request.id} is no longer pending ({status[0][0]})")
            tx.execute(
                "INSERT INTO approval_vote (request_id, person, vote, comment, time) VALUES (?, ?, ?, ?, ?)",
                (request.id, person.name, vote, comment, now),
            )
            if vote == "deny" or reached:
                tx.execute(
                    "UPDATE approval_request SET status = ?, closed = ? WHERE id = ? AND status = ?",
                    (DENIED if vote == "deny" else APPROVED, now, request.id, PENDING),
                )
        return self.get(request.id)

    def _refused(self, request: Request, person: Person, vote: str, refused: ApprovalRefused) -> None:
        """A refused vote is an audit event too: who tried to vote on what, and which rule stopped it."""
        self.log.append(
            ev.approval_event(
                ev.APPROVAL_REFUSED,
                request_id=request.id,
                correlation_id=request.correlation_id,
                action_digest=request.action_digest,
                approver=person.name,
                approvers=request.approvers,
                needed=request.needed,
                group=request.group,
                reason=refused.message,
                rule=request.rule,
                policy_hash=request.policy_hash,
            )
            | {
                "agent_id": request.agent_id,
                "harness": request.harness,
                "tool": request.tool,
                "env": request.env,
                "refused": {"code": refused.code, "vote": vote, "role": person.role},
            }
        )

    # -- housekeeping ---------------------------------------------------------------------------------

    def expire_due(self) -> list[str]:
        """Close open requests past their ttl (each with an ``approval.expired`` event); their ids."""
        rows = self.store.read(
            f"SELECT {_CLOSE_COLUMNS} FROM approval_request WHERE status IN (?, ?) AND expires <= ?",
            (PENDING, APPROVED, self.clock()),
        )
        return self._close(rows, ev.APPROVAL_EXPIRED, EXPIRED)

    def cancel_agent(self, agent_id: str, *, by: str = "", reason: str = "") -> list[str]:
        """Cancel every open request of ``agent_id`` (the agent was revoked); their ids."""
        rows = self.store.read(
            f"SELECT {_CLOSE_COLUMNS} FROM approval_request WHERE agent_id = ? AND status IN (?, ?)",
            (agent_id, PENDING, APPROVED),
        )
        return self._close(rows, ev.APPROVAL_CANCELLED, CANCELLED, by=by, reason=reason or "the agent was revoked")

    def _close(
        self, rows: list[tuple[Any, ...]], kind: str, status: str, *, by: str = "", reason: str = ""
    ) -> list[str]:
        """Move open requests to ``status``: for each, the ``kind`` event first, then a compare-and-set."""
        done: list[str] = []
        for request_id, corr, digest, agent_id, needed, group, rule, policy_hash in rows:
            self.log.append(
                ev.approval_event(
                    kind,
                    request_id=request_id,
                    correlation_id=corr,
                    action_digest=digest,
                    approver=by,
                    needed=int(needed),
                    group=group,
                    reason=reason,
                    rule=rule,
                    policy_hash=policy_hash,
                )
                | {"agent_id": agent_id}
            )
            with self.store.write() as tx:
                if tx.execute(
                    "UPDATE approval_request SET status = ?, closed = ? WHERE id = ? AND status IN (?, ?)",
                    (status, self.clock(), request_id, PENDING, APPROVED),
                ):
                    done.append(request_id)
        return done

    # -- reading ----------------------------------------------------------------------------------------

    def get(self, request_id: str) -> Request:
        rows = self.store.read(f"SELECT {_COLUMNS} FROM approval_request WHERE id = ?", (request_id,))
        if not rows:
            raise NotFound(f"no approval request `{request_id}`", hints=["`blastdoor approvals list` shows them"])
        return self._with_votes(rows[0])

    def find(self, *, status: str = "", agent_id: str = "", limit: int = 100) -> list[Request]:
        """Requests, newest first; ``status`` and ``agent_id`` filter when given."""
        where: list[str] = []
        params: list[object] = []
        if status:
            _known_status(status)
            where.append("status = ?")
            params.append(status)
        if agent_id:
            where.append("agent_id = ?")
            params.append(agent_id)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        rows = self.store.read(
            f"SELECT {_COLUMNS} FROM approval_request {clause} ORDER BY created DESC LIMIT ?", (*params, limit)
        )
        return self._requests(rows)

    def closed(
        self, statuses: Sequence[str], *, after: tuple[float, str] | None = None, limit: int = 100
    ) -> list[Request]:
        """Closed requests, most recently closed first; ``after`` (closed, id) of the previous page's last."""
        for status in statuses or ("",):
            _known_status(status)
        marks = ", ".join("?" * len(statuses))
        clause, params = f"status IN ({marks})", list[object](statuses)
        if after is not None:
            clause += " AND (closed < ? OR (closed = ? AND id < ?))"  # keyset paging: no row twice, none skipped
            params += [after[0], after[0], after[1]]
        rows = self.store.read(
            f"SELECT {_COLUMNS} FROM approval_request WHERE {clause} ORDER BY closed DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return self._requests(rows)

    def _requests(self, rows: Sequence[Sequence[Any]]) -> list[Request]:
        """Requests of ``approval_request`` rows, with their votes (one read for all of them)."""
        if not rows:
            return []
        votes = self._votes([r[0] for r in rows])
        return [Request(r, votes.get(r[0], ())) for r in rows]

    def _with_votes(self, row: Sequence[Any]) -> Request:
        return Request(row, self._votes([row[0]]).get(row[0], ()))

    def _votes(self, ids: Sequence[str]) -> dict[str, list[Vote]]:
        marks = ", ".join("?" * len(ids))
        out: dict[str, list[Vote]] = {}
        for request_id, person, vote, comment, at in self.store.read(
            f"SELECT request_id, person, vote, comment, time FROM approval_vote WHERE request_id IN ({marks})"
            " ORDER BY time",
            tuple(ids),
        ):
            out.setdefault(request_id, []).append(Vote(person, vote, comment, float(at)))
        return out


def _iso(seconds: float) -> str:
    return ev.format_time(int(seconds * 1e9))


def vote_refusal(request: Request, person: Person, agents: set[str] | None = None) -> ApprovalRefused | None:
    """Why ``person`` may not vote on ``request`` (the very refusal a vote would get), or None.

    For pages that should not offer a vote the server would refuse (the requester's own request)."""
    try:
        _check_vote(request, person, agents or set())
    except ApprovalRefused as refusal:
        return refusal
    return None


def _check_vote(request: Request, person: Person, agents: set[str]) -> None:
    """Refuse a vote that the rules of approval forbid (the request is re-checked inside the write)."""
    if request.status != PENDING:
        raise ApprovalClosed("closed", f"request {request.id} is {request.status}, not pending")
    if person.role not in ROLES:
        raise ApprovalRefused("role", f"{person.name} ({person.role}) may not vote on approval requests")
    if person.name in agents or person.name == request.agent_id:
        raise ApprovalRefused("agent", f"{person.name} is an agent; agents never approve")
    if request.requester.strip() in UNKNOWN_REQUESTERS:
        raise ApprovalRefused(
            "no_requester",
            f"request {request.id} names no requester, so no vote can be shown to come from someone else",
        )
    if person.name == request.requester:
        raise ApprovalRefused(
            "self", f"{person.name} asked for this action (the agent acts for them) and cannot approve it"
        )
    if request.eligible and person.name not in request.eligible:
        raise ApprovalRefused(
            "group", f"{person.name} is not in the approver group `{request.group}` ({', '.join(request.eligible)})"
        )
    if any(v.person == person.name for v in request.votes):
        raise ApprovalRefused("repeat", f"{person.name} has already voted on request {request.id}")


def _detail(action: Action, decision: Decision) -> dict[str, JSON]:
    """What an approver reads: the exact command or call, its facts, and why the policy asks."""
    parts = [
        {
            "command": part.command or part.raw,
            "operation": part.operation,
            "effects": sorted(part.effects),
            "targets": list(part.targets),
            "env": part.env,
        }
        for part in action.subjects()
    ]
    return {
        "raw": action.raw,
        "command": action.command,
        "args": action.args,
        "cwd": action.cwd,
        "effects": sorted(action.effects),
        "targets": list(action.targets),
        "blast_radius": action.blast_radius,
        "agent": action.agent.to_dict(),
        "parts": parts,
        "notes": [n.to_dict() for n in action.notes][:20],
        "reasons": list(decision.reasons),
        "matched": [m.to_dict() for m in decision.matched],
        "preview": action.preview,
    }


def _known_status(status: str) -> None:
    if status not in STATUSES:
        raise InputError(f"unknown status `{status}`", hints=[f"one of: {', '.join(STATUSES)}"])
