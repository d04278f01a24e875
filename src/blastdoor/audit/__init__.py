"""The audit log: every decision, approval and outcome, tamper-evident.

Public API (the pipeline and the CLI use only this)::

    from blastdoor.store import open_log          # store sits above audit: it implements LogStore

    log = open_log(url=None, key_path=None,       # None: $BLASTDOOR_HOME/blastdoor.db (SQLite);
                   checkpoint_every=1000,         #  or a path, sqlite:///PATH, postgresql://...?schema=S
                   checkpoint_interval=60.0,
                   checkpoint_on_close=True)      # hooks: False (signing imports cryptography)
    seq = log.record_decision(action, decision, correlation_id="toolu_01")   # before the action runs
    seq = log.record_outcome("toolu_01", exit_code=0, duration_ms=12.5)       # after it ran
    seq = log.append(event)                       # any event dict (see ``events``): approvals, revocations
    note = log.checkpoint()                       # sign the tree head now (C2SP signed note)
    report = log.verify(external=[note])          # ``report.ok``, ``report.first_bad``, ``report.summary()``
    proof = log.prove(seq)                        # checkable offline: ``proofs.check_inclusion(proof)``
    log.close()                                   # checkpoints when configured and anything is new

``append`` (and the ``record_*`` helpers) return once the event is durable and raise ``StoreError`` when
it cannot be written: the caller must then refuse any action that is not a plain read. Bad events raise
``InputError``. Secrets in events are replaced by salted hashes before anything is written.

Modules: ``events`` (kinds, builders, the entry envelope), ``redact``, ``merkle`` (RFC 6962),
``checkpoint`` (signed notes, Ed25519), ``keys`` (key, salt and trust files), ``batch`` (sealing, group
commit), ``log`` (``AuditLog``, the ``LogStore`` protocol), ``verify``, ``proofs``, ``export`` (OCSF,
CloudEvents, OTLP), ``otel`` (the optional SDK path).
"""

from blastdoor.audit.log import AuditLog, LogStore, Query

__all__ = ["AuditLog", "LogStore", "Query"]
