// Rupiah inputs (the data-rupiah attribute of backoffice.forms.RupiahField): while the clerk
// types, the digits are grouped in thousands the Indonesian way, 45000000 -> 45.000.000, and the
// cursor stays after the same digit. Only plain amounts are touched (digits and dots, with an
// optional "Rp" before them); anything else (a comma, a letter) is left as typed for the server
// to accept or explain. Without this script the field works the same, ungrouped.
(function () {
  "use strict";
  var PLAIN = /^(\s*(?:rp\.?\s*)?)([0-9.\s]*)$/i;

  function group(digits) {
    return digits.replace(/^0+(?=[0-9])/, "").replace(/\B(?=([0-9]{3})+(?![0-9]))/g, ".");
  }

  function regroup(input) {
    var match = PLAIN.exec(input.value);
    if (!match) { return; }
    var caret = input.selectionStart === null ? input.value.length : input.selectionStart;
    var digitsBefore = input.value.slice(0, caret).replace(/[^0-9]/g, "").length
      - match[1].replace(/[^0-9]/g, "").length;
    var grouped = match[1] + group(match[2].replace(/[^0-9]/g, ""));
    if (grouped === input.value) { return; }
    input.value = grouped;
    var position = match[1].length;
    for (var seen = 0; position < grouped.length && seen < digitsBefore; position++) {
      if (/[0-9]/.test(grouped.charAt(position))) { seen++; }
    }
    input.setSelectionRange(position, position);
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target && target.hasAttribute && target.hasAttribute("data-rupiah")) { regroup(target); }
  });
})();
