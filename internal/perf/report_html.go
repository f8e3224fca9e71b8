package perf

// reportHTML is the report's page. Everything is inline: no stylesheet,
// font, script or image is fetched, so the file renders offline.
const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>warren perf – {{.ID}}</title>
<style>
:root { --accent: #f37021; --ink: #1f2d3d; --muted: #6b7785; --bg: #f3f4f6; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { background: var(--ink); color: #fff; padding: 14px 28px; display: flex; align-items: baseline; gap: 18px; border-bottom: 4px solid var(--accent); }
header h1 { font-size: 20px; margin: 0; }
header h1 b { color: var(--accent); }
header .meta { color: #c9d1da; font-size: 13px; }
main { max-width: 1200px; margin: 0 auto; padding: 18px 28px 40px; }
section { background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.08); margin: 18px 0; padding: 14px 18px; }
h2 { font-size: 16px; margin: 0 0 10px; padding-left: 8px; border-left: 4px solid var(--accent); }
.note { color: var(--muted); font-weight: normal; font-size: 12px; margin-left: 8px; }
.status { padding: 8px 12px; border-radius: 4px; font-weight: 600; }
.status.ok { background: #e6f4ea; color: #1e7b34; }
.status.failed { background: #fdecea; color: #a50e0e; }
.cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px; }
.card { border: 1px solid #e3e6ea; border-radius: 4px; padding: 8px 10px; }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 18px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: right; padding: 5px 8px; border-bottom: 1px solid #eceff2; white-space: nowrap; }
th { background: #f7f8fa; font-weight: 600; color: #3c4a5a; }
th:first-child, td:first-child { text-align: left; }
td.msg { text-align: left; white-space: normal; }
.ranges { display: flex; height: 26px; border-radius: 4px; overflow: hidden; margin: 6px 0; }
.ranges div { height: 100%; }
.r0 { background: #3aa655; } .r1 { background: #f3b921; } .r2 { background: #f37021; } .r3 { background: #d62728; }
.rlegend span { margin-right: 16px; font-size: 12px; } .rlegend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg .plot { fill: #fbfbfc; stroke: #d9dde2; }
svg .grid { stroke: #e6e9ed; stroke-width: 1; }
svg .tick { font-size: 11px; fill: #6b7785; }
svg .axis { font-size: 12px; fill: #3c4a5a; }
svg .bar { fill: #2b7bb9; } svg .bar:hover { fill: var(--accent); }
svg .mark { stroke: #d62728; stroke-dasharray: 4 3; } svg .mark-text { font-size: 11px; fill: #d62728; }
.legend { margin: 4px 0 0 70px; user-select: none; }
.legend .key { margin-right: 14px; cursor: pointer; font-size: 12px; }
.legend .key.off { opacity: .35; text-decoration: line-through; }
.legend i { display: inline-block; width: 12px; height: 3px; vertical-align: middle; margin-right: 5px; }
details summary { cursor: pointer; color: var(--muted); }
.setup td:first-child { color: var(--muted); width: 30%; }
.setup td { text-align: left; }
</style>
</head>
<body>
<header><h1><b>warren</b> perf</h1><span class="meta">{{.ID}} · started {{.Start}} · {{.URI}}</span></header>
<main>
<section>
<h2>Global information</h2>
<p class="status {{if .Failed}}failed{{else}}ok{{end}}">{{.Status}}</p>
<div class="cards">{{range .Cards}}<div class="card"><div class="k">{{.K}}</div><div class="v">{{.V}}</div></div>{{end}}</div>
</section>
{{if .Latency}}<section>
<h2>Latency<span class="note">coordinated-omission corrected: measured from the intended send time at fixed rates</span></h2>
<table><thead><tr><th>Metric</th><th>Count</th><th>Min</th><th>p50</th><th>p75</th><th>p95</th><th>p99</th><th>p99.9</th><th>Max</th><th>Mean</th></tr></thead>
<tbody>{{range .Latency}}<tr><td>{{.Name}}</td><td>{{.Count}}</td><td>{{.Min}}</td><td>{{.P50}}</td><td>{{.P75}}</td><td>{{.P95}}</td><td>{{.P99}}</td><td>{{.P999}}</td><td>{{.Max}}</td><td>{{.Mean}}</td></tr>{{end}}</tbody></table>
{{if .Ranges}}<h2 style="margin-top:14px">Consumer latency ranges</h2>
<div class="ranges">{{range .Ranges}}<div class="{{.Class}}" style="width:{{printf "%.3f" .Pct}}%" title="{{.Label}}: {{.Count}}"></div>{{end}}</div>
<div class="rlegend">{{range .Ranges}}<span><i class="{{.Class}}"></i>{{.Label}}: {{.Count}} ({{printf "%.1f" .Pct}}%)</span>{{end}}</div>{{end}}
</section>{{end}}
{{range .Charts}}<section>
<h2>{{.Title}}<span class="note">{{.Note}}</span></h2>
{{.SVG}}
</section>{{end}}
<section>
<h2>Errors</h2>
{{if .Errors}}<table><thead><tr><th>Error</th><th>Count</th><th>First (s)</th><th>Last (s)</th><th>Fatal</th></tr></thead>
<tbody>{{range .Errors}}<tr><td class="msg">{{.Message}}</td><td>{{.Count}}</td><td>{{printf "%.1f" .First}}</td><td>{{printf "%.1f" .Last}}</td><td>{{if .Fatal}}yes{{else}}no{{end}}</td></tr>{{end}}</tbody></table>
{{else}}<p>No errors.</p>{{end}}
</section>
<section class="setup">
<h2>Setup</h2>
<table>{{range .Setup}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>{{end}}</table>
</section>
{{if .Samples}}<section>
<details><summary>Samples ({{len .Samples}} intervals)</summary>
<table><thead><tr><th>Time (s)</th><th>Sent/s</th><th>Received/s</th><th>Confirmed/s</th><th>Nacked/s</th><th>Returned/s</th><th>p50</th><th>p95</th><th>p99</th><th>Max</th></tr></thead>
<tbody>{{range .Samples}}<tr><td>{{printf "%.1f" .T}}</td><td>{{num .Sent}}</td><td>{{num .Received}}</td><td>{{num .Confirmed}}</td><td>{{num .Nacked}}</td><td>{{num .Returned}}</td><td>{{us .Consumer.P50}}</td><td>{{us .Consumer.P95}}</td><td>{{us .Consumer.P99}}</td><td>{{us .Consumer.Max}}</td></tr>{{end}}</tbody></table>
</details>
</section>{{end}}
<p class="note">Generated by warren perf at {{.Generated}}. Latencies in this report are end to end within one process, so producer and consumer clocks agree.</p>
</main>
<script>
// Clicking a legend key hides or shows its series.
document.querySelectorAll(".legend .key").forEach(function (k) {
  k.addEventListener("click", function () {
    var svg = document.getElementById(k.parentNode.dataset.chart);
    var g = svg && svg.querySelector(".s" + k.dataset.index);
    if (!g) return;
    var hidden = g.style.display === "none";
    g.style.display = hidden ? "" : "none";
    k.classList.toggle("off", !hidden);
  });
});
document.body.dataset.charts = String(document.querySelectorAll("svg.chart").length);
</script>
</body>
</html>
`
