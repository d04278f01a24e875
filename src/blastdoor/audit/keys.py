"""The files beside the log that an attacker with the database alone does not have.

    <key>           the checkpoint signing key (signed-note signer key text), mode 0600
    <key>.trusted   verifier keys this machine has signed with, one per line: the anchors of ``verify``
    <key>.salt      the redaction salt (32 random bytes), mode 0600

None of them ever goes into the database. A key file readable by others is refused, as ssh does.
"""

from __future__ import annotations

import os
import threading

from blastdoor.errors import StoreError

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    from blastdoor.audit.checkpoint import Signer, Verifier

KEY_NAME = "blastdoor-audit"


# Plain os.path rather than pathlib: pathlib costs ~8 ms to import, and the hook reads the salt.


def _mkdir_for(path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)


def _beside(path: str, prefix: str, suffix: str) -> str:
    head, name = os.path.split(path)
    return os.path.join(head, f"{prefix}{name}{suffix}")


def _write_new(path: str, data: bytes) -> None:
    """Create ``path`` with mode 0600 atomically (temp file + rename), replacing any old one."""
    _mkdir_for(path)
    tmp = _beside(path, ".", f".{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _read_private(path: str) -> bytes:
    st = os.stat(path)
    if st.st_mode & 0o077:
        raise StoreError(
            f"`{path}` is readable by other users (mode {st.st_mode & 0o777:04o})",
            hints=[f"chmod 600 {path}"],
        )
    with open(path, "rb") as f:
        return f.read()


class KeyRing:
    """The signing key, the trusted verifier keys and the redaction salt of one log."""

    def __init__(self, key_path: str | os.PathLike[str]) -> None:
        self.key_path = os.fspath(key_path)
        self.trusted_path = self.key_path + ".trusted"
        self.salt_path = self.key_path + ".salt"
        self._salt: bytes | None = None
        self._seal: bytes | None = None

    # -- salt: read on the hot path, so no cryptography here ------------------------------------

    def salt(self) -> bytes:
        if self._salt is None:
            try:
                data = _read_private(self.salt_path)
            except FileNotFoundError:
                data = os.urandom(32)
                try:
                    self._create(self.salt_path, data)
                except FileExistsError:  # another process won the race: use its salt
                    data = _read_private(self.salt_path)
            except OSError as exc:
                raise StoreError(f"cannot read the redaction salt `{self.salt_path}`: {exc}") from exc
            if len(data) < 16:
                raise StoreError(f"the redaction salt `{self.salt_path}` is too short")
            self._salt = data
        return self._salt

    @staticmethod
    def _create(path: str, data: bytes) -> None:
        """Publish a new file whole or not at all; FileExistsError when another writer was first.

        Written to a private temp file, then hard-linked into place: ``link`` fails when the name
        exists, so two processes racing never see each other's half-written file.
        """
        _mkdir_for(path)
        tmp = _beside(path, ".", f".{os.getpid()}.{threading.get_ident()}.new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        finally:
            os.unlink(tmp)

    def seal_key(self, *, create: bool = True) -> bytes | None:
        """The key that seals the head row (``blastdoor.audit.seal``); None when missing and not ``create``.

        Like the salt: 32 random bytes in a private file, made on first use with the standard library
        only, because every hook process seals the head it leaves behind.
        """
        if self._seal is None:
            path = self.key_path + ".seal"
            try:
                data = _read_private(path)
            except FileNotFoundError:
                if not create:
                    return None
                data = os.urandom(32)
                try:
                    self._create(path, data)
                except FileExistsError:  # another process won the race: use its key
                    data = _read_private(path)
            except OSError as exc:
                raise StoreError(f"cannot read the head seal key `{path}`: {exc}") from exc
            if len(data) < 16:
                raise StoreError(f"the head seal key `{path}` is too short")
            self._seal = data
        return self._seal

    # -- signing key ------------------------------------------------------------------------------

    def exists(self) -> bool:
        return os.path.exists(self.key_path)

    def signer(self, *, create: bool = True) -> Signer:
        """The signing key, generated (and trusted) on first use when ``create``."""
        from blastdoor.audit.checkpoint import NoteError, Signer

        try:
            text = _read_private(self.key_path).decode("ascii")
        except FileNotFoundError:
            if not create:
                raise StoreError(f"no signing key at `{self.key_path}`") from None
            signer = Signer.generate(KEY_NAME)
            try:
                self._create(self.key_path, (str(signer) + "\n").encode())
            except FileExistsError:
                return self.signer(create=False)
            self.trust(signer.verifier)
            return signer
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"cannot read the signing key `{self.key_path}`: {exc}") from exc
        try:
            return Signer.parse(text)
        except NoteError as exc:
            raise StoreError(f"`{self.key_path}`: {exc}") from exc

    def replace_signer(self, new: Signer) -> None:
        """Make ``new`` the signing key; the old private key is overwritten, its public half stays trusted."""
        self.trust(new.verifier)
        _write_new(self.key_path, (str(new) + "\n").encode())

    # -- trust anchors ------------------------------------------------------------------------------

    def trusted(self) -> list[Verifier]:
        """The verifier keys this machine has used (and the current key's), oldest first."""
        from blastdoor.audit.checkpoint import NoteError, Verifier

        out: list[Verifier] = []
        try:
            with open(self.trusted_path, encoding="ascii") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            lines = []
        except OSError as exc:
            raise StoreError(f"cannot read `{self.trusted_path}`: {exc}") from exc
        for n, line in enumerate(lines, 1):
            if line.strip() and not line.startswith("#"):
                try:
                    out.append(Verifier.parse(line))
                except NoteError as exc:
                    raise StoreError(f"{self.trusted_path}:{n}: {exc}") from exc
        if self.exists():
            current = self.signer(create=False).verifier
            if current not in out:
                out.append(current)
        return out

    def trust(self, verifier: Verifier) -> None:
        _mkdir_for(self.trusted_path)
        with open(self.trusted_path, "a", encoding="ascii") as f:
            f.write(f"{verifier}\n")
            f.flush()
            os.fsync(f.fileno())
