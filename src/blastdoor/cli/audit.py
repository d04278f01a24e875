"""``blastdoor audit``: read, search, verify, prove, export and checkpoint the audit log."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from blastdoor.errors import InputError, NotFound, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from blastdoor.audit.checkpoint import Verifier
    from blastdoor.audit.log import AuditLog
    from blastdoor.audit.verify import Row

from blastdoor.cli.exits import FAILED, OK, UNANCHORED

DESCRIPTION = """\
The audit log: every decision, approval and outcome, in an append-only Merkle tree (RFC 6962) of
canonical JSON entries, with signed checkpoints (C2SP signed notes, Ed25519).

The log lives in $BLASTDOOR_HOME/blastdoor.db (default ~/.local/share/blastdoor/) or the store given
by --db (a path, sqlite:///PATH or postgresql://...). The checkpoint signing key is
$BLASTDOOR_HOME/audit.key (mode 0600, never in the database); verifier keys it has used are listed in
audit.key.trusted beside it."""

EPILOG = """\
examples:
  blastdoor audit tail -n 20                 the last 20 entries
  blastdoor audit tail -f                    follow new entries as they are written
  blastdoor audit show 42 --json             entry 42 as JSON
  blastdoor audit search --agent ci-bot --verdict deny --since 24h
  blastdoor audit checkpoint --out cp.txt    sign the tree head now and keep a copy elsewhere
  blastdoor audit verify --checkpoint cp.txt  verify the log, and that it still extends cp.txt
  blastdoor audit export --format bundle --out log.jsonl
  blastdoor audit verify --bundle log.jsonl --trust 'blastdoor-audit+1a2b3c4d+AU...'
  blastdoor audit prove 42 --out p.json && blastdoor audit prove --check p.json
  blastdoor audit export --format ocsf --since 2026-01-01

verify and prove --check print one of: `ok` (checked, and vouched for by a trusted key: a signed
checkpoint, the sealed head, a witness), `UNANCHORED` (consistent with itself, but nothing trusted
vouched for it; the line says what was not checked) or `FAILED at seq N` (the first entry that cannot
be trusted).

exit codes: 0 ok, 1 verification failed, 2 usage error, 7 bad input, 8 store unavailable,
9 UNANCHORED (nothing wrong found, but no trusted key vouched for it)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="the store (default: $BLASTDOOR_HOME/blastdoor.db)")
    common.add_argument("--key", dest="key_path", metavar="FILE", help="signing key (default: <home>/audit.key)")
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON instead of text")

    p = subparsers.add_parser(
        "audit",
        help="read, verify, prove and export the audit log",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="audit_command", metavar="SUBCOMMAND", required=True)

    def add(name: str, help: str, description: str, epilog: str, parents: list[argparse.ArgumentParser]) -> Any:
        return sub.add_parser(
            name,
            help=help,
            description=description,
            epilog=epilog,
            parents=parents,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    t = add(
        "tail",
        "the latest entries",
        "Print the latest entries, oldest first; with -f, keep printing new ones as they are written.",
        "examples:\n  blastdoor audit tail -n 50\n  blastdoor audit tail -f --json | jq .event.verdict",
        [common, as_json],
    )
    t.add_argument("-n", "--lines", type=int, default=10, metavar="N", help="how many entries (default 10)")
    t.add_argument("-f", "--follow", action="store_true", help="keep printing new entries")
    t.set_defaults(func=cmd_tail)

    s = add(
        "show",
        "one entry",
        "Print one entry by its sequence number.",
        "examples:\n  blastdoor audit show 42\n  blastdoor audit show 42 --json",
        [common, as_json],
    )
    s.add_argument("seq", type=int, metavar="ID", help="sequence number")
    s.set_defaults(func=cmd_show)

    q = add(
        "search",
        "entries matching filters",
        "Find entries by agent, verdict, tool, environment, kind, correlation id and time (newest first).\n"
        "Times are RFC 3339 (2026-01-31T12:00:00Z), dates (2026-01-31) or ages (30m, 12h, 7d).",
        "examples:\n  blastdoor audit search --verdict deny --since 7d\n"
        "  blastdoor audit search --correlation toolu_01ABC --json",
        [common, as_json],
    )
    q.add_argument("--agent", default="", help="agent id")
    q.add_argument("--verdict", default="", choices=["", "allow", "ask", "approve", "deny"], help="verdict")
    q.add_argument("--tool", default="", help="tool family (shell, mcp, aws, ...)")
    q.add_argument("--env", default="", help="environment name")
    q.add_argument("--kind", default="", help="event kind (decision, outcome, approval.granted, ...)")
    q.add_argument("--correlation", default="", help="correlation id (e.g. the harness's tool_use_id)")
    q.add_argument("--since", default="", help="from this time on")
    q.add_argument("--until", default="", help="before this time")
    q.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    q.add_argument(
        "--before", type=int, default=None, metavar="SEQ", help="only entries older than SEQ (the next page)"
    )
    q.set_defaults(func=cmd_search)

    v = add(
        "verify",
        "check the log (or a bundle) end to end",
        "Re-hash every entry, check the sequence is contiguous and time monotonic, recompute the root at\n"
        "every checkpoint and check its signature. Against --checkpoint (a copy kept elsewhere), also\n"
        "detect truncation and rollback. With --bundle, check an exported bundle without any database.\n"
        "Exit 1 naming the first bad sequence number when anything is wrong; exit 9 (UNANCHORED) when\n"
        "nothing is wrong but no trusted key vouches for every entry (the output says what was not checked).",
        "examples:\n  blastdoor audit verify\n  blastdoor audit verify --checkpoint /secure/last-cp.txt\n"
        "  blastdoor audit verify --bundle log.jsonl --trust 'blastdoor-audit+1a2b3c4d+AU...'",
        [common, as_json],
    )
    v.add_argument("--bundle", metavar="FILE", help="verify this exported bundle instead of the store")
    v.add_argument(
        "--checkpoint", action="append", default=[], metavar="FILE", help="an exported checkpoint (repeatable)"
    )
    v.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="VKEY",
        help="trusted verifier key, or a file of them (default: the key ring's)",
    )
    v.add_argument("--deep", action="store_true", help="also parse every entry and check its indexed columns")
    v.set_defaults(func=cmd_verify)

    pr = add(
        "prove",
        "an inclusion proof for one entry",
        "Print an inclusion proof for entry ID against the latest checkpoint covering it: a JSON document\n"
        "anyone can check with `prove --check` or any RFC 6962 implementation, without the database.\n"
        "--check uses --trust keys, else the key ring's; with neither it checks the hashes only, prints\n"
        "UNANCHORED and exits 9 (a forged checkpoint signature is never accepted as `ok`).",
        "examples:\n  blastdoor audit prove 42 --out proof.json\n"
        "  blastdoor audit prove --check proof.json --trust 'blastdoor-audit+1a2b3c4d+AU...'",
        [common, as_json],
    )
    pr.add_argument("seq", type=int, nargs="?", metavar="ID", help="sequence number")
    pr.add_argument("--size", type=int, help="prove against this tree size instead")
    pr.add_argument("--out", metavar="FILE", help="write the proof here")
    pr.add_argument("--check", metavar="FILE", help="check a proof document instead")
    pr.add_argument("--trust", action="append", default=[], metavar="VKEY", help="trusted verifier key")
    pr.set_defaults(func=cmd_prove)

    e = add(
        "export",
        "entries as JSON lines, a bundle, OCSF, CloudEvents or OpenTelemetry",
        "Write entries in one of these formats, one JSON document per line (otel: one OTLP/JSON request):\n"
        "  jsonl        the entries themselves ({event, seq, time})\n"
        "  bundle       the entries and every signed checkpoint: verifiable offline with verify --bundle\n"
        "  ocsf         OCSF 1.8 API Activity (6003) / Process Activity (1007) events\n"
        "  cloudevents  CloudEvents 1.0, structured JSON\n"
        "  otel         OpenTelemetry execute_tool spans as OTLP/JSON (--send: through the SDK, extra otel)",
        "examples:\n  blastdoor audit export --format bundle --out log.jsonl\n"
        "  blastdoor audit export --format ocsf --since 24h > events.ocsf.jsonl     for your SIEM",
        [common],
    )
    e.add_argument("--format", required=True, choices=["jsonl", "bundle", "ocsf", "cloudevents", "otel"])
    e.add_argument("--from", dest="start", type=int, default=0, metavar="ID", help="first sequence number")
    e.add_argument("--since", default="", help="only entries from this time on")
    e.add_argument("--until", default="", help="only entries before this time")
    e.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    e.add_argument("--send", action="store_true", help="otel: send spans through the configured SDK exporter")
    e.set_defaults(func=cmd_export)

    c = add(
        "checkpoint",
        "sign the tree head now",
        "Sign a checkpoint of the current tree head and print it. Keep a copy outside this machine:\n"
        "`verify --checkpoint` then detects truncation and rollback. --rotate-key replaces the signing\n"
        "key (recorded as an event; the next checkpoint is signed by the old and the new key).",
        "examples:\n  blastdoor audit checkpoint --out /secure/cp-$(date +%F).txt\n"
        "  blastdoor audit checkpoint --rotate-key --reason 'yearly rotation'",
        [common, as_json],
    )
    c.add_argument("--out", metavar="FILE", help="also write the signed checkpoint here")
    c.add_argument("--rotate-key", action="store_true", help="rotate the signing key first")
    c.add_argument("--reason", default="", help="why the key is rotated")
    c.set_defaults(func=cmd_checkpoint)

    w = add(
        "witness-init",
        "make a witness key (to witness another blastdoor's audit log)",
        "Write a new witness signing key to --out (mode 0600) and print its cosignature/v1 verifier key.\n"
        "Serve it with BLASTDOOR_WITNESS_KEY=FILE and BLASTDOOR_WITNESS_LOGS=LOGS (one `ORIGIN VKEY` a line)\n"
        "on `blastdoor serve`; the witnessed log lists `witness URL/witness VKEY` in <key>.anchors.",
        "examples:\n  blastdoor audit witness-init --out witness.key --name witness-1",
        [],
    )
    w.add_argument("--out", required=True, metavar="FILE", help="where to write the witness signing key")
    w.add_argument("--name", default="blastdoor-witness", help="the witness's key name")
    w.set_defaults(func=cmd_witness_init)


