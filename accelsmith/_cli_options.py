"""Options shared by every command that runs tools on RTL (defined once, used by the core and plug-in CLIs)."""

from __future__ import annotations

from typing import Annotated, Optional

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

FpgaDevice = Annotated[str, typer.Option(
    "--fpga", metavar="DEVICE",
    help="place and route the synthesised design on this FPGA for LUTs, FFs, DSPs, block RAMs and fmax "
         "(ecp5-25k, ecp5-45k, ecp5-85k; 'none' skips it)")]


def fpga_device(value: str) -> str | None:
    """``--fpga``'s value as ``ppa(fpga=...)`` takes it: None for 'none', else a known device (one line if not)."""
    if value.lower() == "none":
        return None
    from accelsmith.verification._fpga import device_option

    device_option(value)
    return value

RayAddress = Annotated[Optional[str], typer.Option(
    "--ray-address", metavar="ADDR",
    help="run each unit of work as a Ray task on this cluster ('auto', HOST:PORT or ray://HOST:PORT); default: "
         "local processes (docs/campaigns.md)")]


def stopped(err: Exception) -> typer.Exit:
    """Ctrl-C during a campaign (``accelsmith.fanout.Interrupted``): its one line on stderr, exit 130."""
    typer.echo(str(err), err=True)
    return typer.Exit(130)
