// The API docs pages (/docs: Swagger UI, /redoc: ReDoc). The OpenAPI document needs an API
// key: ask for one, keep it in this tab's sessionStorage only, fetch the document with it,
// and hand the document to the viewer. Swagger UI sends the key with every request tried.
"use strict";
(function () {
  const STORE = "bastion.apiKey";
  const form = document.getElementById("key-form");
  const entry = document.getElementById("key-entry");
  const input = document.getElementById("api-key");
  const forget = document.getElementById("forget-key");
  const status = document.getElementById("key-status");
  const viewer = document.getElementById("viewer");

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function render(spec, key) {
    if (document.body.dataset.viewer === "redoc") {
      window.Redoc.init(spec, { hideDownloadButton: true }, viewer);
      return;
    }
    const ui = window.SwaggerUIBundle({
      spec: spec,
      domNode: viewer,
      validatorUrl: null, // the default sends the document to an outside validator
      // No deep links: Swagger UI reads the underscores of FastAPI's operation ids in a link as
      // escaped spaces, and logs an error for each.
      deepLinking: false,
      onComplete: function () {
        // Requests tried from the page send the key as X-API-Key, and the routes show as
        // authorized.
        ui.preauthorizeApiKey("APIKeyHeader", key);
      },
    });
  }

  async function show(key) {
    say("Loading the API description...");
    let response;
    try {
      response = await fetch("/openapi.json", { headers: { Authorization: "Bearer " + key } });
    } catch (error) {
      say("The server did not answer: " + error.message, true);
      return;
    }
    if (!response.ok) {
      sessionStorage.removeItem(STORE);
      let detail = response.status + " " + response.statusText;
      try {
        detail = (await response.json()).detail || detail;
      } catch (ignored) {
        // not a problem document: keep the status line
      }
      say("The server refused the key: " + detail + ".", true);
      input.focus();
      return;
    }
    sessionStorage.setItem(STORE, key);
    const spec = await response.json();
    entry.hidden = true;
    forget.hidden = false;
    say("");
    render(spec, key);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(input.value.trim());
  });
  forget.addEventListener("click", function () {
    sessionStorage.removeItem(STORE);
    window.location.reload();
  });
  form.hidden = false;
  const saved = sessionStorage.getItem(STORE);
  if (saved) {
    show(saved);
  } else {
    input.focus();
  }
})();
