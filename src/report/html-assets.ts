// The HTML report's stylesheet and script, inlined into every page (no network access when opened).
// The page is complete without the script (rows open as <details>); the script only adds the
// outcome filter, open/close all, opening a row linked by #anchor, a fault's window highlighted while
// the pointer is on its row, a time cursor and local times.
import { createHash } from "node:crypto";

// Colour meanings are the terminal's (terminal.ts): green passed, red failed, grey skipped, yellow
// known defect, magenta fixed.
export const STYLE = `
:root{--label:25rem;--row:1.7rem;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#e6e8eb;--code:#f5f6f8;--hover:rgba(0,0,0,.045);
--passed:#2f9e44;--failed:#d9342b;--skipped:#9aa0a6;--known-defect:#e3a008;--fixed:#b52fc0;--known-defect-text:#8a5d00;
--fault:#7b4fd0;--shade:rgba(123,79,208,.12);--shade2:rgba(123,79,208,.04);--milestone:#1f6feb}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--fg:#e6e8eb;--muted:#9aa4ae;--line:#2a2f36;--code:#171a20;--hover:rgba(255,255,255,.06);
--known-defect-text:#e3a008;--shade:rgba(160,120,255,.2);--shade2:rgba(160,120,255,.07);--milestone:#58a6ff}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{padding:1rem 1.5rem .5rem;border-bottom:1px solid var(--line)}
h1{font-size:1.35rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.5rem 0 .4rem}h4{margin:.6rem 0 .2rem;font-size:.9rem}
main{padding:0 1.5rem 2rem}
code,pre,.lines{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{white-space:pre-wrap;word-break:break-word;background:var(--code);padding:.5rem .7rem;margin:.3rem 0;max-height:28rem;overflow:auto;border-radius:4px}
a{color:var(--milestone)}
.status{display:inline-block;padding:0 .5rem;border-radius:4px;color:#fff;font-size:1rem;vertical-align:middle}
.s-passed{background:var(--passed)}.s-failed,.s-environment-error{background:var(--failed)}.s-interrupted{background:var(--known-defect);color:#000}
.verdict{margin:.2rem 0}.hint{color:var(--muted);margin:.2rem 0}
.chips,.tools{display:flex;gap:.4rem;flex-wrap:wrap;margin:.4rem 0}
.chip,.tools button{font:inherit;border:1px solid var(--line);background:var(--bg);color:var(--fg);border-radius:1rem;padding:.05rem .7rem;cursor:pointer}
.chip:disabled{cursor:default;opacity:1}.chip .swatch{margin-right:.35rem}
.chip[aria-pressed=true]{outline:2px solid var(--fg)}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:.3rem 1.1rem;padding:0;margin:.3rem 0 .6rem;color:var(--muted)}
.swatch{display:inline-block;width:1.1rem;height:.7rem;border-radius:2px;vertical-align:middle;margin-right:.3rem;position:static}
.wait-swatch{background:var(--skipped);background-image:repeating-linear-gradient(45deg,rgba(0,0,0,.35) 0 3px,transparent 3px 6px)}
.shade-swatch{background:repeating-linear-gradient(135deg,var(--shade) 0 4px,var(--shade2) 4px 8px);outline:1px solid var(--fault)}
.marker-swatch{width:.6rem;height:.6rem;transform:rotate(45deg);background:var(--milestone)}
.tl{border:1px solid var(--line);border-radius:4px}
.tl-body{position:relative}
.row{display:grid;grid-template-columns:var(--label) 1fr;min-height:var(--row);align-items:center;position:relative;z-index:1}
.label{padding:0 .6rem 0 .4rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.track{position:relative;height:var(--row);display:block}
.axis{position:sticky;top:0;z-index:4;background:var(--bg);border-bottom:1px solid var(--line);color:var(--muted);font-size:12px}
.tick-label{position:absolute;top:.35rem;transform:translateX(-50%);white-space:nowrap}.tick-label:first-child{transform:none}.tick-label:last-child:not(:first-child){transform:translateX(-100%)}
.overlay{position:absolute;top:0;bottom:0;left:var(--label);right:0;pointer-events:none;z-index:0}
.gridline{position:absolute;top:0;bottom:0;border-left:1px solid var(--line)}
.milestone-line{position:absolute;top:0;bottom:0;border-left:1px dashed var(--milestone);opacity:.55}
.shade{position:absolute;top:0;bottom:0;min-width:2px;background:repeating-linear-gradient(135deg,var(--shade) 0 4px,var(--shade2) 4px 8px);border-left:1px solid var(--fault)}
.shade.hot{background:repeating-linear-gradient(135deg,rgba(123,79,208,.4) 0 4px,rgba(123,79,208,.15) 4px 8px);z-index:1}
.cursor{position:absolute;top:0;bottom:0;border-left:1px solid var(--fg);font-size:11px;padding-left:3px;color:var(--fg);z-index:3}
summary{cursor:pointer;list-style:none}summary::-webkit-details-marker{display:none}
summary:hover{background:var(--hover)}summary:focus-visible{outline:2px solid var(--milestone);outline-offset:-2px}
details>summary>.label::before{content:"▸";display:inline-block;width:1rem;color:var(--muted)}
details[open]>summary>.label::before{content:"▾"}
.group-row,.module-row{font-weight:600;border-top:1px solid var(--line)}
.check-row .label{padding-left:1.4rem}.milestone-row .label,.fault-row .label{padding-left:1.8rem}
.dur,.by{color:var(--muted);font-weight:400;font-size:12.5px}
.bar{position:absolute;top:.35rem;bottom:.35rem;min-width:3px;border-radius:3px;overflow:hidden}
.o-passed{background:var(--passed)}.o-failed{background:var(--failed)}.o-skipped{background:var(--skipped)}.o-known-defect{background:var(--known-defect)}.o-fixed{background:var(--fixed)}
.o-text-passed{color:var(--passed)}.o-text-failed{color:var(--failed)}.o-text-skipped{color:var(--muted)}.o-text-known-defect{color:var(--known-defect-text)}.o-text-fixed{color:var(--fixed);font-weight:700}
.outcome{font-size:12px;font-weight:600}
.wait{position:absolute;top:0;bottom:0;background-image:repeating-linear-gradient(45deg,rgba(0,0,0,.3) 0 3px,transparent 3px 6px)}
.w-timed-out.wait{background-image:repeating-linear-gradient(45deg,rgba(0,0,0,.55) 0 3px,transparent 3px 6px)}
.envelope{position:absolute;top:.7rem;bottom:.7rem;min-width:2px;background:var(--line);border-radius:2px}
.marker{position:absolute;top:50%;width:.65rem;height:.65rem;transform:translate(-50%,-50%) rotate(45deg);background:var(--milestone)}
.fault-bar{position:absolute;top:.45rem;bottom:.45rem;min-width:3px;background:var(--fault);border-radius:2px}
.open-ended{background:linear-gradient(to right,var(--fault) 60%,transparent)}
.detail{position:relative;z-index:2;background:var(--bg);border:1px solid var(--line);border-radius:4px;margin:.2rem .6rem .7rem 1.4rem;padding:.3rem .9rem .6rem}
.meta{color:var(--muted);margin:.3rem 0}
.message{border-left:4px solid var(--line)}
.o-border-failed{border-left-color:var(--failed)}.o-border-known-defect{border-left-color:var(--known-defect)}.o-border-fixed{border-left-color:var(--fixed)}.o-border-skipped{border-left-color:var(--skipped)}
.defect{border-left:4px solid var(--known-defect);padding-left:.6rem}
.lines{list-style:none;padding:0;margin:.2rem 0}.lines li{padding:.05rem 0;word-break:break-word}
.lines .t{color:var(--muted)}.lines .ok .mark{color:var(--passed)}.lines .bad{color:var(--failed)}.lines .w-timed-out{color:var(--failed)}
.excerpt>summary{color:var(--muted);margin:.3rem 0}
table{border-collapse:collapse;margin:.3rem 0}th,td{text-align:left;padding:.25rem .8rem .25rem 0;border-bottom:1px solid var(--line);vertical-align:top}
th[scope=row]{font-weight:600;white-space:nowrap}
.container>summary{padding:.25rem 0}.state{font-size:12.5px;padding:0 .4rem;border-radius:3px;border:1px solid var(--line)}
.st-running{color:var(--passed)}.st-bad{color:var(--failed)}.st-paused{color:var(--known-defect-text)}
@media (max-width:900px){:root{--label:14rem}}
`;

