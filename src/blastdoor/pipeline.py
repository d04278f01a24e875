"""The one place that wires identity -> classify -> decide -> approvals -> record.

Fail closed: an error anywhere after the policy loaded becomes the policy's ``on_error`` verdict; a
policy that cannot be loaded becomes deny; a revoked agent, or one whose status cannot be read, is
denied anything but a plain read; a decision that cannot be recorded is not acted on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from blastdoor.policy import decide, error_decision

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping
    from concurrent.futures import Future
    from typing import TypeVar

    from blastdoor.action import Action, Decision
    from blastdoor.approvals import Approvals
    from blastdoor.approvals.break_glass import BreakGlass
    from blastdoor.identity import Agents
    from blastdoor.policy.compiled import CompiledPolicy

    T = TypeVar("T")

    class Offload(Protocol):
        """Runs a blocking function on another thread and awaits its result."""

        def __call__(self, fn: Callable[[], T], /) -> Awaitable[T]: ...


def classify_for(
    policy: CompiledPolicy,
    action: Action,
    *,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
) -> Action:
    from blastdoor.classify import classify

    return classify(action, policy.environments, environ=environ, home=home)


def evaluate(
    policy: CompiledPolicy,
    action: Action,
    *,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
) -> tuple[Action, Decision]:
    """Classify and decide. Never raises: an internal error yields the ``on_error`` decision."""
    digest = ""
    try:
        digest = action.digest()
        classified = classify_for(policy, action, environ=environ, home=home)
        decision = decide(policy, classified)
    except Exception as exc:  # fail closed on anything, including classifier bugs
        return action, error_decision(
            policy.on_error,
            f"internal error: {type(exc).__name__}: {exc}",
            policy_hash=policy.hash,
            action_digest=digest,
        )
    decision.action_digest = digest
    return classified, decision


class DecisionRecorder(Protocol):
    """What ``decide_and_record`` needs of the audit log (``blastdoor.audit.log.AuditLog`` is one)."""

    def record_decision(self, action: Action, decision: Decision, *, correlation_id: str = "") -> int: ...


class DecisionSubmitter(Protocol):
    """The audit log for an event loop: append without blocking (``AuditLog.submit_decision``)."""

    def submit_decision(self, action: Action, decision: Decision, *, correlation_id: str = "") -> Future[int]: ...


# Pseudo-rules of verdicts that a stage after the policy set.
AUDIT_UNAVAILABLE = "audit.unavailable"  # the decision could not be recorded
AGENT_REVOKED = "agent.revoked"  # the kill switch
IDENTITY_UNAVAILABLE = "identity.unavailable"  # the agent's status could not be read
APPROVED = "approval.approved"  # an approved request was consumed
MOVED = "approval.moved"  # an approval exists for this action, bound to a state that moved since
BREAK_GLASS_USED = "break_glass.used"  # a granted break-glass lifted a deny, once
IDENTITY_REFUSED = "identity.refused"  # a presented credential that does not verify


def is_plain_read_action(action: Action) -> bool:
    """True when every part of the classified action only reads: what may pass when the log is down."""
    from blastdoor.action import is_plain_read

    return all(is_plain_read(part.effects) for part in action.subjects())


def judge(
    policy: CompiledPolicy,
    action: Action,
    *,
    agents: Agents | None = None,
    ask_as_approve: bool = False,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
    preview: bool = True,
) -> tuple[Action, Decision]:
    """Classify, decide, check the agent and preview: the decision before approvals and the log. Never raises.

    ``agents``: a revoked agent is denied (``agent.revoked``). ``preview``: run the preview step here
    (``preview_step``; the event loop's caller runs it on a worker thread instead). ``ask_as_approve``:
    the caller cannot put an ``ask`` to the user (an MCP client without elicitation), so ``ask``
    becomes ``approve`` (one approval).
    """
    if agents is None:
        refusal = establish_identity(action, None, environ)
        classified, decision = evaluate(policy, action, environ=environ, home=home)
        if refusal:
            decision = _refuse_identity(classified, decision, refusal)
        if preview:
            classified, decision = preview_step(policy, classified, decision, environ=environ)
    else:
        with agents.snapshot():  # one read of the identity tables' counter on a server, not four
            refusal = establish_identity(action, agents, environ)
            classified, decision = evaluate(policy, action, environ=environ, home=home)
            if refusal:
                decision = _refuse_identity(classified, decision, refusal)
            decision = _check_agent(agents, classified, decision)
            if preview:
                classified, decision = preview_step(policy, classified, decision, environ=environ)
            # after the preview: it decides again, and a lease only ever narrows
            decision = apply_lease(agents, classified, decision, environ, home)
    if ask_as_approve and decision.verdict == "ask":
        from blastdoor.action import Approvals as Required

        decision = decision.with_verdict(
            "approve", decision.rule, "the user cannot be asked for a confirmation here, so it needs an approval"
        )
        decision.approvals = Required()
    return classified, decision


def unrecorded(action: Action, decision: Decision, exc: BaseException) -> Decision:
    """The verdict when ``decision`` could not be recorded: only a plain read (or a deny) stands.

    An action the log does not know about must not run.
    """
    if decision.verdict == "deny" or (decision.verdict == "allow" and is_plain_read_action(action)):
        return decision
    return decision.with_verdict(
        "deny", AUDIT_UNAVAILABLE, f"the audit log cannot be written ({exc}), so only plain reads may run"
    )


def decide_and_record(
    policy: CompiledPolicy,
    action: Action,
    log: DecisionRecorder,
    correlation_id: str,
    *,
    approvals: Approvals | None = None,
    agents: Agents | None = None,
    ask_as_approve: bool = False,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
    break_glass: BreakGlass | None = None,
) -> tuple[Action, Decision]:
    """Check the agent, classify, decide, settle approvals, and record the decision. Never raises.

    ``judge`` makes the decision. ``approvals``: an ``approve`` verdict consumes the approved request
    for this exact action when there is one (the verdict becomes allow, once) and otherwise files or
    finds the pending request (``decision.request_id``). A deny that a granted break-glass covers
    becomes allow, once (``settle_break_glass``; ``break_glass`` defaults to one on the approvals'
    store). Fail closed: when the decision cannot be
    recorded, the verdict becomes ``unrecorded``'s. ``log`` may raise anything; ``StoreError`` is the
    expected one.
    """
    classified, decision = decide_unrecorded(
        policy,
        action,
        correlation_id,
        approvals=approvals,
        agents=agents,
        ask_as_approve=ask_as_approve,
        environ=environ,
        home=home,
        break_glass=break_glass,
    )
    return classified, record(log, classified, decision, correlation_id)


def decide_unrecorded(
    policy: CompiledPolicy,
    action: Action,
    correlation_id: str,
    *,
    approvals: Approvals | None = None,
    agents: Agents | None = None,
    ask_as_approve: bool = False,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
    break_glass: BreakGlass | None = None,
) -> tuple[Action, Decision]:
    """``decide_and_record`` up to the record: the decision that ``record`` must make durable before the
    action runs (only an allowed plain read may run while its record is being written). Never raises."""
    classified, decision = judge(
        policy, action, agents=agents, ask_as_approve=ask_as_approve, environ=environ, home=home
    )
    if approvals is not None and decision.verdict == "approve":
        decision = settle_approval(policy, approvals, classified, decision, correlation_id)
    if decision.verdict == "deny" and policy.break_glass is not None and approvals is not None:
        decision = settle_break_glass(policy, break_glass, approvals, agents, classified, decision, correlation_id)
    if policy.denials is not None and agents is not None:
        decision = apply_denial_memory(policy, agents, classified, decision)
    if policy.limits and agents is not None and decision.verdict in ("allow", "ask"):
        decision = apply_limits(policy, agents, classified, decision, correlation_id)
    return classified, decision


def record(log: DecisionRecorder, action: Action, decision: Decision, correlation_id: str) -> Decision:
    """Append the decision durably; the verdict to act on (``unrecorded``'s when it cannot be). Never raises."""
    try:
        log.record_decision(action, decision, correlation_id=correlation_id)
    except Exception as exc:  # the log's own errors and any bug behind it: same answer
        return unrecorded(action, decision, exc)
    return decision


async def decide_and_record_async(
    policy: CompiledPolicy,
    action: Action,
    log: DecisionSubmitter,
    correlation_id: str,
    *,
    offload: Offload,
    judge_here: bool,
    approvals: Approvals | None = None,
    agents: Agents | None = None,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
    break_glass: BreakGlass | None = None,
) -> tuple[Action, Decision]:
    """``decide_and_record`` for an event loop; the same steps and the same fail-closed answers.

    No thread waits for the durable append: the event is queued for the log's writer thread and the
    coroutine awaits it, so one loop keeps many decisions in flight while their events are committed
    together. ``judge_here``: classify and decide in the loop's own thread (right when the agent's
    status is a read from an embedded store, microseconds); otherwise ``offload(fn)`` runs it on
    another thread, as it always runs the settling of approvals (writes that may wait for a lock).
    """
    import asyncio

    def judged() -> tuple[Action, Decision]:
        return judge(policy, action, agents=agents, environ=environ, home=home, preview=not judge_here)

    classified, decision = judged() if judge_here else await offload(judged)
    if judge_here and wants_preview(policy, decision) and previewable(classified):
        first, judged_first = classified, decision

        def previewed() -> tuple[Action, Decision]:  # reads the world: never in the loop's thread
            return preview_step(policy, first, judged_first, environ=environ)

        classified, decision = await offload(previewed)
        if agents is not None:  # the preview decided again: the lease narrows that decision too
            leased_agents, previewed_decision, previewed_action = agents, decision, classified

            def leased() -> Decision:
                with leased_agents.snapshot():
                    return apply_lease(leased_agents, previewed_action, previewed_decision, environ, home)

            decision = await offload(leased)
    if approvals is not None and decision.verdict == "approve":
        judged_decision = decision

        def settled_approval() -> Decision:
            assert approvals is not None
            return settle_approval(policy, approvals, classified, judged_decision, correlation_id)

        decision = await offload(settled_approval)
    if decision.verdict == "deny" and policy.break_glass is not None and approvals is not None:
        denied, settled_approvals = decision, approvals
        decision = await offload(
            lambda: settle_break_glass(
                policy, break_glass, settled_approvals, agents, classified, denied, correlation_id
            )
        )
    if policy.denials is not None and agents is not None:
        memory_agents, remembered = agents, decision

        def denial_memory() -> Decision:
            return apply_denial_memory(policy, memory_agents, classified, remembered)

        decision = await offload(denial_memory)
    if policy.limits and agents is not None and decision.verdict in ("allow", "ask"):
        limited_agents, counted = agents, decision

        def limited() -> Decision:
            return apply_limits(policy, limited_agents, classified, counted, correlation_id)

        decision = await offload(limited)
    try:
        if judge_here:
            submitted = log.submit_decision(classified, decision, correlation_id=correlation_id)
        else:
            # A big action's event (its canonical JSON, redaction) is built off the loop as well.
            settled = decision

            def recorded() -> Any:
                return log.submit_decision(classified, settled, correlation_id=correlation_id)

            submitted = await offload(recorded)
        await asyncio.wrap_future(submitted)
    except Exception as exc:  # the log's own errors and any bug behind it: same answer
        decision = unrecorded(classified, decision, exc)
    return classified, decision


# -- the preview step: an escalated action is previewed, then judged again on what it would change ------


def wants_preview(policy: CompiledPolicy, decision: Decision) -> bool:
    """Cheap, imports nothing: whether ``preview_step`` has anything to do (never for an allow)."""
    if decision.verdict == "allow":
        return False
    from blastdoor.preview.step import needs_preview

    return needs_preview(policy, decision)


def previewable(action: Action) -> bool:
    """Whether a previewer applies to a part of ``action`` (pure: no reads of the world)."""
    from blastdoor.preview import applicable

    return bool(applicable(action))


def preview_step(
    policy: CompiledPolicy, action: Action, decision: Decision, *, environ: Mapping[str, str] | None = None
) -> tuple[Action, Decision]:
    """Preview an escalated action and decide again (``blastdoor.preview.step``). Never raises."""
    if not wants_preview(policy, decision):
        return action, decision
    from blastdoor.preview.step import with_preview

    return with_preview(policy, action, decision, environ=environ)


def _check_agent(agents: Agents, action: Action, decision: Decision) -> Decision:
    if decision.verdict == "deny":
        return decision
    # An agent judged as unknown-agent is still cut off by the kill switch of the id it claimed.
    for agent_id in dict.fromkeys(a for a in (action.agent.id, action.agent.claimed) if a):
        try:
            status, reason, by = agents.status(agent_id)
        except Exception as exc:
            if decision.verdict == "allow" and is_plain_read_action(action):
                return decision
            return decision.with_verdict(
                "deny", IDENTITY_UNAVAILABLE, f"the agent's status cannot be read ({exc}), so only plain reads may run"
            )
        if status == "revoked":
            detail = (f" by {by}" if by else "") + (f": {reason}" if reason else "")
            return decision.with_verdict("deny", AGENT_REVOKED, f"revoked: agent {agent_id} was revoked{detail}")
    return decision


# -- identity: who the caller is, established by its credential, not by the name it gives ------------


def establish_identity(action: Action, agents: Agents | None, environ: Mapping[str, str] | None) -> str:
    """Set ``action.agent`` to who the caller is; the reason a presented credential was refused, or ''.

    A valid credential makes the caller its agent (``verified``), whatever id it claimed. A refused one
    (forged, expired, revoked, unreadable) makes it ``unknown-agent`` and the refusal denies anything but
    a plain read. No credential: the claimed id stands, unverified, unless that id is enrolled (holds a
    credential), then the caller is ``unknown-agent``. ``verified`` is never taken from the caller.
    Never raises: a store that cannot be read judges the caller as ``unknown-agent``.
    """
    import os

    from blastdoor.action import Agent
    from blastdoor.identity.credentials import UNKNOWN_AGENT, CredentialRefused, presented

    agent = action.agent
    claimed = agent.id if agent.id != UNKNOWN_AGENT else (agent.claimed or agent.id)
    agent.verified, agent.claimed = False, ""
    try:
        token = presented(environ if environ is not None else os.environ)
        if not token:
            if agents is None or not agents.credentials.enrolled(claimed):
                return ""
            who, refusal = UNKNOWN_AGENT, ""
        elif agents is None:
            who, refusal = UNKNOWN_AGENT, "there is no store here to verify the agent credential"
        else:
            who, refusal = agents.credentials.verify(token), ""
    except CredentialRefused as exc:
        who, refusal = UNKNOWN_AGENT, str(exc)
    except Exception as exc:  # the store or the crypto failed: nobody is verified
        who, refusal = UNKNOWN_AGENT, f"the agent credential cannot be checked ({type(exc).__name__}: {exc})"
    action.agent = Agent(
        who,
        agent.harness,
        session=agent.session,
        on_behalf_of=agent.on_behalf_of,
        host=agent.host,
        subagent=agent.subagent,
        verified=who != UNKNOWN_AGENT,
        claimed=claimed if claimed != who else "",
    )
    for part in action.parts:
        part.agent = action.agent
    return refusal


# -- the circuit breaker: the policy's limits, counted on the store ------------------------------------

LIMIT_TRIPPED = "limit.tripped"  # pseudo-rule prefix: a tripped limit refused the action
LIMIT_UNAVAILABLE = "limit.unavailable"  # the counters could not be read or written


def apply_limits(
    policy: CompiledPolicy, agents: Agents, action: Action, decision: Decision, correlation_id: str
) -> Decision:
    """Count an action that may run (allow, ask) against the limits it hits; a tripped limit's verdict.

    Counted per agent (the claimed id of an unverified caller: dropping a credential does not reset
    a count). Never raises; counters that cannot be written deny anything but a plain read.
    """
    from blastdoor.limits import Breaker
    from blastdoor.policy.limits import hits

    try:
        limits = hits(policy, action)
        if not limits:
            return decision
        agent_id = action.agent.claimed or action.agent.id
        trip = Breaker(agents.store, agents.log, clock=agents.clock).check(
            agent_id, limits, correlation_id=correlation_id
        )
    except Exception as exc:  # fail closed
        if decision.verdict == "allow" and is_plain_read_action(action):
            return decision
        return decision.with_verdict("deny", LIMIT_UNAVAILABLE, f"the limits cannot be counted ({exc})")
    if trip is None:
        return decision
    verdict = trip.limit.verdict
    from blastdoor.action.verdict import SEVERITY

    if SEVERITY[verdict] <= SEVERITY[decision.verdict]:
        return decision
    raised = decision.with_verdict(verdict, f"{LIMIT_TRIPPED}:{trip.limit.id}", trip.reason(agent_id))
    if verdict == "approve":
        from blastdoor.action import Approvals as Required

        raised.approvals = Required()
    return raised


# -- denial memory: what was denied stays denied for the session, by any route -----------------------

DENIAL_REMEMBERED = "denials.remembered"  # the same effect on the same target was denied in this session
DENIALS_PAUSED = "denials.paused"  # a run of denials paused the session until a person resumes it


def apply_denial_memory(policy: CompiledPolicy, agents: Agents, action: Action, decision: Decision) -> Decision:
    """Remember a deny by its (effect, target); deny an action that repeats one, or a paused session.

    Keyed by the agent (the claimed id of an unverified caller) and its session. Never raises: memory
    that cannot be read denies anything but a plain read; memory that cannot be written leaves the deny.
    """
    from blastdoor.limits.memory import Memory

    terms = policy.denials or {}
    memory = Memory(agents.store, agents.log, clock=agents.clock)
    agent_id = action.agent.claimed or action.agent.id
    session = action.agent.session
    if decision.verdict == "deny":
        try:
            if memory.remember(agent_id, session, action, decision.rule, int(terms.get("pause_after", 0))):
                decision.reasons = (*decision.reasons, "this session is now paused: `blastdoor limits resume`")
        except Exception as exc:  # the deny stands either way
            decision.reasons = (*decision.reasons, f"the denial could not be remembered: {exc}")
        return decision
    plain = decision.verdict == "allow" and is_plain_read_action(action)
    try:
        found = memory.recall(agent_id, session, action)
    except Exception as exc:  # fail closed
        if plain:
            return decision
        return decision.with_verdict("deny", DENIALS_PAUSED, f"the denial memory cannot be read ({exc})")
    if found is None or plain:
        return decision
    what, rule = found
    if what == "paused":
        return decision.with_verdict(
            "deny",
            DENIALS_PAUSED,
            f"agent {agent_id} is paused in this session after a run of denials;"
            f" a person resumes it: `blastdoor limits resume --agent {agent_id}`",
        )
    if not terms.get("remember"):
        return decision
    denied = decision.with_verdict(
        "deny",
        DENIAL_REMEMBERED,
        f"{what} was denied earlier in this session (rule {rule}); another route to it gets the same verdict",
    )
    try:
        memory.remember(agent_id, session, action, DENIAL_REMEMBERED, int(terms.get("pause_after", 0)))
    except Exception:  # the deny stands
        pass
    return denied


# -- task leases: the agent's active lease narrows the verdict, never widens it ----------------------

LEASE_UNAVAILABLE = "lease.unavailable"  # the agent's leases could not be read
LEASE_UNBOUND = "lease.unbound"  # the session is bound to a lease that does not apply (ended, another agent's)


def apply_lease(
    agents: Agents, action: Action, decision: Decision, environ: Mapping[str, str] | None, home: str | None
) -> Decision:
    """Raise ``decision`` to the lease's ``otherwise`` when the action is outside every active lease.

    No active lease: the standing policy alone decides. ``$BLASTDOOR_LEASE`` binds the session to one
    lease: only it applies, and when it does not (ended, another agent's) anything but a plain read is
    denied. Leases of the claimed id apply to an unverified caller too. Never raises; an unreadable lease
    table denies anything but a plain read.
    """
    import os

    from blastdoor.identity.leases import ENV_LEASE
    from blastdoor.policy.leases import covers, narrow

    if decision.verdict == "deny":
        return decision
    env = environ if environ is not None else os.environ
    bound = env.get(ENV_LEASE, "")
    try:
        ids = tuple(dict.fromkeys(a for a in (action.agent.id, action.agent.claimed) if a))
        leases = agents.leases.active_for(ids)
        if bound:
            leases = [lease for lease in leases if lease.id == bound]
            if not leases:
                if decision.verdict == "allow" and is_plain_read_action(action):
                    return decision
                return decision.with_verdict(
                    "deny", LEASE_UNBOUND, f"this session is bound to lease {bound}, which is not active for this agent"
                )
        if not leases:
            return decision
        home = home or env.get("HOME") or os.path.expanduser("~")
        for lease in leases:
            if covers(agents.leases.scope_of(lease, home), action):
                return decision
        strictest = max(leases, key=lambda lease: _SEVERITY_ORDER.index(lease.otherwise))
        return narrow(decision, strictest.otherwise, strictest.id, strictest.task)
    except Exception as exc:  # fail closed
        if decision.verdict == "allow" and is_plain_read_action(action):
            return decision
        return decision.with_verdict("deny", LEASE_UNAVAILABLE, f"the agent's leases cannot be read ({exc})")


_SEVERITY_ORDER = ("allow", "ask", "approve", "deny")


def _refuse_identity(action: Action, decision: Decision, refusal: str) -> Decision:
    if decision.verdict == "allow" and is_plain_read_action(action):
        decision.reasons = (*decision.reasons, f"agent credential refused: {refusal}")
        return decision
    return decision.with_verdict("deny", IDENTITY_REFUSED, f"agent credential refused: {refusal}")


def _moved(action: Action, decision: Decision, stale: Any) -> Decision:
    """The refusal when the approved request was for another state (the preview or env moved)."""
    from blastdoor.action.preview import what_moved

    if stale.env != action.env:
        why_moved = f"it was approved for environment `{stale.env}` and now resolves to `{action.env}`"
    else:
        why_moved = what_moved(stale.detail.get("preview"), action.preview)
    refused = decision.with_verdict(
        "deny",
        MOVED,
        f"request {stale.id} was approved for another state, so it does not hold: {why_moved}. Nothing ran; "
        "ask for a new approval of what the command would do now",
    )
    refused.request_id = stale.id
    return refused


def settle_approval(
    policy: CompiledPolicy, approvals: Approvals, action: Action, decision: Decision, correlation_id: str
) -> Decision:
    """Consume an approved request for this exact action, else file (or find) the pending one.

    A failure here leaves the verdict at approve without a request id: the adapters then say that no
    request could be filed, and nothing runs.
    """
    try:
        used = approvals.consume(action)
        if used is not None:
            allowed = decision.with_verdict(
                "allow", decision.rule, f"approved by {', '.join(used.approvers)} (request {used.id}), used once"
            )
            allowed.request_id = used.id
            allowed.approved_by = tuple(used.approvers)
            return allowed
        stale = approvals.approved_for_other_state(action)
        if stale is not None:
            return _moved(action, decision, stale)
        group = decision.approvals.group if decision.approvals is not None else ""
        eligible = policy.approvers.get(group, []) if group else []
        request = approvals.file(action, decision, eligible=eligible, correlation_id=correlation_id)
        decision.request_id = request.id
    except Exception as exc:  # no request filed: still approve (nothing runs), with the reason
        decision.reasons = (*decision.reasons, f"no approval request could be filed: {exc}")
    return decision


# -- break-glass: a deny that a granted break-glass covers is lifted, once ---------------------------


def settle_break_glass(
    policy: CompiledPolicy,
    glass: BreakGlass | None,
    approvals: Approvals,
    agents: Agents | None,
    action: Action,
    decision: Decision,
    correlation_id: str,
) -> Decision:
    """Use a granted break-glass for this exact action when one covers every rule that denied it.

    Only rules the policy's ``break_glass`` block lists are ever lifted, and only when nothing else
    denies the action (``policy.breakglass.lifts``); a revoked agent stays denied and its break-glass
    unused. The use is its own audit event before the decision's. Any failure leaves the deny.
    """
    from blastdoor.policy.breakglass import breakable, lifts

    try:
        denying = {m.rule for m in decision.matched if m.verdict == "deny"}
        if not denying or not denying <= breakable(policy) or not lifts(policy, action, decision, denying):
            return decision
        if glass is None:
            from blastdoor.approvals.break_glass import BreakGlass

            glass = BreakGlass(approvals.store, approvals.log, clock=approvals.clock)
        if agents is not None:  # a revoked agent (or an unreadable status) stays denied, its break-glass unused
            checked = _check_agent(agents, action, decision.with_verdict("allow", BREAK_GLASS_USED, "break-glass"))
            if checked.verdict == "deny":
                return checked
        used = glass.consume(action, denying)
        if used is None:
            hint = "a break-glass can override this deny once: `blastdoor break-glass request` (docs/BREAK-GLASS.md)"
            decision.reasons = (*decision.reasons, hint)
            return decision
        glass.record_use(used, correlation_id)
    except Exception as exc:  # fail closed: the deny stands
        decision.reasons = (*decision.reasons, f"break-glass could not be checked: {exc}")
        return decision
    broken = ", ".join(sorted(denying))
    allowed = decision.with_verdict(
        "allow",
        BREAK_GLASS_USED,
        f"break-glass {used.id} by {', '.join(used.approvers)} overrides {broken}, once: {used.reason}",
    )
    allowed.request_id = used.id
    allowed.approved_by = tuple(used.approvers)
    return allowed
