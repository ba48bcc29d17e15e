"""The review pages (Jinja source as string constants, so they ship inside the package without package-data globs)."""

BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{% block title %}accelsmith review{% endblock %}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:8px 16px}header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:12px 16px}table{border-collapse:collapse;background:#fff}
td,th{border:1px solid #d8dce3;padding:3px 8px;text-align:left;vertical-align:top}th{background:#eef0f4}
.verified,.pass{color:#116b2f;font-weight:600}.failed,.fail{color:#b3261e;font-weight:600}
tr.fail td{background:#fdecea}.running,.interrupted{color:#8a5a00}
.problems{background:#fff4e5;border:1px solid #f0b45a;padding:8px 12px;margin:8px 0}
pre.code{background:#fff;border:1px solid #d8dce3;padding:4px 0;overflow:auto;margin:4px 0}
pre.code .ln{display:inline-block;width:4em;color:#8a93a3;text-align:right;padding-right:8px;user-select:none}
pre.code span.line:target{background:#fff3b0}
.diff .add{background:#e6ffec}.diff .del{background:#ffebe9}.diff .hunk{color:#6a4fb3}
section{margin:16px 0}h2{font-size:17px;border-bottom:1px solid #d8dce3}
details{margin:6px 0}summary{cursor:pointer}svg text{font:11px monospace}
{{ pygments_css }}
</style></head><body>
<header><a href="/">accelsmith review</a> <span>{{ root }}</span></header>
<main>{% block main %}{% endblock %}</main></body></html>
"""

LIST = """{% extends "base.html" %}{% block main %}
<form method="get" id="filters">
 <label>status <select name="status"><option value="">any</option>
 {% for s in facets.status %}<option value="{{ s }}" {% if s == status %}selected{% endif %}>{{ s }}</option>{% endfor %}
 </select></label>
 <label>block kind <select name="kind"><option value="">any</option>
 {% for k in facets.kind %}<option value="{{ k }}" {% if k == kind %}selected{% endif %}>{{ k }}</option>{% endfor %}
 </select></label> <button type="submit">filter</button>
</form>
{% if system %}<p id="system-link"><a href="/system">system report: {{ system.model }}</a></p>{% endif %}
<p id="count">{{ runs|length }} runs{% if status or kind %} (filtered){% endif %}</p>
{% if not runs %}<p>No runs in {{ root }}{% if status or kind %} matching the filter{% endif %}.</p>{% endif %}
<table id="runs"><thead><tr><th>run</th><th>kind</th><th>spec</th><th>backend / model</th><th>status</th>
<th>stop reason</th><th>iterations</th><th>bench</th><th>tokens in/out</th><th>seconds</th></tr></thead><tbody>
{% for r in runs %}<tr class="{{ 'fail' if r.status == 'failed' else '' }}">
<td><a href="/runs/{{ r.run_id|urlencode }}">{{ r.run_id }}</a></td><td>{{ r.kind }}</td><td>{{ r.summary }}</td>
<td>{{ r.backend }}</td><td class="{{ r.status }}">{{ r.status }}</td><td>{{ r.stop_reason or '' }}</td>
<td>{{ r.iterations }}</td><td>{{ r.bench or '' }}</td><td>{{ r.tokens_in }} / {{ r.tokens_out }}</td>
<td>{{ '%.1f'|format(r.seconds or 0) }}</td></tr>{% endfor %}
</tbody></table>{% endblock %}
"""

ERROR = """{% extends "base.html" %}{% block title %}{{ code }} - accelsmith review{% endblock %}{% block main %}
<h1>{{ code }}: {{ title }}</h1><p id="error">{{ message }}</p><p><a href="/">all runs</a></p>{% endblock %}
"""

SYSTEM = """{% extends "base.html" %}{% block title %}system report - accelsmith review{% endblock %}{% block main %}
<h2>System report: {{ r.model }}</h2>
<p>{{ r.model_type }}, sequence {{ r.seq_len }}, clock {{ r.clock_mhz }} MHz (stated). One instance of each block, blocks
run one after another; cycles per job measured by the Verilator bench.</p>
<table id="blocks"><thead><tr><th>block</th><th>spec</th><th>status</th><th>simulators</th><th>cells</th><th>FF bits</th>
<th>depth</th><th>FPGA (placed and routed)</th><th>cycles/job</th></tr></thead><tbody>
{% for b in r.blocks %}<tr class="{{ '' if b.status == 'verified' else 'fail' }}">
<td>{% if b.run_id %}<a href="/runs/{{ b.run_id|urlencode }}">{{ b.name }}</a>{% else %}{{ b.name }}{% endif %}</td>
<td>{{ b.summary }}</td><td class="{{ b.status }}">{{ b.status }}</td>
<td>{% for s, v in b.sims.items() %}{{ s }} {{ v.cases }}{% if v.reduced_plan %} (reduced){% endif %} {% endfor %}</td>
<td>{{ b.cells or b.synth_note or '-' }}</td><td>{{ b.flip_flops or '-' }}</td><td>{{ b.logic_depth or '-' }}</td>
<td>{{ b.fpga_summary or '-' }}</td><td>{{ b.cycles_per_job or '-' }}</td></tr>{% endfor %}</tbody></table>
<h2>Layers</h2>
<table id="layers"><thead><tr><th>layer</th><th>cycles</th><th>by block</th></tr></thead><tbody>
{% for l in r.layers %}<tr><td>{{ l.layer }}</td><td>{{ "{:,}".format(l.cycles) }}</td>
<td>{% for n, c in l.by_block.items() %}{{ n }} {{ "{:,}".format(c) }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
{% endfor %}</tbody></table>
<p id="total"><b>{{ "{:,}".format(r.total_cycles) }} cycles per inference</b>: {{ r.inferences_per_s }} inferences/s,
{{ r.tokens_per_s }} tokens/s at {{ r.clock_mhz }} MHz.</p>
{% endblock %}"""
