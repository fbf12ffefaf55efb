/* etom-kg site: language switch and ask box (the map's search, levels and filters are in
   map.js, the SPARQL page in sparql.js). Loaded in <head> so the chosen language applies
   before the page is drawn. No network access beyond the local server's /ask. */
(function () {
  "use strict";

  var STORAGE_KEY = "etom-kg-lang";
  var LANGS = ["en", "es"];

  function storedLang() {
    try {
      return window.localStorage.getItem(STORAGE_KEY);
    } catch (e) {
      return null; // storage disabled (private mode, file:// policies)
    }
  }

  function initialLang() {
    var stored = storedLang();
    if (LANGS.indexOf(stored) >= 0) return stored;
    var nav = (navigator.language || "en").toLowerCase();
    return nav.indexOf("es") === 0 ? "es" : "en";
  }

  var currentLang = initialLang();

  function applyLangToDocument(lang) {
    var html = document.documentElement;
    html.setAttribute("lang", lang);
    html.setAttribute("data-lang", lang);
  }

  function applyLangToBody(lang) {
    var body = document.body;
    var title = body.getAttribute("data-title-" + lang);
    if (title) document.title = title;
    var buttons = document.querySelectorAll("[data-set-lang]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", String(buttons[i].getAttribute("data-set-lang") === lang));
    }
    var placeholders = document.querySelectorAll("[data-placeholder-" + lang + "]");
    for (var j = 0; j < placeholders.length; j++) {
      placeholders[j].setAttribute("placeholder", placeholders[j].getAttribute("data-placeholder-" + lang));
    }
  }

  function setLang(lang, remember) {
    if (LANGS.indexOf(lang) < 0) return;
    currentLang = lang;
    applyLangToDocument(lang);
    if (document.body) applyLangToBody(lang);
    if (remember) {
      try {
        window.localStorage.setItem(STORAGE_KEY, lang);
      } catch (e) {
        /* the choice then lasts for this page only */
      }
    }
  }

  applyLangToDocument(currentLang);
  // scripts run: the controls that need them (map search, filters) are shown (see map.js)
  document.documentElement.classList.add("js");

  /* ------------------------------------------------------------------ ask box */

  /* The question goes to /ask of etom-kg serve, which chooses a stored query as
     `etom-kg ask` does and answers with the query id and its SPARQL JSON results. */
  function initAsk() {
    var form = document.getElementById("ask-form");
    if (!form) return;
    var out = document.getElementById("ask-result");
    if (window.location.protocol === "file:") {
      document.getElementById("ask-offline").hidden = false;
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var question = document.getElementById("ask-question").value;
      out.textContent = "…";
      fetch(form.getAttribute("action") + "?q=" + encodeURIComponent(question), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          out.textContent = "";
          var p = document.createElement("p");
          if (answer.error) {
            p.className = "error";
            p.textContent = answer.error;
            out.appendChild(p);
            return;
          }
          var code = document.createElement("code");
          code.textContent = answer.query;
          p.appendChild(code);
          Object.keys(answer.params).sort().forEach(function (name) {
            p.appendChild(document.createTextNode(" " + name + "=" + answer.params[name]));
          });
          out.appendChild(p);
          out.appendChild(resultTable(answer.results));
        })
        .catch(function (error) { out.textContent = String(error); });
    });
  }

  /* The SPARQL page has its own script, assets/sparql.js. */

  function resultTable(json) {
    if (typeof json.boolean === "boolean") {
      var p = document.createElement("p");
      p.textContent = String(json.boolean);
      return p;
    }
    var table = document.createElement("table");
    var head = table.createTHead().insertRow();
    json.head.vars.forEach(function (v) {
      var th = document.createElement("th");
      th.textContent = v;
      head.appendChild(th);
    });
    var body = table.createTBody();
    json.results.bindings.forEach(function (binding) {
      var row = body.insertRow();
      json.head.vars.forEach(function (v) {
        row.insertCell().textContent = binding[v] ? binding[v].value : "";
      });
    });
    return table;
  }

  /* ------------------------------------------------------------------ start */

  document.addEventListener("DOMContentLoaded", function () {
    applyLangToBody(currentLang);
    var buttons = document.querySelectorAll("[data-set-lang]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (event) {
        setLang(event.currentTarget.getAttribute("data-set-lang"), true);
      });
    }
    initAsk();
  });
})();
