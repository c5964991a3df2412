"""The report's stylesheet: inline, scoped to ``.dl-report``, no external resources."""

__all__ = ["CSS"]

CSS = """
.dl-report{--ink:#1f2933;--muted:#5f6b7a;--line:#e1e5ea;--ref:#9fb3c8;--cur:#d9480f;--bad:#b42318;
--bad-bg:#fdecea;--ok:#1e7b34;--ok-bg:#e8f5ec;--warn:#975a00;--warn-bg:#fff4e0;--na:#4b5563;
--na-bg:#eef0f3;color:var(--ink);background:#fff;line-height:1.45;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
max-width:1180px;margin:0 auto;padding:24px 28px;box-sizing:border-box}
.dl-report *{box-sizing:border-box}.dl-report h1{font-size:22px;margin:0 0 2px}
.dl-report h2{font-size:17px;margin:32px 0 10px;padding-bottom:6px;
border-bottom:1px solid var(--line)}.dl-report h3{font-size:15px;margin:0 0 6px}
.dl-report a{color:#1d4ed8;text-decoration:none}.dl-report a:hover{text-decoration:underline}
.dl-report .muted{color:var(--muted)}.dl-report .small{font-size:12px}
.dl-report .num{font-variant-numeric:tabular-nums;white-space:nowrap}
.dl-report .kicker{color:var(--muted);font-size:12px;letter-spacing:.06em;text-transform:uppercase}
.dl-report .verdict{margin:14px 0 16px;padding:14px 18px;border-radius:8px;border-left:6px solid}
.dl-report .verdict.bad{background:var(--bad-bg);border-color:var(--bad)}
.dl-report .verdict.ok{background:var(--ok-bg);border-color:var(--ok)}
.dl-report .verdict strong{font-size:20px;display:block}
.dl-report .cards{display:flex;flex-wrap:wrap;gap:10px;margin:0 0 12px}
.dl-report .card{flex:1 1 150px;border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.dl-report .card b{display:block;font-size:20px;font-variant-numeric:tabular-nums}
.dl-report .rule{margin:0;color:var(--muted)}.dl-report .rule b{color:var(--ink);font-weight:600}
.dl-report nav{margin:14px 0 0;font-size:13px}.dl-report nav a{margin-right:14px}
.dl-report .scroll{overflow-x:auto}
.dl-report table{border-collapse:collapse;width:100%;font-size:13px}
.dl-report th,.dl-report td{padding:6px 7px;border-bottom:1px solid var(--line);text-align:left;
vertical-align:top}
.dl-report thead th{font-size:12px;color:var(--muted);font-weight:600;
border-bottom:2px solid var(--line);white-space:nowrap}
.dl-report tbody th{font-weight:600;overflow-wrap:break-word}
.dl-report tr.drifted{background:#fffafa}
.dl-report td.r,.dl-report th.r{text-align:right}
.dl-report .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;
font-weight:600;white-space:nowrap;border:1px solid}
.dl-report .b-bad{color:var(--bad);background:var(--bad-bg)}
.dl-report .b-ok{color:var(--ok);background:var(--ok-bg)}
.dl-report .b-warn{color:var(--warn);background:var(--warn-bg)}
.dl-report .b-na{color:var(--na);background:var(--na-bg)}
.dl-report .b-quiet{color:var(--ok);border-color:transparent;background:none;padding:1px 2px}
.dl-report .tag{display:inline-block;margin-left:6px;padding:0 6px;border-radius:4px;
font-size:11px;font-weight:500;background:#e7edf5;color:#334e68;white-space:nowrap}
.dl-report .meter{position:relative;width:90px;height:5px;background:var(--na-bg);
border-radius:3px;margin:3px 0}
.dl-report .meter i{position:absolute;left:0;top:0;bottom:0;border-radius:3px;background:#8795a1}
.dl-report .meter.over i{background:var(--bad)}
.dl-report .meter:after{content:"";position:absolute;left:50%;top:-3px;bottom:-3px;width:1px;
background:var(--ink)}.dl-report .action{min-width:120px;max-width:240px}
.dl-report .role{border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:0 0 12px}
.dl-report .role p{margin:6px 0}.dl-report .wide{flex-basis:100%}.dl-report .body.flush{padding:0}
.dl-report details.col{border:1px solid var(--line);border-radius:8px;margin:0 0 8px}
.dl-report details.col>summary{cursor:pointer;padding:9px 14px;list-style-position:inside}
.dl-report details.col[open]>summary{border-bottom:1px solid var(--line)}
.dl-report .body{display:flex;flex-wrap:wrap;gap:8px 28px;padding:12px 16px}
.dl-report .figure{flex:1 1 560px;max-width:620px}
.dl-report .facts{flex:1 1 260px;margin:0;display:grid;grid-template-columns:auto 1fr;gap:3px 14px;
font-size:13px;align-content:start}.dl-report .facts dt{color:var(--muted)}
.dl-report .facts dd{margin:0}.dl-report ul.warn{margin:0;padding-left:20px}
.dl-report footer{margin-top:32px;padding-top:10px;border-top:1px solid var(--line);font-size:12px;
color:var(--muted)}@media print{.dl-report{max-width:none;padding:0}}
.dl-report .legend{font-size:12px;color:var(--muted);margin:0 0 4px}
.dl-report .sw{display:inline-block;width:14px;height:10px;margin:0 5px 0 12px;vertical-align:-1px}
.dl-report .sw.r{background:var(--ref)}
.dl-report .sw.c{border-top:2px solid var(--cur);height:0;vertical-align:3px}
.dl-report .sw.cf{background:var(--cur)}
.dl-report svg.chart{width:100%;height:auto;display:block}
.dl-report svg text{font-size:11px;fill:var(--muted)}
.dl-report svg .ya,.dl-report svg .xe{text-anchor:end}.dl-report svg .xa{text-anchor:middle}
.dl-report svg .g{stroke:var(--line);fill:none}
.dl-report svg .r{fill:var(--ref)}.dl-report svg .cf{fill:var(--cur)}
.dl-report svg .c{fill:none;stroke:var(--cur);stroke-width:2;stroke-linejoin:round}
.dl-report svg .h{fill:transparent}.dl-report svg .h:hover{fill:rgba(31,41,51,.07)}
.dl-report svg.spark{width:80px;height:24px;display:block}
.dl-report svg.spark .c{stroke-width:1.5}
.dl-report details.counts{margin-top:6px;font-size:12px}
.dl-report details.counts table{font-size:12px;margin-top:4px}
.dl-report details.counts td+td,.dl-report details.counts th+th{text-align:right;
font-variant-numeric:tabular-nums}
"""
