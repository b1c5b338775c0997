// A claim's documents (admin/claim_details.html): several files chosen at once get a select
// each, "which checklist item is this file", named requirement-<n> for the n-th file. Each is
// preselected: the item the file's name names (surat-keterangan-kematian.pdf), otherwise the
// next item still missing, in the checklist's order; the clerk corrects what is wrong. The
// server refuses an upload with a file matched to nothing, and names it. Without this script
// the server matches the files by their names. "Tick all" ticks every document to check.
(function () {
  "use strict";

  function words(text) {
    return text.toLowerCase().replace(/\.[a-z0-9]+$/, "").replace(/[^a-z0-9]+/g, " ").trim();
  }

  function byName(options, filename) {
    var stem = words(filename);
    var found = options.filter(function (option) {
      return option.value && option.getAttribute("data-name").split("|").some(function (name) {
        return name && words(name) === stem;
      });
    });
    return found.length === 1 ? found[0].value : null;
  }

  function matchFiles(input) {
    var template = document.getElementById("requirement-choices");
    var list = document.getElementById("documents-matches");
    if (!template || !list) { return; }
    list.textContent = "";
    var options = Array.prototype.slice.call(template.options);
    var taken = {};
    Array.prototype.forEach.call(input.files, function (file, index) {
      var chosen = byName(options, file.name);
      if (!chosen || taken[chosen]) {
        var next = options.filter(function (option) {
          return option.value && option.getAttribute("data-missing") === "1" && !taken[option.value];
        })[0];
        chosen = next ? next.value : "";
      }
      if (chosen) { taken[chosen] = true; }
      var row = document.createElement("div");
      row.className = "form-inline mb-1 document-match";
      var select = template.cloneNode(true);
      select.removeAttribute("id");
      select.removeAttribute("hidden");
      select.removeAttribute("disabled");
      select.removeAttribute("aria-hidden");
      select.name = "requirement-" + index;
      select.id = "requirement-" + index;
      select.className = "form-control form-control-sm mr-2";
      select.value = chosen;
      var label = document.createElement("label");
      label.setAttribute("for", select.id);
      label.className = "mr-2";
      label.textContent = file.name;
      row.appendChild(label);
      row.appendChild(select);
      list.appendChild(row);
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "documents-files") { matchFiles(event.target); }
  });

  var tickAll = document.getElementById("tick-all-documents");
  if (tickAll) {
    tickAll.hidden = false;
    tickAll.addEventListener("click", function () {
      document.querySelectorAll("input.document-tick").forEach(function (box) { box.checked = true; });
    });
  }
})();
