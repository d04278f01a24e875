"""Break-glass: a named group overrides a deny for one exact action, once, for a short time.

Without it a baseline deny (deleting a staging stack) can only be lifted by disabling the rule for
everyone. With it, a person files a request with a reason; ``needed`` people of the policy's group
(never the requester, never the human the agent acts for, never an agent) approve it; the pipeline
then allows that exact action (bound like an approval: its digest, the environment it resolved to and
its preview, by ``binding_of``) once, before the request expires. Any denial is final.

The policy is not read here (this layer knows none): the caller passes ``Terms`` (group, members,
count, longest life) and the deny rules the break-glass covers. Every change is an audit event of its
own kind (``break_glass.*``) written before the state changes, as for approvals; transitions are
compare-and-set on ``status``, so a break-glass is used at most once across processes.
"""

from __future__ import annotations

import json
import secrets
import time

from blastdoor.approvals.requests import (
    ROLES,
    UNKNOWN_REQUESTERS,
    ApprovalClosed,
    ApprovalRefused,
    Person,
    binding_of,
)
from blastdoor.audit import events as ev
from blastdoor.errors import InputError, NotFound

TYPE_CHECKING = False  # not typing's: the pipeline imports this module on a breakable deny
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from blastdoor.action import Action
    from blastdoor.approvals.requests import EventLog, StateStore

    JSON = Any

PENDING = "pending"
GRANTED = "granted"
DENIED = "denied"
EXPIRED = "expired"
USED = "used"
STATUSES = (PENDING, GRANTED, DENIED, EXPIRED, USED)
OPEN = (PENDING, GRANTED)

_COLUMNS = (
    "id, binding, action_digest, agent_id, on_behalf_of, harness, tool, operation, env, rules, requester,"
    " reason, needed, grp, eligible, policy_hash, correlation_id, created, expires, status, closed, detail"
)


class Terms:
    """What the policy says about break-glass: who (``group`` and its ``members``), how many, how long."""

    __slots__ = ("group", "max_ttl", "members", "needed")

    def __init__(self, group: str, members: Iterable[str], needed: int, max_ttl: int) -> None:
        self.group = group
        self.members = tuple(members)
        self.needed = needed
        self.max_ttl = max_ttl


