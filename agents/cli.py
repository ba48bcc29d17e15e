"""CLI additions: LLM options for ``design``/``resume`` (global options, also env vars) and ``bench DIR``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from accelsmith._cli_options import (FpgaDevice, RayAddress, UnsafeNoSandbox, fpga_device, sandbox_policy,
                                     stopped)
from accelsmith.fanout import Interrupted

from accelsmith.agents._env import (ENV_BASE_URL, ENV_CANDIDATES, ENV_DRAFT, ENV_FIXERS, ENV_FORCE_SCRATCH, ENV_GRAMMAR, ENV_LOCAL_MODEL,
                                    ENV_MAX_TOKENS, ENV_MODEL, ENV_REPLY_TOKENS, ENV_RETRIEVE, ENV_SHELL, ENV_STAGES,
                                    ENV_TEMPERATURE, ENV_WALL_CLOCK, ENV_WAVES)
from accelsmith.agents._options import LlmOptions, llm_of

LLM = "LLM options (before the command: accelsmith --llm-model M design ...)"


def llm_options(
    ctx: typer.Context,
    llm_base_url: Annotated[Optional[str], typer.Option(envvar=ENV_BASE_URL, rich_help_panel=LLM,
                                                        help="OpenAI-compatible base URL (backend openai)")] = None,
    llm_model: Annotated[Optional[str], typer.Option(envvar=ENV_MODEL, rich_help_panel=LLM,
                                                     help="model name on that server")] = None,
    llm_local_model: Annotated[Optional[Path], typer.Option(envvar=ENV_LOCAL_MODEL, rich_help_panel=LLM,
                                                            help="GGUF file or HF folder (backend local)")] = None,
    llm_cascade: Annotated[Optional[str], typer.Option(envvar=ENV_STAGES, rich_help_panel=LLM,
                                                       help="stages small->large: local:PATH,local:PATH or openai:M,...")] = None,
    llm_reply_tokens: Annotated[Optional[int], typer.Option(envvar=ENV_REPLY_TOKENS, rich_help_panel=LLM,
                                                            help="max tokens per reply")] = None,
    max_tokens: Annotated[Optional[int], typer.Option(envvar=ENV_MAX_TOKENS, rich_help_panel=LLM,
                                                      help="token budget per run (in + out)")] = None,
    wall_clock: Annotated[Optional[float], typer.Option(envvar=ENV_WALL_CLOCK, rich_help_panel=LLM,
                                                        help="wall-clock budget per run, seconds")] = None,
    scratch: Annotated[bool, typer.Option("--scratch", envvar=ENV_FORCE_SCRATCH, rich_help_panel=LLM,
                                          help="withhold the kind's template: draft from the spec alone")] = False,
    waves: Annotated[bool, typer.Option("--waves/--no-waves", envvar=ENV_WAVES, rich_help_panel=LLM,
                                        help="cut a waveform window around the first mismatch for repair")] = True,
    fixers: Annotated[bool, typer.Option("--fixers/--no-fixers", envvar=ENV_FIXERS, rich_help_panel=LLM,
                                         help="fix an LLM draft's lint errors mechanically before asking "
                                              "again")] = True,
    retrieve: Annotated[bool, typer.Option("--retrieve/--no-retrieve", envvar=ENV_RETRIEVE, rich_help_panel=LLM,
                                           help="show a draft without a template the closest design verified in "
                                                "this run store")] = True,
    shell: Annotated[bool, typer.Option("--shell/--no-shell", envvar=ENV_SHELL, rich_help_panel=LLM,
                                        help="a block whose output beat is a function of its input beat, drafted from "
                                             "scratch: the model writes the combinational core, the streaming "
                                             "shell (ready/valid, reset, pipeline) is generated from the spec")] = True,
    candidates: Annotated[int, typer.Option(min=1, max=16, envvar=ENV_CANDIDATES, rich_help_panel=LLM,
                                            help="designs asked for per draft step; the best by evidence goes on "
                                                 "(the first greedy, the rest sampled)")] = 1,
    temperature: Annotated[float, typer.Option(min=0.0, max=2.0, envvar=ENV_TEMPERATURE, rich_help_panel=LLM,
                                               help="sampling temperature of the candidates after the first")] = 0.7,
    llm_grammar: Annotated[bool, typer.Option("--llm-grammar/--no-llm-grammar", envvar=ENV_GRAMMAR,
                                              rich_help_panel=LLM,
                                              help="constrain RTL replies with a llama.cpp grammar (one fenced "
                                                   "module ending in endmodule; local GGUF or a llama.cpp "
                                                   "server)")] = False,
    llm_draft: Annotated[Optional[str], typer.Option(envvar=ENV_DRAFT, rich_help_panel=LLM,
                                                     help="speculative decoding for backend local: 'lookup' "
                                                          "(prompt lookup) or a draft model sharing the "
                                                          "tokenizer (.gguf or folder); runs on transformers, "
                                                          "greedy replies unchanged")] = None,
) -> None:
    """LLM-aided design and verification of accelerator RTL for transformer blocks.

    The API key is read from OPENAI_API_KEY only; it never reaches the run store."""
    # handed down as one value (ctx.obj): commands pass it to design(), nothing travels through os.environ
    ctx.obj = LlmOptions(base_url=llm_base_url, model=llm_model,
                         local_model=str(llm_local_model) if llm_local_model else None, cascade=llm_cascade,
                         reply_tokens=llm_reply_tokens, max_tokens=max_tokens, wall_clock_s=wall_clock, scratch=scratch,
                         waves=waves, fixers=fixers, retrieve=retrieve, shell=shell,
                         candidates=candidates, temperature=temperature, grammar=llm_grammar,
                         draft=llm_draft)



def problems(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="VerilogEval spec-to-RTL folder (ProbNNN_*_prompt.txt)")],
    backend: Annotated[str, typer.Option(help="drafting backend (an LLM: openai, local, cascade)")] = "openai",
    max_iterations: Annotated[int, typer.Option(min=1, help="draft + compile-repair attempts per problem")] = 3,
    only: Annotated[Optional[str], typer.Option(help="substring filter on problem names")] = None,
    work_dir: Annotated[Optional[Path], typer.Option(help="where candidates and grading logs go")] = None,
    ray_address: RayAddress = None,
    unsafe_no_sandbox: UnsafeNoSandbox = False,
) -> None:
    """Spec-to-RTL problems (VerilogEval layout): the agent sees only each prompt; each problem's own testbench grades.

    With --ray-address each problem is a Ray task with its own backend (a local model's file must exist on every
    worker)."""
    from rich.console import Console

    from accelsmith.agents._verilogeval import find_problems, run_bench_suite, summary_lines

    from accelsmith.errors import AccelsmithError, ToolMissing

    console = Console(highlight=False)
    try:
        sandbox_policy(unsafe_no_sandbox)
        found = find_problems(folder, only)
    except (ValueError, ToolMissing) as err:
        Console(stderr=True).print(f"[bold red]error:[/] {err}")
        raise typer.Exit(2) from None
    out_dir = work_dir or Path("runs") / "problems"
    llm = llm_of(ctx)
    try:
        results = run_bench_suite(found, backend=backend, max_iterations=max_iterations, work_dir=out_dir, llm=llm,
                                  candidates=llm.candidates, temperature=llm.temperature, fixers=llm.fixers,
                                  on_result=lambda r: console.print(r.line(), markup=False), ray_address=ray_address)
    except Interrupted as err:
        raise stopped(err) from None
    except (AccelsmithError, ValueError) as err:
        Console(stderr=True).print(f"[bold red]error:[/] {err}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    for line in summary_lines(results):
        console.print(line, markup=False)
    raise typer.Exit(0)


def flow(
    model: Annotated[Path, typer.Option("--model", help="model folder, .gguf file or cached hub id")],
    recipe: Annotated[Path, typer.Option("--recipe", help="recipe YAML (see examples/recipes)")],
    out: Annotated[Path, typer.Option("--out", help="output folder (flow.json, system_report.md/.json, runs/)")],
    sim: Annotated[str, typer.Option(help="primary simulator")] = "verilator",
    cross_check: Annotated[bool, typer.Option("--cross-check/--no-cross-check",
                                              help="also run each bench on Icarus (a reduced plan for large designs)")] = True,
    estimate: Annotated[bool, typer.Option("--estimate/--no-estimate", help="synthesise each verified block (yosys)")] = True,
    synth_max_units: Annotated[int, typer.Option(min=1, help="synthesise only blocks up to this size (GEMM: PEs)")] = 64,
    fpga: FpgaDevice = "ecp5-85k",
    clock_mhz: Annotated[float, typer.Option(min=1.0, help="clock for inferences/s and tokens/s")] = 500.0,
    runs_dir: Annotated[Optional[Path], typer.Option("--runs-dir", help="run store [default: OUT/runs]")] = None,
    ray_address: RayAddress = None,
    unsafe_no_sandbox: UnsafeNoSandbox = False,
) -> None:
    """Model -> optimize -> profile -> constraints -> design and verify every block -> system report.

    A killed flow resumes when run again with the same --out: finished steps and verified blocks are kept."""
    import time

    from rich.console import Console

    from accelsmith.agents._flow import run_flow
    from accelsmith.cli import _progress_printer
    from accelsmith.errors import AccelsmithError
    from accelsmith.runstore import RunStore

    console = Console(highlight=False, soft_wrap=True)  # one line per event, also when piped
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        console.print(f"[dim]{time.perf_counter() - t0:7.1f} s[/] {msg}", markup=True)

    if not model.exists():
        Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {model}: model not found")
        raise typer.Exit(2)
    others = ["icarus" if sim == "verilator" else "verilator"] if cross_check else []
    try:
        sandbox_policy(unsafe_no_sandbox)
        report = run_flow(model, recipe, out, store=RunStore(runs_dir or out / "runs"), sim=sim, cross_check=others,
                          estimate=estimate, synth_max_units=synth_max_units, clock_mhz=clock_mhz, say=say,
                          fpga=fpga_device(fpga), on_progress=_progress_printer(), ray_address=ray_address)
    except Interrupted as err:
        raise stopped(err) from None
    except (AccelsmithError, ValueError) as err:
        Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {str(err).splitlines()[0]}")
        raise typer.Exit(2) from None
    n_ok = sum(b["status"] == "verified" for b in report["blocks"])
    console.print(f"{n_ok}/{len(report['blocks'])} blocks verified; {report['total_cycles']:,} cycles per inference, "
                  f"{report['inferences_per_s']} inferences/s, {report['tokens_per_s']} tokens/s at {clock_mhz:g} MHz")
    console.print(f"report: {out / 'system_report.md'}  ({time.perf_counter() - t0:.0f} s)")
    raise typer.Exit(0 if report["all_verified"] else 1)


def verify(
    ctx: typer.Context,
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC", help="block spec YAML the design must meet")],
    rtl: Annotated[list[Path], typer.Argument(metavar="RTL...", help="your Verilog/SystemVerilog files (.v .sv .vh)")],
    top: Annotated[Optional[str], typer.Option(help="module the bench drives [default: KIND_top, else the only module]")] = None,
    sim: Annotated[str, typer.Option(help="primary simulator")] = "verilator",
    cross_check: Annotated[bool, typer.Option("--cross-check/--no-cross-check", help="also run the bench on the other simulator")] = True,
    sim_timeout: Annotated[Optional[float], typer.Option("--sim-timeout", help="limit per simulation, seconds [default: scaled with the design]")] = None,
    build_timeout: Annotated[Optional[float], typer.Option("--build-timeout", help="limit per simulator build, seconds [default: scaled]")] = None,
    lint_timeout: Annotated[Optional[float], typer.Option("--lint-timeout", help="limit for verilator lint, seconds [default: scaled]")] = None,
    memory_mb: Annotated[Optional[int], typer.Option("--memory-mb", min=64, help="memory per sandboxed build / simulation, MiB [default: 12288 / 8192]")] = None,
    allow_large: Annotated[bool, typer.Option("--allow-large", help="start even when the spec looks too large to verify here")] = False,
    runs_dir: Annotated[Optional[Path], typer.Option("--runs-dir", help="run store folder [env ACCELSMITH_RUNS, default ./runs]")] = None,
    unsafe_no_sandbox: UnsafeNoSandbox = False,
) -> None:
    """Verify your own RTL against SPEC: the same scan, lint and spec-derived bench as `design`, in a run folder
    (report.md, results.xml, waves of the first failure). Exit 0 verified, 1 not verified, 2 bad input."""
    from rich.console import Console

    from accelsmith.agents import design as run_design
    from accelsmith.verification._user import load_user_rtl
    from accelsmith.cli import _print_summary, _progress_printer
    from accelsmith.errors import SpecError, ToolMissing
    from accelsmith.runstore import RunStore
    from accelsmith.spec import load_spec

    console = Console(highlight=False, soft_wrap=True)
    try:
        sandbox_policy(unsafe_no_sandbox)
        spec = load_spec(spec_path)
        if not allow_large:
            from accelsmith.verification._limits import check_effort

            check_effort(spec, str(spec_path))
        files, top_name = load_user_rtl(rtl, top, spec.kind)
        store = RunStore(runs_dir)
        others = [s for s in ("icarus", "verilator") if s != sim] if cross_check else []
        console.print(f"[bold]verify[/] {', '.join(files)} (top {top_name}) against {spec.kind}: {spec.summary()}  "
                      f"(sim {sim}" + (f", cross-check {', '.join(others)}" if others else "") + ")")
        final = run_design(spec, store=store, backend="user", backend_options={"files": files, "top": top_name},
                           sim=sim, cross_check=others, max_iterations=1, bench_timeout_s=sim_timeout,
                           build_timeout_s=build_timeout, lint_timeout_s=lint_timeout, memory_mb=memory_mb,
                           allow_large=allow_large, llm=llm_of(ctx), on_progress=_progress_printer())
    except (SpecError, ToolMissing, ValueError) as err:
        Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {str(err).splitlines()[0]}")
        raise typer.Exit(2) from None
    _print_summary(final, store)
    raise typer.Exit(0 if final.get("status") == "verified" else 1)


def register(app: typer.Typer) -> None:
    if app.registered_callback is None:  # another package may own the global options
        app.callback()(llm_options)
    app.command("verify")(verify)
    app.command("problems")(problems)
    app.command("flow")(flow)
