"""What a classifier may look at besides the action: environment variables, home, cwd, depth."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_DEPTH = 8  # wrappers, nested shells and scripts deeper than this are `unknown`
MAX_SCRIPT_BYTES = 256 * 1024  # a local script larger than this is not read: `unknown`


class ClassifyContext:
    """Inputs of classification that are not the action itself (functional core: no globals)."""

    __slots__ = ("cwd", "depth", "environ", "home")

    def __init__(self, environ: Mapping[str, str], home: str, cwd: str, depth: int = 0) -> None:
        self.environ = environ
        self.home = home
        self.cwd = cwd
        self.depth = depth

    def deeper(self, *, cwd: str | None = None, environ: Mapping[str, str] | None = None) -> ClassifyContext:
        return ClassifyContext(
            self.environ if environ is None else environ,
            self.home,
            self.cwd if cwd is None else cwd,
            self.depth + 1,
        )

    @classmethod
    def for_action(
        cls, cwd: str, context_env: object, environ: Mapping[str, str] | None, home: str | None
    ) -> ClassifyContext:
        if environ is None:
            environ = context_env if isinstance(context_env, dict) else dict(os.environ)
        return cls(environ, home or os.path.expanduser("~"), cwd or os.getcwd())