class Glass:
    """One break-glass request and its votes (a snapshot)."""

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
        "on_behalf_of",
        "operation",
        "policy_hash",
        "reason",
        "requester",
        "rules",
        "status",
        "tool",
        "votes",
    )

    def __init__(self, row: Sequence[Any], votes: Iterable[tuple[str, str, str, float]] = ()) -> None:
        (
            self.id,
            self.binding,
            self.action_digest,
            self.agent_id,
            self.on_behalf_of,
            self.harness,
            self.tool,
            self.operation,
            self.env,
            rules,
            self.requester,
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
        self.rules: tuple[str, ...] = tuple(json.loads(rules))
        self.needed = int(needed)
        self.eligible: tuple[str, ...] = tuple(json.loads(eligible))
        self.created = float(created)
        self.expires = float(expires)
        self.closed = float(closed)
        self.detail: dict[str, JSON] = json.loads(detail)
        self.votes = [(p, v, c, float(t)) for p, v, c, t in votes]

    @property
    def approvers(self) -> list[str]:
        return [p for p, v, _, _ in self.votes if v == "approve"]

    @property
    def command(self) -> str:
        return str(self.detail.get("raw") or self.detail.get("command") or self.operation)

    def summary(self) -> dict[str, JSON]:
        """What every ``break_glass.*`` audit event and notification carries."""
        return {
            "id": self.id,
            "agent_id": self.agent_id,
            "on_behalf_of": self.on_behalf_of,
            "tool": self.tool,
            "operation": self.operation,
            "env": self.env,
            "command": self.command,
            "rules": list(self.rules),
            "requester": self.requester,
            "reason": self.reason,
            "needed": self.needed,
            "group": self.group,
            "action_digest": self.action_digest,
            "binding": self.binding,
            "policy_hash": self.policy_hash,
            "correlation_id": self.correlation_id,
            "expires": _iso(self.expires),
        }

    def to_dict(self) -> dict[str, JSON]:
        return {
            **self.summary(),
            "status": self.status,
            "harness": self.harness,
            "eligible": list(self.eligible),
            "approvers": self.approvers,
            "votes": [{"person": p, "vote": v, "comment": c, "time": _iso(t)} for p, v, c, t in self.votes],
            "created": _iso(self.created),
            "closed": _iso(self.closed) if self.closed else None,
            "action": self.detail,
        }


class BreakGlass:
    """The break-glass service over a store and the audit log (the approvals' own)."""

    def __init__(
        self,
        store: StateStore,
        log: EventLog,
        *,
        clock: Callable[[], float] = time.time,
        on_change: Callable[[str, Glass], None] | None = None,
    ) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        # Called with (event kind, break-glass) after each change: the server's webhooks and live pages.
        self.on_change = on_change

    # -- filing -------------------------------------------------------------------------------------

    def request(
        self,
        action: Action,
        *,
        rules: Sequence[str],
        terms: Terms,
        requester: Person,
        reason: str,
        ttl: int | None = None,
        agents: Iterable[str] = (),
        correlation_id: str = "",
        policy_hash: str = "",
    ) -> Glass:
        """File a break-glass for the exact ``action`` (classified, as it was denied) over ``rules``.

        Refused (``ApprovalRefused``): no reason, an agent filing, a ttl beyond the policy's maximum,
        no rule to break, or an open break-glass for the same action already (its id is named).
        """
        reason = reason.strip()
        if not reason:
            raise ApprovalRefused("reason", "a break-glass needs a reason (it is recorded and sent to the group)")
        if requester.name in set(agents) or requester.name == action.agent.id:
            raise ApprovalRefused("agent", f"{requester.name} is an agent; a person requests a break-glass")
        if action.agent.on_behalf_of in UNKNOWN_REQUESTERS:
            # Nobody could show that a vote does not come from the person driving the agent (as for approvals).
            raise ApprovalRefused(
                "requester", "the action names no person the agent acts for: its break-glass could be self-approved"
            )
        if not rules:
            raise ApprovalRefused("rules", "nothing to break: no deny rule that break-glass may override")
        life = terms.max_ttl if ttl is None else ttl
        if not 0 < life <= terms.max_ttl:
            raise ApprovalRefused(
                "ttl", f"a break-glass lives at most {terms.max_ttl} s under this policy (asked for {life} s)"
            )
        binding = binding_of(action)
        self.expire_due()
        existing = self.store.read(
            "SELECT id, status FROM break_glass WHERE binding = ? AND agent_id = ? AND status IN (?, ?)",
            (binding, action.agent.id, PENDING, GRANTED),
        )
        if existing:
            raise ApprovalRefused("open", f"break-glass {existing[0][0]} for this action is already {existing[0][1]}")
        now = self.clock()
        row = (
            "bg_" + secrets.token_hex(6),
            binding,
            action.digest(),
            action.agent.id,
            action.agent.on_behalf_of,
            action.agent.harness,
            action.tool,
            action.operation,
            action.env,
            json.dumps(sorted(set(rules))),
            requester.name,
            reason,
            terms.needed,
            terms.group,
            json.dumps(sorted(set(terms.members))),
            policy_hash,
            correlation_id,
            now,
            now + life,
            PENDING,
            0.0,
            json.dumps(_detail(action), sort_keys=True),
        )
        glass = Glass(row)
        self.log.append(ev.break_glass_event(ev.BREAK_GLASS_REQUESTED, glass.summary()))
        marks = ", ".join("?" * len(row))
        with self.store.write() as tx:
            inserted = tx.execute(f"INSERT INTO break_glass ({_COLUMNS}) VALUES ({marks}) ON CONFLICT DO NOTHING", row)
        if inserted != 1:
            raise ApprovalRefused("open", "another break-glass for this action was filed at the same moment")
        self._changed(ev.BREAK_GLASS_REQUESTED, glass)
        return glass

    # -- voting -------------------------------------------------------------------------------------

    def approve(self, glass_id: str, person: Person, *, comment: str = "", agents: Iterable[str] = ()) -> Glass:
        """Add ``person``'s approval; granted once ``needed`` people of the group approved."""
        return self._vote(glass_id, person, "approve", comment, set(agents))

    def deny(self, glass_id: str, person: Person, *, comment: str = "", agents: Iterable[str] = ()) -> Glass:
        """Deny the break-glass: final."""
        return self._vote(glass_id, person, "deny", comment, set(agents))

    def _vote(self, glass_id: str, person: Person, vote: str, comment: str, agents: set[str]) -> Glass:
        self.expire_due()
        glass = self.get(glass_id)
        _check_vote(glass, person, agents)
        approvers = [*glass.approvers, person.name] if vote == "approve" else glass.approvers
        granted = vote == "approve" and len(approvers) >= glass.needed
        kind = ev.BREAK_GLASS_APPROVED if vote == "approve" else ev.BREAK_GLASS_DENIED
        self.log.append(
            ev.break_glass_event(
                kind, glass.summary(), approver=person.name, approvers=approvers, comment=comment, granted=granted
            )
        )
        now = self.clock()
        with self.store.write() as tx:
            status = tx.query("SELECT status, expires FROM break_glass WHERE id = ?", (glass.id,))
            if not status or status[0][0] != PENDING or float(status[0][1]) <= now:
                raise ApprovalClosed("closed", f"break-glass {glass.id} is no longer pending")
            tx.execute(
                "INSERT INTO break_glass_vote (glass_id, person, vote, comment, time) VALUES (?, ?, ?, ?, ?)",
                (glass.id, person.name, vote, comment, now),
            )
            if vote == "deny" or granted:
                tx.execute(
                    "UPDATE break_glass SET status = ?, closed = ? WHERE id = ? AND status = ?",
                    (DENIED if vote == "deny" else GRANTED, now if vote == "deny" else 0.0, glass.id, PENDING),
                )
        after = self.get(glass.id)
        self._changed(kind, after)
        return after

    # -- the pipeline's side ---------------------------------------------------------------------------

    def consume(self, action: Action, rules: Iterable[str]) -> Glass | None:
        """Use the granted, unexpired break-glass for this exact action, once; None when there is none.

        It must cover every one of ``rules`` (the deny rules that denied the action now). Compare-and-set:
        of two processes using the same break-glass, one gets it.
        """
        needed = set(rules)
        rows = self.store.read(
            f"SELECT {_COLUMNS} FROM break_glass WHERE binding = ? AND agent_id = ? AND status = ? AND expires > ?",
            (binding_of(action), action.agent.id, GRANTED, self.clock()),
        )
        for row in rows:
            glass = Glass(row)
            if not needed <= set(glass.rules):
                continue
            with self.store.write() as tx:
                used = tx.execute(
                    "UPDATE break_glass SET status = ?, closed = ? WHERE id = ? AND status = ? AND expires > ?",
                    (USED, self.clock(), glass.id, GRANTED, self.clock()),
                )
            if used != 1:
                continue
            glass = self._with_votes(row)
            glass.status = USED
            return glass
        return None

    def record_use(self, glass: Glass, correlation_id: str) -> None:
        """The loud record of a use: its own event (the decision event follows it)."""
        self.log.append(
            ev.break_glass_event(
                ev.BREAK_GLASS_USED, glass.summary(), approvers=glass.approvers, used_by_correlation_id=correlation_id
            )
        )
        self._changed(ev.BREAK_GLASS_USED, glass)

    # -- housekeeping -----------------------------------------------------------------------------------

    def expire_due(self) -> list[str]:
        """Close open break-glasses past their expiry (each with a ``break_glass.expired`` event)."""
        rows = self.store.read(
            f"SELECT {_COLUMNS} FROM break_glass WHERE status IN (?, ?) AND expires <= ?",
            (PENDING, GRANTED, self.clock()),
        )
        done: list[str] = []
        for row in rows:
            glass = Glass(row)
            self.log.append(ev.break_glass_event(ev.BREAK_GLASS_EXPIRED, glass.summary(), was=glass.status))
            with self.store.write() as tx:
                if tx.execute(
                    "UPDATE break_glass SET status = ?, closed = ? WHERE id = ? AND status IN (?, ?)",
                    (EXPIRED, self.clock(), glass.id, PENDING, GRANTED),
                ):
                    done.append(glass.id)
        return done

    # -- reading ------------------------------------------------------------------------------------------

    def get(self, glass_id: str) -> Glass:
        rows = self.store.read(f"SELECT {_COLUMNS} FROM break_glass WHERE id = ?", (glass_id,))
        if not rows:
            raise NotFound(f"no break-glass `{glass_id}`", hints=["`blastdoor break-glass list` shows them"])
        return self._with_votes(rows[0])

    def find(self, *, status: str = "", limit: int = 100) -> list[Glass]:
        """Break-glasses, newest first; ``status`` filters when given."""
        if status and status not in STATUSES:
            raise InputError(f"unknown status `{status}`", hints=[f"one of: {', '.join(STATUSES)}"])
        clause, params = ("WHERE status = ?", [status]) if status else ("", [])
        rows = self.store.read(
            f"SELECT {_COLUMNS} FROM break_glass {clause} ORDER BY created DESC LIMIT ?", (*params, limit)
        )
        return [self._with_votes(r) for r in rows]

    def _with_votes(self, row: Sequence[Any]) -> Glass:
        votes = self.store.read(
            "SELECT person, vote, comment, time FROM break_glass_vote WHERE glass_id = ? ORDER BY time", (row[0],)
        )
        return Glass(row, votes)

    def _changed(self, kind: str, glass: Glass) -> None:
        if self.on_change is not None:
            try:
                self.on_change(kind, glass)
            except Exception:  # a notifier's failure never undoes what is recorded already
                pass


def _iso(seconds: float) -> str:
    return ev.format_time(int(seconds * 1e9))


def _check_vote(glass: Glass, person: Person, agents: set[str]) -> None:
    """Refuse a vote the rules of break-glass forbid (the status is re-checked inside the write)."""
    if glass.status != PENDING:
        raise ApprovalClosed("closed", f"break-glass {glass.id} is {glass.status}, not pending")
    if person.role not in ROLES:
        raise ApprovalRefused("role", f"{person.name} ({person.role}) may not vote on a break-glass")
    if person.name in agents or person.name == glass.agent_id:
        raise ApprovalRefused("agent", f"{person.name} is an agent; agents never approve a break-glass")
    if person.name == glass.requester:
        raise ApprovalRefused("self", f"{person.name} requested this break-glass and cannot approve it")
    if glass.on_behalf_of in UNKNOWN_REQUESTERS or person.name == glass.on_behalf_of:
        raise ApprovalRefused("self", f"the agent acts for {person.name}, who cannot approve its break-glass")
    if person.name not in glass.eligible:
        raise ApprovalRefused(
            "group", f"{person.name} is not in the break-glass group `{glass.group}` ({', '.join(glass.eligible)})"
        )
    if any(p == person.name for p, _, _, _ in glass.votes):
        raise ApprovalRefused("repeat", f"{person.name} has already voted on break-glass {glass.id}")


def _detail(action: Action) -> dict[str, JSON]:
    """What the group reads: the exact command or call and its facts."""
    return {
        "raw": action.raw,
        "command": action.command,
        "args": action.args,
        "cwd": action.cwd,
        "effects": sorted(action.effects),
        "targets": list(action.targets),
        "agent": action.agent.to_dict(),
        "parts": [
            {"command": p.command or p.raw, "operation": p.operation, "effects": sorted(p.effects), "env": p.env}
            for p in action.subjects()
        ],
    }
