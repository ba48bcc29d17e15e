"""Options shared by every command that runs tools on RTL (defined once, used by the core and plug-in CLIs)."""

from __future__ import annotations

from typing import Annotated

import typer

UnsafeNoSandbox = Annotated[bool, typer.Option(
    "--unsafe-no-sandbox",
    help="run the tools on this host without the OS sandbox when bubblewrap is unavailable (untrusted RTL then "
         "reaches the host; limits and the stripped environment still apply)")]


def sandbox_policy(unsafe_no_sandbox: bool) -> bool:
    """Apply ``--unsafe-no-sandbox`` and check the sandbox before any work starts; True when tools are sandboxed.
    Raises ``SandboxUnavailable`` (a ``ToolMissing``) with one line when there is none and the flag is absent."""
    from accelsmith import sandbox

    sandbox.allow_unsandboxed(unsafe_no_sandbox)
    return sandbox.require()
