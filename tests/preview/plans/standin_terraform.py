#!/usr/bin/env python3
"""A STAND-IN for the terraform/tofu executable (no terraform binary is installed for the tests).

It emits the plan JSON fixtures of this directory instead of talking to providers:
- `plan ... -out=FILE [-destroy]`: writes $STANDIN_PLAN (or $STANDIN_DESTROY_PLAN with -destroy) to FILE
  (a real plan file is a zip; here the "plan file" is the JSON itself);
- `show -json FILE`: prints FILE;
- `apply [FILE]` / `destroy`: appends "apply <sha256 of FILE>" (or "apply unsaved"/"destroy") to $STANDIN_LOG.
"""

import hashlib
import os
import shutil
import sys

args = [a for a in sys.argv[1:] if not a.startswith("-chdir=")]
sub, rest = args[0], args[1:]
if sub == "plan":
    out = next(a.split("=", 1)[1] for a in rest if a.startswith("-out="))
    src = os.environ["STANDIN_DESTROY_PLAN" if "-destroy" in rest else "STANDIN_PLAN"]
    shutil.copyfile(src, out)
elif sub == "show":
    with open(rest[-1], encoding="utf-8") as fh:
        sys.stdout.write(fh.read())
elif sub in ("apply", "destroy"):
    files = [a for a in rest if not a.startswith("-")]
    if files:
        with open(files[0], "rb") as fh:
            line = f"{sub} {hashlib.sha256(fh.read()).hexdigest()}"
    else:
        line = f"{sub} unsaved"
    with open(os.environ["STANDIN_LOG"], "a", encoding="utf-8") as log:
        log.write(line + "\n")
else:
    sys.exit(f"stand-in terraform: `{sub}` is not emulated")