# -- helpers -------------------------------------------------------------------------------------


def _open(args: argparse.Namespace, **options: Any) -> AuditLog:
    from blastdoor.store import open_log

    return open_log(args.db, key_path=args.key_path, checkpoint_on_close=False, **options)


def parse_when(text: str) -> str:
    """An RFC 3339 / date / age (``30m``) as the log's fixed-width UTC time."""
    from blastdoor.audit.events import parse_when as _parse

    try:
        return _parse(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _line(entry: dict[str, Any]) -> str:
    e = entry["event"]
    who = e.get("agent_id") or "-"
    what = e.get("operation") or e.get("tool") or ""
    verdict = e.get("verdict") or ""
    extra = ""
    if e.get("kind") == "outcome":
        o = e.get("outcome") or {}
        extra = f"exit={o.get('exit_code')}" if "exit_code" in o else str(o.get("error", ""))
    elif e.get("rule"):
        extra = f"rule={e['rule']}"
    raw = (e.get("action") or {}).get("raw", "")
    raw = f"  {raw[:80]}" if raw else ""
    kind = e.get("kind", "")
    return f"{entry['seq']:>8}  {entry['time']}  {kind:<18} {who:<16} {verdict:<8} {what} {extra}{raw}".rstrip()


def _print(entries: list[dict[str, Any]], as_json: bool, out: TextIO | None = None) -> None:
    # sys.stdout read at call time, not bound at import: it may be replaced (redirected, captured) since.
    out = out or sys.stdout
    for entry in entries:
        out.write((json.dumps(entry, ensure_ascii=False) if as_json else _line(entry)) + "\n")
    out.flush()


def _trusted(args: argparse.Namespace, log: AuditLog | None) -> list[Verifier] | None:
    from blastdoor.audit.checkpoint import NoteError, Verifier

    if not args.trust:
        return None
    out: list[Verifier] = []
    for item in args.trust:
        lines = [item]
        if "+" not in item:
            try:
                with open(item, encoding="ascii") as f:
                    lines = [ln for ln in f.read().splitlines() if ln.strip() and not ln.startswith("#")]
            except OSError as exc:
                raise InputError(f"cannot read trusted keys from `{item}`: {exc}") from exc
        for ln in lines:
            try:
                out.append(Verifier.parse(ln))
            except NoteError as exc:
                raise InputError(f"bad verifier key `{ln.strip()}`: {exc}") from exc
    return out


def _ring(args: argparse.Namespace) -> Any:
    """The key ring of ``--key`` (default ``<home>/audit.key``): its trusted keys anchor checks by default."""
    import os

    from blastdoor.audit.keys import KeyRing
    from blastdoor.store import default_home

    return KeyRing(args.key_path or os.path.join(default_home(), "audit.key"))


def _read(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise InputError(f"cannot read `{path}`: {exc}") from exc


# -- commands ------------------------------------------------------------------------------------------


def cmd_tail(args: argparse.Namespace) -> int:
    log = _open(args)
    try:
        size = log.size()
        start = max(0, size - args.lines)
        _print(list(log.entries(start, size)), args.json)
        while args.follow:
            time.sleep(0.5)
            now = log.size()
            if now > size:
                _print(list(log.entries(size, now)), args.json)
                size = now
    finally:
        log.close()
    return OK


def cmd_show(args: argparse.Namespace) -> int:
    log = _open(args)
    try:
        entry = log.entry(args.seq)
    finally:
        log.close()
    if entry is None:
        raise NotFound(f"no entry {args.seq}")
    if args.json:
        print(json.dumps(entry, ensure_ascii=False, indent=2))
    else:
        print(_line(entry))
        print(json.dumps(entry["event"], ensure_ascii=False, indent=2, sort_keys=True))
    return OK


def cmd_search(args: argparse.Namespace) -> int:
    from blastdoor.audit.log import Query

    query = Query(
        agent=args.agent,
        verdict=args.verdict,
        tool=args.tool,
        env=args.env,
        kind=args.kind,
        correlation_id=args.correlation,
        since=parse_when(args.since),
        until=parse_when(args.until),
        limit=args.limit,
        before=args.before,
    )
    log = _open(args)
    try:
        _print(log.search(query), args.json)
    finally:
        log.close()
    return OK


def read_bundle(text: str) -> tuple[str, list[Row], list[str]]:
    """The origin, entries (as verify rows) and checkpoint notes of an exported bundle or JSON lines.

    Raises ``InputError`` at the first line that is none of those (``verify --bundle`` reports it as a
    failure at the entry it stands for instead: see ``blastdoor.audit.verify.parse_bundle``).
    """
    from blastdoor.audit.verify import parse_bundle

    origin, rows, notes, bad = parse_bundle(text)
    if bad is not None:
        raise InputError(bad[1])
    return origin, rows, notes


def cmd_verify(args: argparse.Namespace) -> int:
    from blastdoor.audit.verify import parse_bundle, verify_entries

    external = [_read(p) for p in args.checkpoint]
    if args.bundle:
        origin, rows, notes, bad = parse_bundle(_read(args.bundle))
        trusted = _trusted(args, None)
        if trusted is None:
            trusted = _ring(args).trusted()
        report = verify_entries(
            rows, checkpoints=notes, external=external, trusted=trusted, origin=origin, complete=bool(notes)
        )
        if bad is not None and (report.ok or bad[0] < (report.first_bad or 0)):
            report.add(*bad)
    else:
        log = _open(args)
        try:
            report = log.verify(external=external, trusted=_trusted(args, log), deep=args.deep)
        finally:
            log.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.summary())
        for p in sorted(report.problems, key=lambda p: p.seq)[1:]:
            print(f"  also: {p}")
        for w in report.warnings:
            print(f"  note: {w}")
    if not report.ok:
        return FAILED
    return OK if report.anchored else UNANCHORED


def cmd_prove(args: argparse.Namespace) -> int:
    from blastdoor.audit.merkle import ProofError
    from blastdoor.audit.proofs import check_inclusion_anchored

    if args.check:
        try:
            proof = json.loads(_read(args.check))
        except ValueError as exc:
            print(f"FAILED: `{args.check}` is not a JSON proof document ({exc})")
            return FAILED
        trusted = _trusted(args, None)
        if trusted is None:
            trusted = _ring(args).trusted()
        try:
            what, anchored = check_inclusion_anchored(proof, trusted)
        except ProofError as exc:
            print(f"FAILED: {exc}")
            return FAILED
        if not anchored:
            print(f"UNANCHORED: {what}")
            return UNANCHORED
        print(f"ok: {what}")
        return OK
    if args.seq is None:
        raise UsageError("give an entry ID to prove, or --check FILE")
    log = _open(args)
    try:
        proof = log.prove(args.seq, args.size)
    finally:
        log.close()
    text = json.dumps(proof, indent=2, ensure_ascii=False)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        if not args.json:
            print(f"proof of entry {args.seq} in a tree of size {proof['size']}: {args.out}")
            return OK
    print(text)
    return OK


def _export_entries(log: AuditLog, args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    since, until = parse_when(args.since), parse_when(args.until)
    for entry in log.entries(args.start):
        if since and entry["time"] < since:
            continue
        if until and entry["time"] >= until:
            break
        yield entry


def cmd_export(args: argparse.Namespace) -> int:
    from blastdoor.audit import export

    log = _open(args)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    try:
        entries = _export_entries(log, args)
        dump = json.dumps
        if args.format == "otel":
            if args.send:
                from blastdoor.audit.otel import emit_spans

                n = emit_spans(entries)
                print(f"sent {n} spans", file=sys.stderr)
            else:
                out.write(dump(export.otlp_json(entries, origin=log.origin), ensure_ascii=False) + "\n")
        elif args.format == "bundle":
            if log.size():
                log.checkpoint()  # the bundle ends covered by a signed checkpoint: no unsigned tail
            cps = log.store.checkpoints()
            out.write(dump({"blastdoor_bundle": 1, "origin": log.origin}) + "\n")
            i = 0
            for entry in entries:
                while i < len(cps) and cps[i][0] <= entry["seq"]:
                    out.write(dump({"checkpoint": cps[i][2]}) + "\n")
                    i += 1
                out.write(dump(entry, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n")
            for _, _, note in cps[i:]:
                out.write(dump({"checkpoint": note}) + "\n")
        else:
            for entry in entries:
                if args.format == "jsonl":
                    doc = entry
                elif args.format == "ocsf":
                    doc = export.to_ocsf(entry)
                else:
                    doc = export.to_cloudevent(entry, origin=log.origin)
                out.write(dump(doc, ensure_ascii=False) + "\n")
        out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
        log.close()
    return OK


def cmd_checkpoint(args: argparse.Namespace) -> int:
    log = _open(args)
    try:
        new_key = log.rotate_key(reason=args.reason) if args.rotate_key else ""
        note = log.checkpoint()
    finally:
        log.close()
    if note is None:
        raise InputError("the log is empty: nothing to checkpoint")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(note)
    if args.json:
        print(json.dumps({"checkpoint": note, "new_key": new_key} if new_key else {"checkpoint": note}))
    else:
        if new_key:
            print(f"new signing key: {new_key}")
        sys.stdout.write(note)
    return OK


def cmd_witness_init(args: argparse.Namespace) -> int:
    import os

    from blastdoor.audit.checkpoint import NoteError, Signer
    from blastdoor.audit.witness import CosignatureVerifier

    try:
        signer = Signer.generate(args.name)
    except NoteError as exc:
        raise UsageError(str(exc)) from exc
    try:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise InputError(f"cannot create `{args.out}`: {exc}") from exc
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(str(signer) + "\n")
    print(CosignatureVerifier.of(signer))
    return OK
