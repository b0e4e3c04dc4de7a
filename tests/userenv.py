"""The environment a newcomer has: Python and the usual tools on PATH, and no Node.js at all.

Commands that tests run as a user would (the demo, the CDK CLI, someone else's CDK app) get this PATH, so a
step that quietly needs `node`, `npm` or `npx` from the machine fails here as it would for them.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

NODE_TOOLS = frozenset({"node", "nodejs", "npm", "npx", "corepack"})


@functools.cache
def path_without_node() -> str:
    """os.environ's PATH, each directory that holds a Node tool replaced by a copy of it without them."""
    shadows = Path(tempfile.mkdtemp(prefix="path-without-node-"))
    atexit.register(shutil.rmtree, shadows, ignore_errors=True)
    directories = []
    for index, entry in enumerate(os.environ.get("PATH", os.defpath).split(os.pathsep)):
        directory = Path(entry)
        if not directory.is_dir() or not any((directory / tool).exists() for tool in NODE_TOOLS):
            directories.append(entry)
            continue
        shadow = shadows / str(index)
        shadow.mkdir()
        for program in directory.iterdir():
            if program.name not in NODE_TOOLS:
                (shadow / program.name).symlink_to(program)
        directories.append(str(shadow))
    return os.pathsep.join(directories)


def user_environment(home: Path, **extra: str) -> dict[str, str]:
    """A terminal of someone with Python only: a home of their own, no variable this test process set."""
    return {"PATH": path_without_node(), "HOME": str(home), "LANG": "C.UTF-8", **extra}