export const SCRIPT = `(function () {
  "use strict";
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el) return;
    for (var d = el.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) d.open = true;
    el.scrollIntoView({ block: "center" });
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  var checks = document.querySelectorAll("details.check");
  var chips = document.querySelectorAll("button.chip[data-outcome]");
  chips.forEach(function (chip) {
    chip.disabled = false;
    chip.title = "show only these checks (again: all)";
    chip.addEventListener("click", function () {
      var only = chip.getAttribute("aria-pressed") === "true" ? null : chip.getAttribute("data-outcome");
      chips.forEach(function (c) { c.setAttribute("aria-pressed", String(c.getAttribute("data-outcome") === only)); });
      checks.forEach(function (d) { d.hidden = only !== null && d.getAttribute("data-outcome") !== only; });
      document.querySelectorAll("details.module").forEach(function (m) { m.hidden = !m.querySelector("details.check:not([hidden])"); });
    });
  });

  document.querySelectorAll("button[data-expand]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-expand") === "all";
      checks.forEach(function (d) { d.open = open; });
    });
  });

  document.querySelectorAll(".fault-row").forEach(function (row) {
    var shade = document.querySelector('.shade[data-fault="' + row.id.slice("fault-".length) + '"]');
    if (!shade) return;
    row.addEventListener("mouseenter", function () { shade.classList.add("hot"); });
    row.addEventListener("mouseleave", function () { shade.classList.remove("hot"); });
  });

  var tl = document.querySelector(".tl");
  var overlay = tl && tl.querySelector(".overlay");
  if (overlay) {
    var span = Number(tl.getAttribute("data-span-ms"));
    var cursor = document.createElement("span");
    cursor.className = "cursor";
    cursor.hidden = true;
    overlay.appendChild(cursor);
    tl.addEventListener("mousemove", function (event) {
      var box = overlay.getBoundingClientRect();
      var f = (event.clientX - box.left) / box.width;
      cursor.hidden = !(f >= 0 && f <= 1);
      if (cursor.hidden) return;
      var s = (f * span) / 1000;
      cursor.style.left = f * 100 + "%";
      cursor.textContent = "+" + (s < 60 ? s.toFixed(1) + "s" : Math.floor(s / 60) + "m" + String(Math.round(s % 60)).padStart(2, "0") + "s");
    });
    tl.addEventListener("mouseleave", function () { cursor.hidden = true; });
  }

  document.querySelectorAll("time[datetime]").forEach(function (t) {
    var date = new Date(t.getAttribute("datetime"));
    if (isNaN(date.getTime())) return;
    t.title = t.textContent;
    t.textContent = date.toLocaleString();
  });
})();`;

/** The Content-Security-Policy of the page: nothing from the network, only this exact script. */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${createHash("sha256").update(SCRIPT).digest("base64")}'`;
