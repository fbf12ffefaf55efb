/* etom-kg SPARQL page (loaded by sparql.html only).

   A picker of the stored queries: a stored query runs on the server as
   query/NAME?param=value, which binds the parameters exactly as `etom-kg query` does
   (no second binder here). Any other text is sent to the read-only endpoint. The Accept
   header lets the server choose SPARQL JSON for SELECT/ASK and Turtle for
   CONSTRUCT/DESCRIBE. Results: short prefixed IRIs linked to the process pages, columns
   in the order of the query, a count, downloads (Blob links), Cancel (AbortController).
   Everything the page needs is embedded at build time: nothing leaves the local server. */
(function () {
  "use strict";

  var ACCEPT = "application/sparql-results+json, text/turtle;q=0.9";
  var LANGS = ["en", "es"];
  var data, form, picker, fieldset, fields, question, textarea, runButton, cancelButton;
  var statusBox, downloadsBox, resultBox;
  var controller = null;
  var blobUrls = [];

  function lang() {
    var current = document.documentElement.getAttribute("data-lang");
    return LANGS.indexOf(current) >= 0 ? current : "en";
  }

  /* Both languages of a page word; the stylesheet shows the reader's. */
  function words(key) {
    var frag = document.createDocumentFragment();
    var text = data.ui[key] || { en: key, es: key };
    LANGS.forEach(function (l) {
      var span = document.createElement("span");
      span.className = "l";
      span.setAttribute("lang", l);
      span.textContent = text[l] || text.en;
      frag.appendChild(span);
    });
    return frag;
  }

  function element(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function storedQuery(id) {
    for (var i = 0; i < data.queries.length; i++) {
      if (data.queries[i].id === id) return data.queries[i];
    }
    return null;
  }

  /* ------------------------------------------------------------------ short IRIs */

  /* As etom_kg.results.shorten: the longest namespace that fits, a plain local name. */
  function shorten(iri) {
    var best = null;
    Object.keys(data.prefixes).forEach(function (prefix) {
      var ns = data.prefixes[prefix];
      if (iri.indexOf(ns) === 0 && (best === null || ns.length > data.prefixes[best].length)) best = prefix;
    });
    if (best === null) return iri;
    var local = iri.slice(data.prefixes[best].length);
    return local && /^[\p{L}\p{N}_.-]+$/u.test(local) ? best + ":" + local : iri;
  }

  function termCell(term) {
    if (!term) return document.createTextNode("");
    if (term.type === "uri") {
      var href = data.pages[term.value];
      var node = href ? element("a", "iri", shorten(term.value)) : element("code", "iri", shorten(term.value));
      if (href) node.href = href;
      node.title = term.value;
      return node;
    }
    if (term.type === "bnode") return element("code", "iri", "_:" + term.value);
    var frag = document.createDocumentFragment();
    frag.appendChild(document.createTextNode(term.value));
    if (term["xml:lang"]) frag.appendChild(element("span", "lang-tag", "@" + term["xml:lang"]));
    return frag;
  }

  /* ------------------------------------------------------------------ the picker */

  function labelOptions() {
    var l = lang();
    picker.options[0].textContent = data.ui.sparql_own[l];
    for (var i = 1; i < picker.options.length; i++) {
      var q = storedQuery(picker.options[i].value);
      picker.options[i].textContent = q.id + " — " + (q.question[l] || q.question.en);
    }
  }

  function paramField(p) {
    var id = "sparql-param-" + p.name;
    var row = element("div", "param");
    var label = element("label");
    label.htmlFor = id;
    label.appendChild(element("code", "", p.name));
    if (p.required) {
      label.appendChild(document.createTextNode(" ("));
      label.appendChild(words("sparql_required"));
      label.appendChild(document.createTextNode(")"));
    }
    var input = element("input");
    input.id = id;
    input.name = p.name;
    input.setAttribute("data-param", p.name);
    if (p.type === "boolean") {
      input.type = "checkbox";
      input.checked = p["default"] === true;
      row.className = "param param-boolean";
      row.appendChild(input);
      row.appendChild(label);
    } else {
      input.type = p.type === "integer" ? "number" : "text";
      if (p.type === "integer") input.step = "1";
      if (p["default"] !== null && p["default"] !== undefined) input.value = String(p["default"]);
      input.required = !!p.required;
      row.appendChild(label);
      row.appendChild(input);
    }
    if (p.description) {
      /* Both languages, like the question; a parameter without a Spanish text shows the English. */
      var hint = element("span", "hint");
      var described = { en: p.description, es: p.description_es || p.description };
      LANGS.forEach(function (l) {
        var span = element("span", "l", described[l] || p.description);
        span.setAttribute("lang", l);
        hint.appendChild(span);
      });
      hint.id = id + "-hint";
      input.setAttribute("aria-describedby", hint.id);
      row.appendChild(hint);
    }
    return row;
  }

  function choose(id) {
    var q = storedQuery(id);
    fields.textContent = "";
    question.textContent = "";
    fieldset.hidden = fieldset.disabled = !q;
    if (!q) return;
    textarea.value = q.text;
    LANGS.forEach(function (l) {
      var span = element("span", "l", q.question[l]);
      span.setAttribute("lang", l);
      question.appendChild(span);
    });
    if (q.params.length) {
      q.params.forEach(function (p) { fields.appendChild(paramField(p)); });
      var note = element("p", "hint");
      note.appendChild(words("sparql_stored_note"));
      fields.appendChild(note);
    } else {
      fieldset.hidden = fieldset.disabled = true;
    }
  }

  /* ------------------------------------------------------------------ running */

  function request() {
    var q = storedQuery(picker.value);
    if (q && textarea.value === q.text) {
      var params = new URLSearchParams();
      var inputs = fields.querySelectorAll("[data-param]");
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        var value = input.type === "checkbox" ? String(input.checked) : input.value;
        if (value !== "") params.set(input.getAttribute("data-param"), value);
      }
      var query = params.toString();
      return { name: q.id, url: form.getAttribute("data-stored-action") + encodeURIComponent(q.id) + (query ? "?" + query : ""),
               init: { method: "GET", headers: { Accept: ACCEPT } } };
    }
    var body = new URLSearchParams();
    body.set("query", textarea.value);
    return { name: "query", url: form.getAttribute("action"),
             init: { method: "POST", headers: { Accept: ACCEPT }, body: body } };
  }

  function busy(running) {
    runButton.disabled = running;
    cancelButton.disabled = !running;
    resultBox.setAttribute("aria-busy", String(running));
  }

  function clearResults() {
    statusBox.textContent = "";
    downloadsBox.textContent = "";
    resultBox.textContent = "";
    blobUrls.forEach(function (u) { URL.revokeObjectURL(u); });
    blobUrls = [];
  }

  function say(key, className) {
    var p = element("p", className || "");
    p.appendChild(words(key));
    statusBox.appendChild(p);
    return p;
  }

  function run(event) {
    event.preventDefault();
    if (controller) return;
    var req = request();
    clearResults();
    say("sparql_running", "running");
    controller = new AbortController();
    req.init.signal = controller.signal;
    busy(true);
    fetch(req.url, req.init)
      .then(function (response) {
        return response.text().then(function (text) {
          return { ok: response.ok, status: response.status, type: response.headers.get("Content-Type") || "",
                   count: response.headers.get("X-Result-Count"), text: text };
        });
      })
      .then(function (answer) { show(answer, req.name); })
      .catch(function (error) {
        clearResults();
        if (error && error.name === "AbortError") {
          say("sparql_cancelled", "cancelled");
        } else {
          var p = say("sparql_failed", "error");
          p.appendChild(document.createTextNode(" " + String(error)));
        }
      })
      .then(function () {
        controller = null;
        busy(false);
      });
  }

  function cancel() {
    if (controller) controller.abort();
  }

  function count(n, one, many) {
    var p = element("p", "count");
    p.id = "sparql-count";
    p.appendChild(element("strong", "", String(n)));
    p.appendChild(document.createTextNode(" "));
    p.appendChild(words(n === 1 ? one : many));
    statusBox.appendChild(p);
  }

  function show(answer, name) {
    clearResults();
    if (!answer.ok) {
      var box = element("div", "error");
      box.setAttribute("role", "alert");
      var head = element("p");
      head.appendChild(words("sparql_error"));
      head.appendChild(document.createTextNode(" " + answer.status));
      box.appendChild(head);
      box.appendChild(element("pre", "error", answer.text));
      resultBox.appendChild(box);
      return;
    }
    var media = answer.type.split(";")[0].trim();
    if (media === "text/turtle") {
      if (answer.count !== null) count(Number(answer.count), "sparql_triple", "sparql_triples");
      resultBox.appendChild(element("pre", "turtle", answer.text));
      offer([[answer.text, media, name + ".ttl", "Turtle"]]);
      return;
    }
    var json = JSON.parse(answer.text);
    if (typeof json.boolean === "boolean") {
      say(json.boolean ? "sparql_yes" : "sparql_no", "boolean");
      offer([[answer.text, media, name + ".json", "JSON"]]);
      return;
    }
    count(json.results.bindings.length, "sparql_row", "sparql_rows");
    resultBox.appendChild(table(json));
    offer([[toCsv(json), "text/csv", name + ".csv", "CSV"], [answer.text, media, name + ".json", "JSON"]]);
  }

  function table(json) {
    /* On a phone the rows become cards (site.css); the explicit roles keep it a table
       for assistive technology when the stylesheet changes its display. */
    var wrap = element("div", "table-wrap");
    var t = element("table");
    t.setAttribute("role", "table");
    var thead = t.createTHead();
    thead.setAttribute("role", "rowgroup");
    var head = thead.insertRow();
    head.setAttribute("role", "row");
    json.head.vars.forEach(function (v) {
      var th = element("th", "", v);
      th.scope = "col";
      th.setAttribute("role", "columnheader");
      head.appendChild(th);
    });
    var body = t.createTBody();
    body.setAttribute("role", "rowgroup");
    json.results.bindings.forEach(function (binding) {
      var row = body.insertRow();
      row.setAttribute("role", "row");
      json.head.vars.forEach(function (v) {
        var cell = row.insertCell();
        cell.setAttribute("role", "cell");
        cell.setAttribute("data-var", v);
        cell.appendChild(termCell(binding[v]));
      });
    });
    wrap.appendChild(t);
    return wrap;
  }

  /* SPARQL 1.1 CSV results; text that a spreadsheet would run as a formula gets a leading
     quote, as etom_kg.results.safe_cell does for `etom-kg query --format csv`. */
  function csvCell(term) {
    if (!term) return "";
    var value = term.type === "bnode" ? "_:" + term.value : term.value;
    if (term.type === "literal" && /^ *[=+\-@\t\r]/.test(value) &&
        !/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(value.trim())) {
      value = "'" + value;
    }
    return /[",\r\n]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
  }

  function toCsv(json) {
    var lines = [json.head.vars.map(function (v) { return csvCell({ type: "literal", value: v }); }).join(",")];
    json.results.bindings.forEach(function (b) {
      lines.push(json.head.vars.map(function (v) { return csvCell(b[v]); }).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }

  function offer(files) {
    var p = element("p");
    p.appendChild(words("sparql_download"));
    files.forEach(function (f) {
      var url = URL.createObjectURL(new Blob([f[0]], { type: f[1] }));
      blobUrls.push(url);
      var a = element("a", "download", f[3]);
      a.href = url;
      a.download = f[2];
      a.setAttribute("data-format", f[3].toLowerCase());
      p.appendChild(document.createTextNode(" "));
      p.appendChild(a);
    });
    downloadsBox.appendChild(p);
  }

  /* sparql.html#query=children&process=1.1.1.6 opens a stored query with its parameters filled in */
  function fromHash() {
    var given = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    var q = storedQuery(given.get("query") || "");
    if (!q) return;
    picker.value = q.id;
    choose(q.id);
    q.params.forEach(function (p) {
      var input = document.getElementById("sparql-param-" + p.name);
      if (!input || !given.has(p.name)) return;
      if (input.type === "checkbox") input.checked = /^(true|1|yes)$/i.test(given.get(p.name));
      else input.value = given.get(p.name);
    });
  }

  /* ------------------------------------------------------------------ start */

  function init() {
    form = document.getElementById("sparql-form");
    var dataElement = document.getElementById("sparql-data");
    if (!form || !dataElement) return;
    data = JSON.parse(dataElement.textContent);
    picker = document.getElementById("sparql-stored");
    fieldset = document.getElementById("sparql-params");
    fields = document.getElementById("sparql-param-fields");
    question = document.getElementById("sparql-question");
    textarea = document.getElementById("sparql-query");
    runButton = document.getElementById("sparql-run");
    cancelButton = document.getElementById("sparql-cancel");
    statusBox = document.getElementById("sparql-status");
    downloadsBox = document.getElementById("sparql-downloads");
    resultBox = document.getElementById("sparql-result");

    data.queries.forEach(function (q) {
      var option = element("option");
      option.value = q.id;
      picker.appendChild(option);
    });
    labelOptions();
    new MutationObserver(labelOptions).observe(document.documentElement, { attributes: true, attributeFilter: ["data-lang"] });
    picker.addEventListener("change", function () { choose(picker.value); });
    textarea.addEventListener("input", function () {
      var q = storedQuery(picker.value);
      if (q && textarea.value !== q.text) {
        picker.value = "";
        choose("");
      }
    });
    fromHash();
    if (window.location.protocol === "file:") {
      document.getElementById("sparql-offline").hidden = false;
      runButton.disabled = true;
      return;
    }
    form.addEventListener("submit", run);
    cancelButton.addEventListener("click", cancel);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
