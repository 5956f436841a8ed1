// The waterfall page of trace-export-console: reads the data document embedded in the
// page (see src/html_data.rs for its shape) and draws the trace list, the selected
// trace's spans on a time axis (a tree that folds) and the exported JSON of the span
// clicked. Every text goes through textContent: nothing from the data is parsed as HTML.
//
// Rows are virtual: only those in view, plus OVERSCAN above and below, are in the DOM,
// so a trace of 10,000 spans costs a few hundred elements.
//
// The address's fragment chooses what is shown, for links and for checks of the page:
//   #trace=<trace id>             that trace (default: the first)
//   #span=<span id>               that span's trace, the span selected and scrolled to
//   #collapse=<span id>,<span id> those spans folded
// joined with "&" (for instance #trace=trace_1&collapse=span_2).
(function () {
  "use strict";
  var started = performance.now();
  var ROW_H = 24;
  var OVERSCAN = 100;
  var MAX_INDENT = 40;

  var data = JSON.parse(document.getElementById("waterfall-data").textContent);
  // The most characters of a span's JSON the details pane shows.
  var DETAIL_CHARS = 1000000;
  var traces = data.traces;

  var listEl = document.getElementById("trace-list");
  var rowsEl = document.getElementById("rows");
  var innerEl = document.getElementById("rows-inner");
  var axisEl = document.getElementById("axis");
  var headerEl = document.getElementById("trace-header");
  var detailEl = document.getElementById("detail");
  var detailSummaryEl = document.getElementById("detail-summary");

  var current = -1; // index of the trace shown
  var visible = []; // row indices of that trace not hidden by a fold
  var collapsed = {}; // row index -> true, for the trace shown
  var selected = -1; // row index selected
  var drawn = { first: -1, last: -1 };
  var frame = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  // Microseconds, readable: 850 µs, 3.2 ms, 1.24 s, 2m 05s.
  function fmtUs(us) {
    if (us === null || us === undefined) return "?";
    if (us < 1000) return us + " µs";
    if (us < 1e6) return (us / 1000).toFixed(1) + " ms";
    if (us < 60e6) return (us / 1e6).toFixed(2) + " s";
    var s = Math.floor(us / 1e6);
    return Math.floor(s / 60) + "m " + String(s % 60).padStart(2, "0") + "s";
  }

  // Row fields: [depth, parent_row, start_us, end_us, kind, name, details, error, orphan, alert]
  function row(t, i) {
    var r = t.rows[i];
    return {
      depth: r[0], parent: r[1], start: r[2], end: r[3], kind: r[4], name: r[5],
      details: r[6], error: r[7], orphan: r[8] === 1, alert: r[9] === 1
    };
  }

  function hasChildren(t, i) {
    return i + 1 < t.rows.length && t.rows[i + 1][0] > t.rows[i][0];
  }

  function runSummary() {
    var spans = 0, errors = 0;
    traces.forEach(function (t) { spans += t.spans.length; errors += t.errors; });
    var box = document.getElementById("run-summary");
    box.appendChild(el("span", "note",
      plural(traces.length, "trace") + " · " + plural(spans, "span") + " · "));
    box.appendChild(el("span", errors ? "err" : "note", plural(errors, "error")));
    box.appendChild(el("span", "note", " · written " + data.generated_at));
    if (data.dropped.traces || data.dropped.spans) {
      box.appendChild(el("span", "warn", " · not recorded: " + plural(data.dropped.traces, "trace") + ", " +
        plural(data.dropped.spans, "span") + " (caps: " + data.limits.max_traces + " traces, " +
        data.limits.max_spans_per_trace + " spans per trace, " + data.limits.max_spans + " spans)"));
    }
    document.title = data.title;
    document.getElementById("title").textContent = data.title;
  }

  function traceList() {
    traces.forEach(function (t, i) {
      var li = el("li", "trace-item");
      li.setAttribute("data-trace", t.id);
      li.setAttribute("data-spans", String(t.spans.length));
      li.setAttribute("data-errors", String(t.errors));
      li.appendChild(el("div", "wf", t.workflow || "(no workflow name)"));
      var meta = el("div", "meta", fmtUs(t.duration_us) + " · " + plural(t.spans.length, "span") + " · ");
      meta.appendChild(el("span", t.errors ? "err" : "", plural(t.errors, "error")));
      if (!t.ended) meta.appendChild(el("span", "warn", " · not ended"));
      li.appendChild(meta);
      li.addEventListener("click", function () { showTrace(i, {}); selectRow(-1); });
      listEl.appendChild(li);
    });
    if (!traces.length) listEl.appendChild(el("li", "note trace-item", "No traces recorded."));
  }

  function traceHeader(t) {
    headerEl.textContent = "";
    headerEl.appendChild(el("div", "wf", t.workflow || "(no workflow name)"));
    var meta = el("div", "note", t.id + (t.group_id ? " · group " + t.group_id : "") + " · " +
      fmtUs(t.duration_us) + " · " + plural(t.spans.length, "span") + " · ");
    meta.appendChild(el("span", t.errors ? "err" : "", plural(t.errors, "error")));
    headerEl.appendChild(meta);
    if (t.dropped) {
      headerEl.appendChild(el("div", "warn", plural(t.dropped, "more span") +
        " of this trace not recorded: a cap was reached (" + data.limits.max_spans_per_trace +
        " spans per trace, " + data.limits.max_spans + " in all)"));
    }
    if (!t.ended) headerEl.appendChild(el("div", "warn", "The trace had not ended when this page was written."));
    if (!t.start_seen) headerEl.appendChild(el("div", "warn", "The trace's start was not seen: earlier spans may be missing."));
  }

  function axis(t) {
    axisEl.textContent = "";
    var d = t.duration_us || 0;
    if (d <= 0) return;
    var step = 1;
    while (d / step > 8) {
      step *= (String(step)[0] === "2") ? 2.5 : 2; // 1, 2, 5, 10, 20, 50, ...
    }
    for (var x = 0; x <= d; x += step) {
      var tick = el("div", "tick", x === 0 ? "0" : fmtUs(x));
      tick.style.left = (x / d * 100) + "%";
      axisEl.appendChild(tick);
    }
  }

  function computeVisible() {
    var t = traces[current];
    visible = [];
    var hideDeeperThan = Infinity;
    for (var i = 0; i < t.rows.length; i++) {
      var depth = t.rows[i][0];
      if (depth > hideDeeperThan) continue;
      hideDeeperThan = Infinity;
      visible.push(i);
      if (collapsed[i] && hasChildren(t, i)) hideDeeperThan = depth;
    }
    innerEl.style.height = (visible.length * ROW_H) + "px";
    innerEl.setAttribute("data-trace", t.id);
    innerEl.setAttribute("data-total-rows", String(visible.length));
    drawn = { first: -1, last: -1 };
  }

  function drawRow(t, i, pos) {
    var r = row(t, i);
    var span = t.spans[i];
    var div = el("div", "row" + (i === selected ? " selected" : ""));
    div.style.top = (pos * ROW_H) + "px";
    div.setAttribute("data-row", String(i));
    div.setAttribute("data-span", String(span.id));
    div.setAttribute("data-parent", span.parent_id === null ? "" : String(span.parent_id));
    div.setAttribute("data-depth", String(r.depth));
    div.setAttribute("data-kind", r.kind);
    if (r.error !== null) div.setAttribute("data-error", "true");
    var kids = hasChildren(t, i);
    if (kids && collapsed[i]) div.setAttribute("data-collapsed", "true");

    var label = el("div", "label");
    label.style.paddingLeft = (4 + Math.min(r.depth, MAX_INDENT) * 14) + "px";
    var toggle = el("span", "toggle", kids ? (collapsed[i] ? "▸" : "▾") : "");
    if (kids) {
      toggle.addEventListener("click", function (e) { e.stopPropagation(); fold(i, !collapsed[i]); });
    }
    label.appendChild(toggle);
    if (r.depth > MAX_INDENT) label.appendChild(el("span", "note", "[depth " + r.depth + "]"));
    label.appendChild(el("span", "kind k-" + r.kind, r.kind));
    label.appendChild(el("span", "name", r.name));
    if (r.error !== null) label.appendChild(el("span", "err", "✗ " + r.error));
    if (r.details) label.appendChild(el("span", r.alert ? "err" : "details", r.details));
    if (r.orphan) label.appendChild(el("span", "warn", "(parent " + span.parent_id + " not recorded)"));
    div.title = r.kind + " " + r.name + (r.error !== null ? "\nerror: " + r.error : "");
    div.appendChild(label);

    var lane = el("div", "lane");
    var d = t.duration_us || 0;
    if (r.start !== null && d > 0) {
      var end = r.end === null ? d : r.end;
      var left = r.start / d * 100, width = Math.max(0, (end - r.start) / d * 100);
      var bar = el("div", "bar k-" + r.kind + (r.error !== null ? " error" : ""));
      bar.style.left = left + "%";
      bar.style.width = width + "%";
      lane.appendChild(bar);
      var dur = el("span", "dur", r.end === null ? "not ended" : fmtUs(end - r.start));
      if (left + width < 80) dur.style.left = "calc(" + (left + width) + "% + 4px)";
      else dur.style.right = "calc(" + (100 - left) + "% + 4px)";
      lane.appendChild(dur);
    } else {
      lane.appendChild(el("span", "dur", r.start === null ? "no times" : fmtUs(0)));
    }
    div.appendChild(lane);
    div.addEventListener("click", function () { selectRow(i); });
    return div;
  }

  function drawRows(force) {
    frame = 0;
    if (current < 0) return;
    var t = traces[current];
    var h = rowsEl.clientHeight || 600;
    var first = Math.max(0, Math.floor(rowsEl.scrollTop / ROW_H) - OVERSCAN);
    var last = Math.min(visible.length, Math.ceil((rowsEl.scrollTop + h) / ROW_H) + OVERSCAN);
    if (!force && first === drawn.first && last === drawn.last) return;
    drawn = { first: first, last: last };
    var frag = document.createDocumentFragment();
    for (var pos = first; pos < last; pos++) frag.appendChild(drawRow(t, visible[pos], pos));
    innerEl.textContent = "";
    innerEl.appendChild(frag);
  }

  function fold(i, on) {
    if (on) collapsed[i] = true; else delete collapsed[i];
    computeVisible();
    drawRows(true);
  }

  function showTrace(i, folds) {
    current = i;
    collapsed = folds;
    selected = -1;
    var items = listEl.querySelectorAll(".trace-item");
    for (var k = 0; k < items.length; k++) items[k].classList.toggle("selected", k === i);
    var t = traces[i];
    traceHeader(t);
    axis(t);
    computeVisible();
    rowsEl.scrollTop = 0;
    drawRows(true);
  }

  function selectRow(i) {
    selected = i;
    var t = traces[current];
    if (i < 0 || !t) {
      detailSummaryEl.textContent = "Click a span to see its exported JSON.";
      detailEl.textContent = "";
      detailEl.removeAttribute("data-span");
      drawRows(true);
      return;
    }
    var r = row(t, i);
    detailSummaryEl.textContent = r.kind + " " + r.name + " · " +
      (r.start === null || r.end === null ? "?" : fmtUs(r.end - r.start)) + (r.error !== null ? " · error: " + r.error : "");
    // At most DETAIL_CHARS characters: a span holding a 100 MB tool output must not
    // freeze the tab. (Numbers are shown as JavaScript reads them: integers beyond 2^53
    // lose their last digits.)
    var text = JSON.stringify(t.spans[i], null, 2);
    detailEl.textContent = text.length <= DETAIL_CHARS ? text :
      text.slice(0, DETAIL_CHARS) + "\n… " + (text.length - DETAIL_CHARS) + " more characters not shown";
    detailEl.setAttribute("data-span", String(t.spans[i].id));
    drawRows(true);
  }

  // Unfolds the ancestors of row i and scrolls it into the middle of the view.
  function reveal(i) {
    var t = traces[current];
    for (var p = t.rows[i][1]; p >= 0; p = t.rows[p][1]) delete collapsed[p];
    computeVisible();
    var pos = visible.indexOf(i);
    rowsEl.scrollTop = Math.max(0, pos * ROW_H - (rowsEl.clientHeight || 600) / 2);
  }

  function decode(s) {
    try {
      return decodeURIComponent(s);
    } catch (e) {
      return s; // a malformed escape: taken as written
    }
  }

  function fromFragment() {
    var args = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var at = kv.indexOf("=");
      if (at > 0) args[decode(kv.slice(0, at))] = decode(kv.slice(at + 1));
    });
    return args;
  }

  function findSpan(id) {
    for (var ti = 0; ti < traces.length; ti++) {
      var spans = traces[ti].spans;
      for (var i = 0; i < spans.length; i++) if (spans[i].id === id) return [ti, i];
    }
    return null;
  }

  function start() {
    runSummary();
    traceList();
    if (!traces.length) return;
    var args = fromFragment();
    var ti = 0, spanAt = null;
    if (args.span) spanAt = findSpan(args.span);
    if (spanAt) ti = spanAt[0];
    else if (args.trace) {
      for (var k = 0; k < traces.length; k++) if (traces[k].id === args.trace) ti = k;
    }
    var folds = {};
    if (args.collapse) {
      var ids = args.collapse.split(",");
      traces[ti].spans.forEach(function (s, i) { if (ids.indexOf(s.id) >= 0) folds[i] = true; });
    }
    showTrace(ti, folds);
    if (spanAt) {
      reveal(spanAt[1]);
      selectRow(spanAt[1]);
    }
  }

  rowsEl.addEventListener("scroll", function () {
    if (!frame) frame = requestAnimationFrame(function () { drawRows(false); });
  });
  window.addEventListener("resize", function () { drawRows(true); });
  rowsEl.addEventListener("keydown", function (e) {
    if (current < 0 || !visible.length) return;
    var pos = visible.indexOf(selected);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      pos = Math.min(visible.length - 1, Math.max(0, pos + (e.key === "ArrowDown" ? 1 : -1)));
      selectRow(visible[pos]);
      reveal(visible[pos]);
      drawRows(true);
    } else if ((e.key === "ArrowLeft" || e.key === "ArrowRight") && selected >= 0) {
      fold(selected, e.key === "ArrowLeft");
    } else {
      return;
    }
    e.preventDefault();
  });

  start();
  document.body.setAttribute("data-render-ms", String(Math.round(performance.now() - started)));
  document.body.setAttribute("data-ready", "true");
})();
