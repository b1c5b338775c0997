// The claim form (admin/claim_form.html) shows the fields of the chosen claim type only: each
// group names its types (data-claim-types="JKM JKK"). The server ignores the fields of another
// type; without this script every group is shown.
(function () {
  "use strict";

  function show(type) {
    document.querySelectorAll("[data-claim-types]").forEach(function (group) {
      var types = group.getAttribute("data-claim-types").split(" ");
      group.hidden = types.indexOf(type) < 0;
    });
  }

  var select = document.getElementById("claim_type");
  if (!select) { return; }
  show(select.value);
  select.addEventListener("change", function () { show(select.value); });
})();
