"""The run detail page (a Jinja string constant; see _pages.py for why)."""

DETAIL = """{% extends "base.html" %}{% block title %}{{ run.run_id }} - accelsmith review{% endblock %}
{% macro code(prefix, fname, text) -%}
<pre class="code" data-file="{{ fname }}">{% for toks in highlight(fname, text) %}<span class="line" id="{{ prefix }}-{{ fname }}-L{{ loop.index }}"><span class="ln">{{ loop.index }}</span>{% for cls, t in toks %}{% if cls %}<span class="{{ cls }}">{{ t }}</span>{% else %}{{ t }}{% endif %}{% endfor %}
</span>{% endfor %}</pre>
{%- endmacro %}
{% macro diag_table(diags, prefix, files) -%}
{% if diags %}<table class="diagnostics"><tr><th>tool</th><th>severity</th><th>where</th><th>code</th><th>message</th></tr>
{% for d in diags %}<tr class="{{ 'fail' if d.severity == 'error' else '' }}"><td>{{ d.tool }}</td><td>{{ d.severity }}</td>
<td>{% if d.file and d.line and (d.file|basename) in files %}<a href="#{{ prefix }}-{{ d.file|basename }}-L{{ d.line }}">{{ d.file|basename }}:{{ d.line }}</a>{% else %}{{ d.file or '' }}{% if d.line %}:{{ d.line }}{% endif %}{% endif %}</td>
<td>{{ d.code or '' }}</td><td>{{ d.message }}</td></tr>{% endfor %}</table>
{% else %}<p>No diagnostics.</p>{% endif %}
{%- endmacro %}
{% block main %}
<h1>{{ run.run_id }}</h1>
{% if run.problems %}<div class="problems" id="problems"><b>This run folder is incomplete or damaged:</b><ul>
{% for p in run.problems %}<li>{{ p }}</li>{% endfor %}</ul></div>{% endif %}
{% set r = run.record %}
<section id="summary"><table>
{% if r %}<tr><th>block kind</th><td>{{ r.kind }}</td></tr><tr><th>spec</th><td>{{ r.summary }} (hash {{ r.spec_hash }})</td></tr>
<tr><th>backend</th><td>{{ r.backend }}</td></tr><tr><th>status</th><td class="{{ r.status }}">{{ r.status }}</td></tr>
<tr><th>stop reason</th><td>{{ r.stop_reason or '' }}</td></tr><tr><th>iterations</th><td>{{ r.iterations }}</td></tr>
<tr><th>bench</th><td>{{ r.bench or '' }}</td></tr><tr><th>tokens in / out</th><td>{{ r.tokens_in }} / {{ r.tokens_out }}</td></tr>
<tr><th>seconds</th><td>{{ r.seconds }}</td></tr>{% endif %}
</table></section>
<section id="spec"><h2>Spec</h2>{% if run.spec %}<table>{% for k, v in run.spec.items() %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}</table>
{% else %}<p>No readable spec.json.</p>{% endif %}</section>
{% if chart %}<section id="chart"><h2>Iterations: outcome and cost</h2>
<svg id="iteration-chart" width="{{ chart.width }}" height="{{ chart.height }}" role="img" aria-label="pass/fail and cost per iteration">
<line x1="50" y1="{{ chart.base_y }}" x2="{{ chart.width - 10 }}" y2="{{ chart.base_y }}" stroke="#555"/>
<text x="4" y="16">max {{ chart.max_s }} s / {{ chart.max_t }} tok</text>
{% for b in chart.bars %}<g class="iter {{ b.state }}">
<rect x="{{ b.x_s }}" y="{{ b.y_s }}" width="{{ b.w }}" height="{{ b.h_s }}" fill="#4a78c2"><title>iteration {{ b.n }}: {{ b.seconds }} s</title></rect>
<rect x="{{ b.x_t }}" y="{{ b.y_t }}" width="{{ b.w }}" height="{{ b.h_t }}" fill="#c28a4a"><title>iteration {{ b.n }}: {{ b.tokens if b.tokens is not none else 'unknown' }} tokens</title></rect>
<circle cx="{{ b.label_x }}" cy="{{ chart.base_y + 18 }}" r="7" fill="{{ '#1f9d4c' if b.state == 'pass' else '#b3261e' if b.state == 'fail' else '#999' }}"/>
<text x="{{ b.label_x - 12 }}" y="{{ chart.base_y + 42 }}">it {{ b.n }} {{ b.state }}</text></g>{% endfor %}
</svg><p>blue: seconds, brown: tokens (in + out); dot: bench outcome.</p></section>{% endif %}
<section id="final-rtl"><h2>Final RTL</h2>{% for fname, text in run.final_rtl.items() %}<h3>{{ fname }}</h3>{{ code('final', fname, text) }}{% else %}<p>No RTL.</p>{% endfor %}
<h3>Final diagnostics</h3>{{ diag_table(run.diagnostics, 'final', run.final_rtl) }}</section>
{% if wave %}<section id="waveform"><h2>Waveform: first failing window</h2>
<p>{{ window.source }}{% if window.sim %} ({{ window.sim }}{% if window.case %}, case {{ window.case }}{% endif %}){% endif %}, t = {{ window.t_start }} to {{ window.t_end }} {{ window.timescale }}</p>
<svg id="waveform-svg" width="{{ wave.width }}" height="{{ wave.height }}" role="img" aria-label="waveform">
{% for row in wave.rows %}<text x="4" y="{{ row.y_text }}">{{ row.name }}</text>
{% if row.bit %}<path d="{{ row.d }}" fill="none" stroke="#1f7a3a" stroke-width="1.5"/>
{% else %}{% for b in row.buses %}<polygon points="{{ b.points }}" fill="{{ '#f6c6c6' if b.unknown else '#e9f0fb' }}" stroke="#4a78c2"/>{% if b.text %}<text x="{{ b.tx }}" y="{{ b.ty }}" text-anchor="middle">{{ b.text }}</text>{% endif %}{% endfor %}{% endif %}
{% endfor %}{% for t in wave.ticks %}<text x="{{ t.x }}" y="{{ wave.axis_y }}" text-anchor="middle">{{ t.label }}</text>{% endfor %}
</svg></section>{% endif %}
{% if run.ppa %}<section id="ppa"><h2>PPA: synthesis (yosys), FPGA place and route (nextpnr) and cycles</h2>
{% for part, title in [("synth", "yosys synthesis (generic cells)"), ("fpga", "FPGA, placed and routed"), ("perf", "simulated cycles")] %}{% if run.ppa.get(part) is mapping %}
<table id="ppa-{{ part }}"><caption>{{ title }}</caption>{% for k, v in run.ppa[part].items() if k != "cell_types" %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}</table>
{% endif %}{% endfor %}</section>{% endif %}
<section id="iterations"><h2>Iterations</h2>
{% for it in run.iterations %}<div class="iteration" id="iter-{{ it.n }}"><h3>{{ it.name }}:
<span class="{{ 'pass' if it.passed else 'fail' if it.passed == false else '' }}">{{ 'pass' if it.passed else 'fail' if it.passed == false else 'not simulated' }}</span></h3>
{% for sim, b in it.benches.items() %}<h4>bench on {{ sim }}{% if b.timings %} (build {{ '%.2f'|format(b.timings.build_s or 0) }} s, sim {{ '%.2f'|format(b.timings.sim_s or 0) }} s){% endif %}</h4>
<table class="bench"><tr><th>case</th><th>result</th><th>jobs</th><th>cycles</th><th>first mismatch</th></tr>
{% for c in b.cases %}{% set m = (c.mismatches or [])[:1] %}<tr class="{{ 'ok' if c.passed else 'fail' }}" data-case="{{ c.case }}">
<td>{{ c.case }}</td><td>{{ 'pass' if c.passed else ('timeout' if c.timed_out else 'FAIL') }}</td><td>{{ c.jobs if c.jobs is defined else '' }}</td>
<td>{{ c.cycles if c.cycles is defined else '' }}</td>
<td>{% if m %}beat {{ m[0].beat }} {{ m[0].field }}[{{ m[0].lane }}]: expected {{ m[0].expected }}, got {{ m[0].got }} (cycle {{ m[0].cycle }}){% elif not c.passed and b.junit.get(c.case) %}{{ b.junit[c.case].failure }}{% endif %}</td></tr>{% endfor %}
</table>{% endfor %}
{% if it.candidates %}<h4>candidates</h4><table class="candidates"><tr><th>#</th><th>model</th><th>temperature</th><th>seed</th><th>fingerprint</th><th>evidence</th></tr>
{% for c in it.candidates %}<tr class="{{ 'chosen' if loop.index0 == it.chosen else '' }}"><td>{{ loop.index0 }}{% if loop.index0 == it.chosen %} (kept){% endif %}</td><td>{{ c.model or '' }}</td><td>{{ c.temperature }}</td><td>{{ c.seed if c.seed is not none else 'greedy' }}</td><td>{{ c.fingerprint or '' }}</td>
<td>{% if c.repeat %}repeat of a design already checked{% elif c.compiles is defined %}{{ 'unsafe' if c.unsafe else ('compiles, ' ~ c.cases_passed ~ '/' ~ c.cases ~ ' cases' if c.compiles else c.lint_errors ~ ' lint errors') }}{% if c.fixes_applied %}, {{ c.fixes_applied }} fixes{% endif %}{% endif %}</td></tr>{% endfor %}</table>{% endif %}
{% if it.fixes %}<h4>mechanical fixes</h4><ul>{% for f in it.fixes %}<li>{{ f.fixer }}: {{ 'kept' if f.kept else 'undone' }} ({{ f.errors_before }} errors{% if f.errors_after is defined %} -> {{ f.errors_after }}{% endif %}{% if f.why %}; {{ f.why }}{% endif %})</li>{% endfor %}</ul>{% endif %}
<h4>diagnostics</h4>{{ diag_table(it.diagnostics, 'it' ~ it.n, it.rtl) }}
{% set d = diffs.get(it.n) %}{% if d is not none %}<details class="diff" open><summary>diff from previous iteration ({{ d|length }} files changed)</summary>
{% for f in d %}<h4>{{ f.file }}</h4>{% if f.note %}<p class="note">{{ f.note }}{% for name, url in f.links %} &middot; <a href="{{ url }}">{{ name }}/{{ f.file }}</a>{% endfor %}</p>{% endif %}<pre class="code">{% for kind, line in f.lines %}<span class="{{ kind }}">{{ line }}</span>
{% endfor %}</pre>{% endfor %}</details>{% endif %}
<details><summary>RTL of {{ it.name }}</summary>{% for fname, text in it.rtl.items() %}<h4>{{ fname }}</h4>{{ code('it' ~ it.n, fname, text) }}{% endfor %}</details>
</div>{% else %}<p>No iteration folders.</p>{% endfor %}</section>
<section id="report"><h2>report.md</h2>{% if run.report_md is not none %}<pre class="code">{{ run.report_md }}</pre>{% else %}<p>No report.md.</p>{% endif %}</section>
{% if run.tools %}<section id="tools"><h2>Tool versions</h2><table>{% for k, v in run.tools.items() %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}</table></section>{% endif %}
{% endblock %}
"""
