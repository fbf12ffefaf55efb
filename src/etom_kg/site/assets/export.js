/* etom-kg site: the map as a picture and its lists as CSV (issue 14, item 5).

   Everything is built in the browser from what is on the screen, and nothing leaves it:
   - SVG: one rectangle per painted element of the map (headers, bands, boxes) at its place
     and in its computed colours (heat map, search highlights, dimmed boxes included), and
     one text per line of words as the browser laid them out, in the language shown;
   - PNG: that SVG drawn on a canvas at PNG_SCALE times its size;
   - CSV: the processes on the map (as filtered) and the search results, in the language shown.
   Files are handed to the browser as Blob downloads. */
(function () {
  "use strict";

  var SVG_NS = (function () {
    // the SVG namespace, as the HTML parser gives it to an <svg> element (no URL in the assets)
    var holder = document.createElement("div");
    holder.innerHTML = "<svg></svg>";
    return holder.firstChild.namespaceURI;
  })();
  var PNG_SCALE = 2;
  var FILE_STEM = "etom-operations-map";

  /* "etom-operations-map", or "etom-operations-map-<Flow>" on a flow's page */
  function fileStem() {
    var flow = document.querySelector("[data-flow]");
    return flow ? FILE_STEM + "-" + flow.getAttribute("data-flow") : FILE_STEM;
  }

  function shown(element) {
    return element.getClientRects().length > 0 && getComputedStyle(element).visibility !== "hidden";
  }

  /* The words of ``element`` a reader sees: text of visible descendants only (the other
     language's spans are display:none), spaces collapsed. */
  function visibleText(element) {
    var parts = [];
    var walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement && shown(node.parentElement)) parts.push(node.nodeValue);
    }
    return parts.join(" ").replace(/\s+/g, " ").trim();
  }

  /* ------------------------------------------------------------------ SVG */

  function alpha(colour) {
    var m = /rgba\([^)]*,\s*([\d.]+)\)/.exec(colour);
    return m ? parseFloat(m[1]) : (colour === "transparent" ? 0 : 1);
  }

  function opaque(colour) {
    return colour.replace(/^rgba\(([^,]+),([^,]+),([^,]+),[^)]*\)/, "rgb($1,$2,$3)");
  }

  function svgElement(name, attributes) {
    var e = document.createElementNS(SVG_NS, name);
    Object.keys(attributes).forEach(function (key) {
      var value = attributes[key];
      if (value !== null && value !== undefined && value !== "") e.setAttribute(key, String(value));
    });
    return e;
  }

  function round(n) {
    return Math.round(n * 100) / 100;
  }

  /* A repeating stripe gradient (the heat map's "no application") as an SVG pattern. */
  function stripePattern(image, defs, cache) {
    if (cache[image]) return cache[image];
    var colours = image.match(/rgba?\([^)]*\)/g) || [];
    var stops = (image.match(/\)\s+([\d.]+)px/g) || []).map(function (s) { return parseFloat(s.replace(/^\)\s+/, "")); });
    var angle = /(-?[\d.]+)deg/.exec(image);
    var distinct = colours.filter(function (c, i) { return colours.indexOf(c) === i; });
    if (!distinct.length) return null;
    var id = "fill-" + Object.keys(cache).length;
    var period = stops.length ? Math.max.apply(null, stops) : 8;
    var first = stops.length > 1 ? Math.min.apply(null, stops) : period / 2;
    var pattern = svgElement("pattern", {
      id: id, patternUnits: "userSpaceOnUse", width: period, height: period,
      patternTransform: "rotate(" + ((angle ? parseFloat(angle[1]) : 180) - 90) + ")"
    });
    pattern.appendChild(svgElement("rect", { x: 0, y: 0, width: period, height: period, fill: opaque(distinct[distinct.length > 1 ? 1 : 0]) }));
    pattern.appendChild(svgElement("rect", { x: 0, y: 0, width: first, height: period, fill: opaque(distinct[0]) }));
    defs.appendChild(pattern);
    cache[image] = "url(#" + id + ")";
    return cache[image];
  }

  /* The rectangle of an element that paints a background, border or outline; null if it paints none. */
  function paintedRect(element, origin, defs, patterns) {
    var s = getComputedStyle(element);
    var r = element.getBoundingClientRect();
    if (!r.width || !r.height) return null;
    var fill = null, fillOpacity = 1;
    if (/gradient\(/.test(s.backgroundImage)) {
      fill = stripePattern(s.backgroundImage, defs, patterns);
    } else if (alpha(s.backgroundColor) > 0) {
      fill = opaque(s.backgroundColor);
      fillOpacity = alpha(s.backgroundColor);
    }
    var border = parseFloat(s.borderTopWidth) || 0;
    var stroke = border > 0 && s.borderTopStyle !== "none" && alpha(s.borderTopColor) > 0;
    if (!fill && !stroke) return null;
    var inset = stroke ? border / 2 : 0;
    var dash = s.borderTopStyle === "dashed" ? round(border * 3) + " " + round(border * 2)
      : (s.borderTopStyle === "dotted" ? round(border) + " " + round(border) : null);
    return svgElement("rect", {
      x: round(r.left - origin.left + inset), y: round(r.top - origin.top + inset),
      width: round(r.width - 2 * inset), height: round(r.height - 2 * inset),
      rx: parseFloat(s.borderTopLeftRadius) || null,
      fill: fill || "none", "fill-opacity": fillOpacity < 1 ? fillOpacity : null,
      stroke: stroke ? opaque(s.borderTopColor) : null, "stroke-width": stroke ? border : null,
      "stroke-dasharray": stroke ? dash : null
    });
  }

  function outlineRect(element, origin) {
    var s = getComputedStyle(element);
    var width = parseFloat(s.outlineWidth) || 0;
    if (s.outlineStyle === "none" || !width || element === document.activeElement) return null;
    var r = element.getBoundingClientRect();
    var offset = (parseFloat(s.outlineOffset) || 0) + width / 2;
    return svgElement("rect", {
      x: round(r.left - origin.left - offset), y: round(r.top - origin.top - offset),
      width: round(r.width + 2 * offset), height: round(r.height + 2 * offset),
      fill: "none", stroke: opaque(s.outlineColor), "stroke-width": width
    });
  }

  /* One <text> per line of a text node, at the place the browser put its first word. */
  function textLines(node, origin) {
    var parent = node.parentElement;
    var s = getComputedStyle(parent);
    var range = document.createRange();
    var lines = [], current = null, m;
    var words = /\S+/g;
    while ((m = words.exec(node.nodeValue))) {
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      var rects = range.getClientRects();
      for (var i = 0; i < rects.length; i++) {
        var r = rects[i];
        if (!r.width) continue;
        // a word the browser broke over two lines gives one rectangle per line
        var piece = rects.length === 1 ? m[0] : piecesOf(node, m.index, m[0].length, r, range);
        if (current && Math.abs(current.top - r.top) < 1) {
          current.text += (current.broken ? "" : " ") + piece;
        } else {
          current = { top: r.top, left: r.left, height: r.height, text: piece };
          lines.push(current);
        }
        current.broken = rects.length > 1 && i < rects.length - 1;
      }
    }
    var decoration = (s.textDecorationLine || s.textDecoration || "").indexOf("line-through") >= 0 ? "line-through" : null;
    return lines.map(function (line) {
      var t = svgElement("text", {
        x: round(line.left - origin.left), y: round(line.top - origin.top + line.height / 2),
        "dominant-baseline": "central", "font-family": s.fontFamily, "font-size": s.fontSize,
        "font-weight": s.fontWeight !== "400" ? s.fontWeight : null,
        "font-style": s.fontStyle !== "normal" ? s.fontStyle : null,
        fill: opaque(s.color), "text-decoration": decoration
      });
      t.textContent = line.text;
      return t;
    });
  }

  /* The characters of a broken word that fall on the line of rectangle ``r``. */
  function piecesOf(node, start, length, r, range) {
    var out = "";
    for (var k = 0; k < length; k++) {
      range.setStart(node, start + k);
      range.setEnd(node, start + k + 1);
      var c = range.getBoundingClientRect();
      if (Math.abs(c.top - r.top) < 1) out += node.nodeValue.charAt(start + k);
    }
    return out;
  }

  function drawInto(element, group, origin, defs, patterns) {
    var target = group;
    if (element.matches("a.box, th")) {
      target = svgElement("g", {
        "class": element.matches("a.box") ? element.className : element.tagName.toLowerCase() + " " + element.className,
        "data-process": element.getAttribute("data-process") || element.getAttribute("data-vertical") || element.getAttribute("data-horizontal"),
        opacity: parseFloat(getComputedStyle(element).opacity) < 1 ? getComputedStyle(element).opacity : null
      });
      var title = svgElement("title", {});
      title.textContent = visibleText(element);
      target.appendChild(title);
      group.appendChild(target);
    }
    var rect = paintedRect(element, origin, defs, patterns);
    if (rect) target.appendChild(rect);
    var outline = outlineRect(element, origin);
    if (outline) target.appendChild(outline);
    for (var child = element.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === Node.TEXT_NODE && child.nodeValue.trim()) {
        textLines(child, origin).forEach(function (t) { target.appendChild(t); });
      } else if (child.nodeType === Node.ELEMENT_NODE && shown(child)) {
        drawInto(child, target, origin, defs, patterns);
      }
    }
  }

  /* The map as an SVG document (a string), exactly as laid out now. */
  function mapSvg() {
    var table = document.getElementById("map");
    var root = document.documentElement;
    root.classList.add("etom-kg-exporting"); // sticky headers back in place while measuring
    try {
      var box = table.getBoundingClientRect();
      var origin = { left: box.left, top: box.top };
      var width = Math.ceil(Math.max(box.width, table.scrollWidth)), height = Math.ceil(box.height);
      var svg = svgElement("svg", {
        width: width, height: height, viewBox: "0 0 " + width + " " + height,
        "font-family": getComputedStyle(table).fontFamily
      });
      svg.setAttribute("xml:lang", root.getAttribute("lang") || "en");
      var title = svgElement("title", {});
      title.textContent = document.title;
      svg.appendChild(title);
      var defs = svgElement("defs", {});
      svg.appendChild(defs);
      svg.appendChild(svgElement("rect", { x: 0, y: 0, width: width, height: height, fill: "#ffffff" }));
      var layer = svgElement("g", { "class": "map" });
      svg.appendChild(layer);
      drawInto(table, layer, origin, defs, {});
      if (!defs.firstChild) svg.removeChild(defs);
      return { text: '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(svg) + "\n", width: width, height: height };
    } finally {
      root.classList.remove("etom-kg-exporting");
    }
  }

  /* ------------------------------------------------------------------ CSV */

  /* The project's CSV policy (etom_kg.results.safe_cell, OWASP "CSV Injection"): a text that
     starts with = + - @ tab or CR (after spaces) gets a leading ' so spreadsheets show it as
     text; plain numbers stay numbers. */
  var FORMULA_START = /^ *[=+\-@\t\r]/;
  var NUMBER = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

  function csvField(value) {
    var text = String(value === undefined || value === null ? "" : value);
    if (FORMULA_START.test(text) && !NUMBER.test(text.trim())) text = "'" + text;
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function csv(rows) {
    return rows.map(function (row) { return row.map(csvField).join(","); }).join("\r\n") + "\r\n";
  }

  function idAndName(link) {
    var pid = link.querySelector(".pid");
    var id = pid ? visibleText(pid) : "";
    var name = link.querySelector(".name");
    var text = name ? visibleText(name) : visibleText(link);
    if (!name && id && text.indexOf(id) === 0) text = text.slice(id.length).trim();
    return [id, text];
  }

  function mapCsv() {
    var verticals = Array.prototype.map.call(document.querySelectorAll("#map thead th[data-vertical]"), visibleText);
    var rows = [["id", "name", "horizontal", "verticals", "highlight", "applications", "url"]];
    Array.prototype.forEach.call(document.querySelectorAll("#map a.box"), function (box) {
      if (!shown(box)) return;
      var band = box.closest("tbody");
      var head = band ? band.querySelector("th .name") : null;
      var columns = (box.getAttribute("data-columns") || "").split("-").map(Number);
      var spanned = box.classList.contains("unassigned") ? [] : verticals.slice(columns[0], columns[1] + 1);
      var highlight = box.classList.contains("match") ? "match" : (box.classList.contains("contains-match") ? "contains-match" : "");
      rows.push(idAndName(box).concat([head ? visibleText(head) : "", spanned.join("; "), highlight,
        box.getAttribute("data-applications") || "", box.href]));
    });
    return csv(rows);
  }

  function resultLinks() {
    var list = document.getElementById("search-results");
    if (!list || list.hidden) return [];
    return Array.prototype.filter.call(list.querySelectorAll("a[data-process]"), function (a) {
      return a.closest("[hidden]") === null;
    });
  }

  function resultsCsv() {
    var rows = [["id", "name", "url"]];
    resultLinks().forEach(function (a) { rows.push(idAndName(a).concat([a.href])); });
    return csv(rows);
  }

  /* ------------------------------------------------------------------ downloads */

  function download(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function pngFrom(svg, done) {
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = svg.width * PNG_SCALE;
      canvas.height = svg.height * PNG_SCALE;
      var context = canvas.getContext("2d");
      context.scale(PNG_SCALE, PNG_SCALE);
      context.drawImage(image, 0, 0, svg.width, svg.height);
      canvas.toBlob(done, "image/png");
    };
    image.onerror = function () { done(null); };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg.text);
  }

  var actions = {
    svg: function () {
      download(new Blob([mapSvg().text], { type: "image/svg+xml" }), fileStem() + ".svg");
    },
    png: function (button) {
      button.disabled = true;
      pngFrom(mapSvg(), function (blob) {
        button.disabled = false;
        if (blob) download(blob, fileStem() + ".png");
      });
    },
    "csv-map": function () {
      download(new Blob([mapCsv()], { type: "text/csv;charset=utf-8" }), fileStem() + "-processes.csv");
    },
    "csv-results": function () {
      download(new Blob([resultsCsv()], { type: "text/csv;charset=utf-8" }), "etom-search-results.csv");
    }
  };

  function init() {
    var tools = document.querySelector(".export-tools");
    if (!tools || !document.getElementById("map")) return;
    tools.hidden = false;
    var resultsButton = tools.querySelector('[data-export="csv-results"]');
    var results = document.getElementById("search-results");
    function syncResults() {
      if (resultsButton) resultsButton.disabled = resultLinks().length === 0;
    }
    if (results && window.MutationObserver) {
      new MutationObserver(syncResults).observe(results, { attributes: true, childList: true, subtree: true });
    } else if (!results && resultsButton) {
      resultsButton.hidden = true;
    }
    syncResults();
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("[data-export]");
      if (button && actions[button.getAttribute("data-export")]) actions[button.getAttribute("data-export")](button);
    });
    window.etomKgExport = { svg: mapSvg, mapCsv: mapCsv, resultsCsv: resultsCsv, csv: csv, pngScale: PNG_SCALE };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
