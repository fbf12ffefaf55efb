/* etom-kg site: the map's search, its levels and its filters (issue 14).
   Loaded (deferred) by index.html after assets/search-index.js, which sets window.etomKgIndex:
   every process (id, v21 id, level, names, parent, superseded) and every search key of the
   resolver and of the topic-index query (etom_kg.site.pages.topic_data). Nothing is fetched:
   the page works from file:// as from etom-kg serve. */
(function () {
  "use strict";

  var LANGS = ["en", "es"];
  var DEBOUNCE_MS = 150;
  var index = window.etomKgIndex;
  var map = document.getElementById("map");
  if (!index || !map) return;

  /* ------------------------------------------------------------------ the index */

  var processes = index.processes.map(function (row, i) {
    var p = { index: i, children: [] };
    index.fields.forEach(function (name, k) { p[name] = row[k]; });
    return p;
  });
  var bySlug = {};
  processes.forEach(function (p) {
    bySlug[p.slug] = p;
    if (p.parent >= 0) processes[p.parent].children.push(p);
  });
  var stop = {};
  (index.stop || []).forEach(function (w) { stop[w] = true; });
  var keys = Object.keys(index.topics);

  function ancestors(p) {
    var out = [], seen = 0;
    while (p.parent >= 0 && seen < 12) {
      p = processes[p.parent];
      out.push(p);
      seen += 1;
    }
    return out;
  }

  function href(p) {
    return "process/" + encodeURIComponent(p.slug) + ".html";
  }

  /* ------------------------------------------------------------------ matching */

  /* Exactly etom_kg.text.fold, which wrote the search keys of the index: compatibility
     decomposition, accents dropped, case folded, punctuation to single spaces, dots kept
     inside identifiers (1.1.1.6). */
  function fold(text) {
    return String(text)
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/(\d)\.(?=\d)/g, "$10DOT0")
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .replace(/0DOT0/g, ".")
      .trim()
      .replace(/ +/g, " ");
  }

  /* Edit distance, for typos, given up beyond ``limit``. */
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var prev = [], cur, i, j;
    for (j = 0; j <= b.length; j++) prev[j] = j;
    for (i = 1; i <= a.length; i++) {
      cur = [i];
      var best = i;
      for (j = 1; j <= b.length; j++) {
        cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (cur[j] < best) best = cur[j];
      }
      if (best > limit) return limit + 1;
      prev = cur;
    }
    return prev[b.length];
  }

  function closestKey(key) {
    var limit = key.length <= 5 ? 1 : 2, found = null, bestDistance = limit + 1;
    keys.forEach(function (k) {
      var d = distance(key, k, limit);
      if (d < bestDistance || (d === bestDistance && found !== null && k < found)) {
        bestDistance = d;
        found = k;
      }
    });
    return bestDistance <= limit ? found : null;
  }

  /* Word overlap, the resolver's overlap tier: the keys that hold every word typed (stop
     words aside). With ``lastIsPrefix`` the last word may be unfinished (as you type:
     "problem hand" finds problem handling). */
  function byWords(key, lastIsPrefix) {
    var words = key.split(" ").filter(function (w) { return w && !stop[w]; });
    if (!words.length) return [];
    var last = lastIsPrefix ? words.pop() : null;
    var found = {};
    keys.forEach(function (k) {
      var padded = " " + k + " ";
      if (!words.every(function (w) { return padded.indexOf(" " + w + " ") >= 0; })) return;
      if (last !== null && padded.indexOf(" " + last) < 0) return;
      index.topics[k].forEach(function (i) { found[i] = true; });
    });
    return Object.keys(found).map(Number).sort(function (a, b) { return a - b; });
  }

  /* The tiers, first that answers wins: the key itself (ids, names, synonyms, topics),
     every word, every word with the last one unfinished, the closest key by edit distance. */
  function lookup(key) {
    if (!key) return [];
    if (index.topics[key]) return index.topics[key].slice();
    var found = byWords(key, false);
    if (!found.length && key.length >= 3) found = byWords(key, true);
    if (!found.length && key.length >= 4) {
      var near = closestKey(key);
      if (near) found = index.topics[near].slice();
    }
    return found;
  }

  /* ------------------------------------------------------------------ state and URL */

  var defaults = { q: "", hide: [], superseded: !!index.superseded_shown, ids: "classic" };
  var state = { q: "", hide: [], superseded: defaults.superseded, ids: "classic" };

  function writeUrl() {
    if (!(window.history && window.history.replaceState)) return;
    var params = new URLSearchParams();
    if (state.q.trim()) params.set("q", state.q.trim());
    if (state.hide.length) params.set("hide", state.hide.join(","));
    if (state.superseded !== defaults.superseded) params.set("superseded", state.superseded ? "1" : "0");
    if (state.ids !== defaults.ids) params.set("ids", state.ids);
    var text = params.toString();
    // replaceState: the search and the filters are linkable without a history entry per key
    window.history.replaceState(null, "", text ? "#" + text : window.location.pathname + window.location.search);
  }

  /* ------------------------------------------------------------------ small DOM helpers */

  function bilingual(text, tag) {
    var frag = document.createDocumentFragment();
    LANGS.forEach(function (lang) {
      var span = document.createElement(tag || "span");
      span.className = "l";
      span.setAttribute("lang", lang);
      span.textContent = text[lang] || text.en;
      frag.appendChild(span);
    });
    return frag;
  }

  /* {en: fn("en"), es: fn("es")}: a text made of words of both languages */
  function perLang(fn) {
    var text = {};
    LANGS.forEach(function (lang) { text[lang] = fn(lang); });
    return text;
  }

  function ui(key) {
    return index.ui[key];
  }

  function shownId(p) {
    return state.ids === "v21" ? p.v21 : p.id;
  }

  function idSpan(p) {
    var span = document.createElement("span");
    span.className = "pid";
    span.textContent = shownId(p);
    return span;
  }

  /* ------------------------------------------------------------------ levels: parts of a box */

  var partsCounter = 0;

  function visibleChildren(p) {
    return p.children.filter(function (c) { return state.superseded || !c.superseded; });
  }

  function toggle(button, panel, open) {
    button.setAttribute("aria-expanded", String(open));
    panel.hidden = !open;
  }

  function makeToggle(p, panel, cls) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = cls;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", panel.id);
    var label = document.createElement("span");
    label.className = "visually-hidden";
    label.appendChild(bilingual(perLang(function (lang) {
      return ui("expand")[lang] + " " + p[lang]; // no id: the filters may switch the ids shown
    })));
    button.appendChild(label);
    var count = document.createElement("span");
    count.className = "count";
    count.setAttribute("aria-hidden", "true");
    count.textContent = String(visibleChildren(p).length);
    button.appendChild(count);
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      if (open) fill(panel, p);
      toggle(button, panel, open);
    });
    return button;
  }

  /* The list of ``p``'s parts, built when first opened; each part links to its page and,
     when it has parts, opens in turn (Level 3, 4, 5: as deep as the graph goes). */
  function fill(panel, p) {
    if (panel.getAttribute("data-filled") === String(state.superseded)) return;
    panel.textContent = "";
    panel.setAttribute("data-filled", String(state.superseded));
    var ul = document.createElement("ul");
    ul.className = "parts-tree";
    visibleChildren(p).forEach(function (c) {
      var li = document.createElement("li");
      li.setAttribute("data-level", String(c.level));
      var a = document.createElement("a");
      a.href = href(c);
      a.className = "part" + (c.superseded ? " deprecated" : "");
      a.setAttribute("data-process", c.slug);
      a.appendChild(idSpan(c));
      var name = document.createElement("span");
      name.className = "name";
      name.appendChild(bilingual(c));
      a.appendChild(name);
      if (visibleChildren(c).length) {
        var sub = document.createElement("div");
        sub.id = "parts-" + (++partsCounter);
        sub.className = "parts";
        sub.hidden = true;
        li.appendChild(makeToggle(c, sub, "expand sub"));
        li.appendChild(a);
        li.appendChild(sub);
      } else {
        li.appendChild(a);
      }
      ul.appendChild(li);
    });
    panel.appendChild(ul);
    markIn(panel);
  }

  function addBoxToggles() {
    var boxes = map.querySelectorAll("a.box[data-process]");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var p = bySlug[box.getAttribute("data-process")];
      if (!p || !p.children.length) continue;
      var panel = document.createElement("div");
      panel.id = "parts-" + (++partsCounter);
      panel.className = "parts box-parts";
      panel.hidden = true;
      var button = makeToggle(p, panel, "expand");
      box.parentNode.classList.add("has-parts");
      box.parentNode.insertBefore(button, box.nextSibling);
      box.parentNode.insertBefore(panel, button.nextSibling);
    }
  }

  /* Open the box that holds ``p`` and every level down to it; returns the element shown. */
  function reveal(p) {
    var direct = map.querySelector('a.box[data-process="' + p.slug + '"], a.grouping-link[data-process="' + p.slug + '"]');
    if (direct) return direct;
    var chain = ancestors(p).reverse(); // from the top down
    var holder = null, start = 0;
    for (var i = 0; i < chain.length; i++) {
      var box = map.querySelector('a.box[data-process="' + chain[i].slug + '"]');
      if (box) {
        holder = box;
        start = i;
      }
    }
    if (!holder) return null;
    var scope = holder.parentNode;
    var path = chain.slice(start).concat([p]);
    for (var k = 0; k < path.length - 1; k++) {
      var button = k === 0 ? scope.querySelector(":scope > button.expand")
        : scope.querySelector(':scope > ul > li > a[data-process="' + path[k].slug + '"]');
      if (k > 0) button = button ? button.parentNode.querySelector(":scope > button.expand") : null;
      if (!button) return holder;
      var panel = document.getElementById(button.getAttribute("aria-controls"));
      fill(panel, path[k]);
      toggle(button, panel, true);
      scope = panel;
    }
    return scope.querySelector(':scope > ul > li > a[data-process="' + p.slug + '"]') || holder;
  }

  /* A process a link asks for is shown even where the filters had hidden its box. */
  function unfilter(element) {
    var changed = false;
    function drop(slug) {
      var at = state.hide.indexOf(slug);
      if (at >= 0) {
        state.hide.splice(at, 1);
        changed = true;
      }
    }
    var band = element.closest("tbody[data-horizontal]");
    if (band && band.hidden) drop(band.getAttribute("data-horizontal"));
    var cell = element.closest("td");
    var box = cell ? cell.querySelector("a.box") : null;
    if (box && cell.classList.contains("filtered-out")) {
      var range = (box.getAttribute("data-columns") || "0-0").split("-").map(Number);
      var heads = box.classList.contains("unassigned") ? verticalHeads : verticalHeads.slice(range[0], range[1] + 1);
      heads.forEach(function (th) { drop(th.getAttribute("data-vertical")); });
      if (box.classList.contains("deprecated") && !state.superseded) {
        state.superseded = true;
        changed = true;
      }
    }
    if (changed) {
      writeFilters();
      applyFilters();
      writeUrl();
    }
  }

  function showOnMap(slug) {
    var p = bySlug[slug];
    if (!p) return;
    var target = reveal(p);
    if (!target) return;
    unfilter(target);
    target.classList.add("flash", "target");
    target.scrollIntoView({ block: "center" });
    target.focus();
  }

  /* ------------------------------------------------------------------ search */

  var form = document.querySelector(".topic-search");
  var input = document.getElementById("topic");
  var status = document.getElementById("search-status");
  var results = document.getElementById("search-results");
  var resultList = results.querySelector("ol");
  var matched = {}; // slug -> "match" | "contains-match"

  function clearHighlights() {
    var marked = document.querySelectorAll("#map .match, #map .contains-match");
    for (var i = 0; i < marked.length; i++) marked[i].classList.remove("match", "contains-match");
    document.body.classList.remove("searching");
    matched = {};
  }

  function markIn(scope) {
    var elements = scope.querySelectorAll("[data-process]");
    for (var i = 0; i < elements.length; i++) {
      var cls = matched[elements[i].getAttribute("data-process")];
      if (cls) elements[i].classList.add(cls);
    }
  }

  /* Highlights the matches of ``raw`` on the map, lists them, and returns their slugs (the
     superseded ones only when the filter shows them). */
  function search(raw) {
    clearHighlights();
    status.textContent = "";
    resultList.textContent = "";
    results.hidden = true;
    var key = fold(raw);
    if (!key) return [];
    var found = lookup(key).map(function (i) { return processes[i]; });
    var shown = found.filter(function (p) { return state.superseded || !p.superseded; });
    document.body.classList.add("searching");
    shown.forEach(function (p) {
      ancestors(p).forEach(function (a) {
        if (!matched[a.slug]) matched[a.slug] = "contains-match";
      });
    });
    shown.forEach(function (p) { matched[p.slug] = "match"; });
    markIn(map);
    showResults(shown, found.length - shown.length);
    return shown.map(function (p) { return p.slug; });
  }

  function showResults(shown, hidden) {
    var p = document.createElement("p");
    if (shown.length) {
      var count = document.createElement("strong");
      count.textContent = String(shown.length) + " ";
      p.appendChild(count);
      p.appendChild(bilingual(ui(shown.length === 1 ? "find_found_one" : "find_found_other")));
    } else {
      p.appendChild(bilingual(ui("search_none")));
    }
    status.appendChild(p);
    if (hidden) {
      var note = document.createElement("p");
      note.className = "hint";
      note.appendChild(document.createTextNode(String(hidden) + " "));
      note.appendChild(bilingual(ui("search_hidden_superseded")));
      var show = document.createElement("button");
      show.type = "button";
      show.className = "show-superseded";
      show.appendChild(bilingual(ui("search_show_superseded")));
      show.addEventListener("click", function () {
        filters.querySelector("input[name=superseded]").checked = true;
        filtersChanged();
        (resultLinks()[0] || input).focus(); // the note and its button are gone: focus stays in the search
      });
      note.appendChild(document.createTextNode(" "));
      note.appendChild(show);
      status.appendChild(note);
    }
    shown.forEach(function (proc) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = href(proc);
      a.className = "result" + (proc.superseded ? " deprecated" : "");
      a.setAttribute("data-process", proc.slug);
      var id = idSpan(proc);
      a.appendChild(id);
      var name = document.createElement("span");
      name.className = "rname";
      var label = document.createElement("span");
      label.className = "name";
      label.appendChild(bilingual(proc));
      name.appendChild(label);
      var box = ancestors(proc).filter(function (x) { return x.level === 2; })[0];
      if (box) {
        var where = document.createElement("span");
        where.className = "rwhere";
        where.appendChild(document.createTextNode((box.id || box.v21 || "") + " "));
        where.appendChild(bilingual(box));
        name.appendChild(where);
      }
      if (proc.superseded) {
        var tag = document.createElement("span");
        tag.className = "tag";
        tag.appendChild(bilingual(ui("superseded_tag")));
        name.appendChild(tag);
      }
      a.appendChild(name);
      var level = document.createElement("span");
      level.className = "rlevel";
      level.appendChild(bilingual(perLang(function (lang) { return ui("level_short")[lang] + proc.level; })));
      a.appendChild(level);
      li.appendChild(a);
      if (proc.level > 2 && box) li.appendChild(locateButton(proc));
      resultList.appendChild(li);
    });
    results.hidden = !shown.length;
  }

  /* A part deeper than the boxes is shown in place: its box opens down to it. */
  function locateButton(proc) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "locate";
    button.setAttribute("data-process", proc.slug);
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.appendChild(bilingual(perLang(function (lang) { return (shownId(proc) ? shownId(proc) + " " : "") + proc[lang] + ": "; })));
    button.appendChild(who);
    button.appendChild(bilingual(ui("locate")));
    button.addEventListener("click", function () { showOnMap(proc.slug); });
    return button;
  }

  var timer = null;

  function run() {
    window.clearTimeout(timer);
    timer = null;
    state.q = input.value;
    search(input.value);
    writeUrl();
  }

  /* Escape: the text, the list and every highlight go (D10). */
  function clearAll() {
    input.value = "";
    run();
    input.focus();
  }

  function resultLinks() {
    return Array.prototype.slice.call(resultList.querySelectorAll("a.result"));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  form.addEventListener("reset", function () {
    window.setTimeout(run, 0);
  });
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(run, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      clearAll();
    } else if (event.key === "ArrowDown") {
      if (timer !== null) run();
      var links = resultLinks();
      if (links.length) {
        event.preventDefault();
        links[0].focus();
      }
    }
  });
  results.addEventListener("keydown", function (event) {
    var links = resultLinks();
    var at = links.indexOf(document.activeElement);
    if (event.key === "Escape") {
      event.preventDefault();
      clearAll();
    } else if (event.key === "ArrowDown" && at >= 0) {
      event.preventDefault();
      links[Math.min(at + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      if (at === 0) input.focus();
      else links[at - 1].focus();
    } else if (event.key === "Home" && links.length) {
      event.preventDefault();
      links[0].focus();
    } else if (event.key === "End" && links.length) {
      event.preventDefault();
      links[links.length - 1].focus();
    }
  });

  /* ------------------------------------------------------------------ filters */

  var filters = document.getElementById("map-filters");
  var verticalHeads = Array.prototype.slice.call(map.querySelectorAll("thead th[data-vertical]"));

  function readFilters() {
    state.hide = [];
    var boxes = filters.querySelectorAll("input[name=vertical], input[name=horizontal]");
    for (var i = 0; i < boxes.length; i++) {
      if (!boxes[i].checked) state.hide.push(boxes[i].value);
    }
    state.superseded = filters.querySelector("input[name=superseded]").checked;
    var ids = filters.querySelector("input[name=ids]:checked");
    state.ids = ids ? ids.value : "classic";
  }

  function writeFilters() {
    var boxes = filters.querySelectorAll("input[name=vertical], input[name=horizontal]");
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = state.hide.indexOf(boxes[i].value) < 0;
    filters.querySelector("input[name=superseded]").checked = state.superseded;
    var radios = filters.querySelectorAll("input[name=ids]");
    for (var j = 0; j < radios.length; j++) radios[j].checked = radios[j].value === state.ids;
  }

  function applyFilters() {
    var shownColumns = verticalHeads.map(function (th) {
      var on = state.hide.indexOf(th.getAttribute("data-vertical")) < 0;
      th.classList.toggle("filtered-out", !on);
      return on;
    });
    var all = shownColumns.every(Boolean);
    var bands = map.querySelectorAll("tbody[data-horizontal]");
    for (var b = 0; b < bands.length; b++) bands[b].hidden = state.hide.indexOf(bands[b].getAttribute("data-horizontal")) >= 0;
    var boxes = map.querySelectorAll("a.box[data-process]");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var range = (box.getAttribute("data-columns") || "0-0").split("-").map(Number);
      var inColumns = box.classList.contains("unassigned") ? all : shownColumns.slice(range[0], range[1] + 1).some(Boolean);
      var superseded = box.classList.contains("deprecated") && !state.superseded;
      box.parentNode.classList.toggle("filtered-out", !inColumns || superseded);
    }
    // the ids on the boxes, their parts and the results follow the chosen scheme
    var ids = document.querySelectorAll("#map a.box .pid, #map .parts .pid, #search-results .pid");
    for (var k = 0; k < ids.length; k++) {
      var p = bySlug[ids[k].parentNode.getAttribute("data-process")];
      if (p) ids[k].textContent = shownId(p);
    }
    // opened parts are listed again when superseded processes come or go
    var panels = map.querySelectorAll(".parts:not([hidden])");
    for (var n = 0; n < panels.length; n++) {
      var owner = panels[n].parentNode.querySelector(":scope > a[data-process]");
      if (owner && bySlug[owner.getAttribute("data-process")]) fill(panels[n], bySlug[owner.getAttribute("data-process")]);
    }
    document.body.classList.toggle("ids-v21", state.ids === "v21");
  }

  function filtersChanged() {
    readFilters();
    applyFilters();
    search(input.value);
    writeUrl();
  }

  filters.addEventListener("change", filtersChanged);
  filters.addEventListener("submit", function (event) { event.preventDefault(); });
  filters.addEventListener("reset", function () { window.setTimeout(filtersChanged, 0); });

  /* ------------------------------------------------------------------ start */

  function fromUrl() {
    var hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    var query = new URLSearchParams(window.location.search);
    var q = hash.get("q") || hash.get("topic") || query.get("q") || "";
    state.hide = (hash.get("hide") || "").split(",").filter(Boolean);
    state.superseded = hash.has("superseded") ? hash.get("superseded") === "1" : defaults.superseded;
    state.ids = hash.get("ids") === "v21" ? "v21" : "classic";
    writeFilters();
    if (state.hide.length || state.superseded !== defaults.superseded || state.ids !== defaults.ids) {
      document.getElementById("filters").open = true;
    }
    applyFilters();
    input.value = q;
    state.q = q;
    search(q);
    if (hash.get("process")) showOnMap(hash.get("process"));
  }

  addBoxToggles();
  fromUrl();
  window.addEventListener("hashchange", fromUrl);

  window.etomKgNormaliseTopic = fold;
  window.etomKgSearch = search;
  window.etomKgShowOnMap = showOnMap;
})();
