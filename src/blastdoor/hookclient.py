"""Kept for launchers installed before ``blastdoor/hook/``: the thin hook client is ``blastdoor.hook.client``.

A launcher written by an older ``blastdoor install`` runs ``from blastdoor.hookclient import guarded``;
harness configurations may also run this file as a script (``python -I -S .../hookclient.py HARNESS``).
Both keep working: this module re-exports the client and runs it the same way. Re-run ``blastdoor
install`` to get the current launcher (it fixes the server's socket at install time and starts the
server on a miss).
"""

import os
import sys

if __name__ == "__main__" and not __package__:
    # Run as a script under -I -S: the package is importable from this file's grandparent directory.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from blastdoor.hook.client import guarded, launch, run

__all__ = ["guarded", "launch", "run"]

if __name__ == "__main__":
    sys.exit(guarded(sys.argv[1] if len(sys.argv) == 2 else ""))
