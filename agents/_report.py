"""Final artifacts of a run: rtl/, diagnostics.json, results.xml, report.md."""

from __future__ import annotations

import shutil
from pathlib import Path

from accelsmith.runstore import write_json
from accelsmith.spec import spec_from_dict


def perf_figures(bench: dict, ideal_job_cycles: int | None, k: int | None) -> dict:
    """Cycle figures from a bench result: single-job latency and steady-state cycles per job."""
    cases = {c["case"]: c for c in bench.get("cases", [])}
    out: dict = {}
    single = next((c for c in bench.get("cases", []) if c.get("passed") and c.get("jobs") == 1
                   and "corner" in c.get("tags", []) and c.get("job_latency_cycles")), None)
    if single:
        out["job_latency_cycles"] = single["job_latency_cycles"][0]
        if ideal_job_cycles:
            out["ideal_job_cycles"] = ideal_job_cycles
    thr = cases.get("throughput")
    if thr and thr.get("passed") and thr.get("span_cycles"):
        out["cycles_per_job_streaming"] = round(thr["span_cycles"] / thr["jobs"], 2)
        if k:
            out["mac_utilisation_streaming"] = round(k / out["cycles_per_job_streaming"], 3)
    return out


def _md_table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def write_final_artifacts(state: dict, cfg) -> str:
    run_dir = Path(state["run_dir"])
    spec = spec_from_dict(state["spec"])
    it = state.get("iteration", 0)
    it_dir = run_dir / f"iter_{it:02d}"
    if (it_dir / "rtl").is_dir():
        if (run_dir / "rtl").exists():
            shutil.rmtree(run_dir / "rtl")
        shutil.copytree(it_dir / "rtl", run_dir / "rtl")
    write_json(run_dir / "diagnostics.json", state.get("diagnostics", []))
    bench = state.get("bench") or {}
    primary = bench.get(cfg.sim)
    if primary and primary.get("junit") and Path(primary["junit"]).exists():
        shutil.copyfile(primary["junit"], run_dir / "results.xml")
    write_json(run_dir / "cost.json", state.get("cost", {}))

    lines = [f"# {spec.label}: {state.get('status', 'failed').upper()}", "",
             f"- spec: `{spec.kind}` {spec.summary()} (hash `{spec.spec_hash}`)",
             f"- backend: {cfg.backend}; approach: {state.get('plan', {}).get('approach')}",
             f"- stop reason: {state.get('stop_reason') or 'n/a'}"
             + (f" ({state['stop_detail']})" if state.get("stop_detail") else "") + f"; iterations: {it}",
             f"- top module: `{state.get('top', '')}`", ""]
    diags = state.get("diagnostics", [])
    n_err = sum(d["severity"] == "error" for d in diags)
    lines += [f"## Diagnostics: {n_err} errors, {len(diags) - n_err} warnings", ""]
    if diags:
        lines.append(_md_table([[d["tool"], d["severity"], f"{d.get('file') or ''}:{d.get('line') or ''}",
                                 d.get("code") or "", d["message"][:120]] for d in diags[:40]],
                               ["tool", "severity", "where", "code", "message"]))
        lines.append("")
    for sim, res in bench.items():
        lines += [f"## Bench on {sim}: {'PASS' if res['passed'] else 'FAIL'}"
                  f" (build {res.get('build_s') or 0:.2f} s, sim {res.get('sim_s') or 0:.2f} s)", ""]
        rows = []
        for c in res["cases"]:
            first = c.get("mismatches", [])[:1]
            why = ("timeout" if c.get("timed_out") else
                   (f"beat {first[0]['beat']}: expected {first[0]['expected']}, got {first[0]['got']}" if first else ""))
            rows.append([c["case"], "pass" if c["passed"] else "FAIL", c.get("jobs", ""), c.get("cycles", ""), why])
        lines += [_md_table(rows, ["case", "result", "jobs", "cycles", "first mismatch"]), ""]
    if primary:
        perf = perf_figures(primary, getattr(spec, "ideal_job_cycles", None), getattr(spec, "k", None))
        if perf:
            lines += ["## Performance (simulated cycles)", ""]
            lines += [f"- {k}: {v}" for k, v in perf.items()]
            lines.append("")
    synth = (state.get("ppa") or {}).get("synth")
    if synth:
        lines += ["## Synthesis (yosys)", ""]
        lines += ([f"- cells: {synth['cells']}", f"- flip-flops (bits): {synth['flip_flops']}",
                   f"- logic depth (cells on the longest path): {synth.get('logic_depth')}",
                   f"- synthesis time: {synth.get('synth_s')} s"] if synth.get("ok") else
                  [f"- not available: {synth.get('error')}"])
        lines.append("")
    fpga = (state.get("ppa") or {}).get("fpga")
    if fpga:
        from accelsmith.verification._fpga import summary as fpga_summary

        lines += ["## FPGA (yosys synth_ecp5 + nextpnr-ecp5, out of context, speed grade 6)", "",
                  f"- {fpga_summary(fpga)}"]
        if fpga.get("ok"):
            lines.append(f"- synthesis {fpga.get('synth_s')} s, place and route {fpga.get('pnr_s')} s; device has "
                         + ", ".join(f"{v} {k}" for k, v in fpga.get("available", {}).items()))
        lines.append("")
    window = (state.get("feedback") or {}).get("failure_window")
    if window:
        lines += [f"## First mismatch waveform: `{window['vcd']}` (case {window['case']}, cycle {window.get('cycle')})",
                  ""]
    cost = state.get("cost", {})
    lines += ["## Cost", ""] + [f"- {k}: {v}" for k, v in sorted(cost.items())] + [""]
    text = "\n".join(lines)
    (run_dir / "report.md").write_text(text)
    return text
