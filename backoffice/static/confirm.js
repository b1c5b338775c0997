// Decisions that cannot be undone (a button with data-confirm: approve, reject, record a
// payment) are confirmed in the page before the form is sent: the button's question is shown
// under the buttons with "Yes, ..." and "Cancel"; only "Yes" sends the form, as that button
// would have. No browser dialog (window.confirm) is used. Without this script the button sends
// the form at once.
(function () {
  "use strict";

  function buttonsOf(form) {
    return form.querySelectorAll("button[name=action]");
  }

  function dismiss(form) {
    var box = form.querySelector(".decision-confirm");
    if (box) { box.remove(); }
    buttonsOf(form).forEach(function (b) { b.disabled = false; });
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function ask(button) {
    var form = button.form;
    dismiss(form);
    var style = /btn-(success|danger|warning|info|primary)/.exec(button.className);
    var box = element("div", {
      "class": "alert alert-warning mt-3 decision-confirm",
      id: "decision-confirm",
      role: "alertdialog",
      "aria-labelledby": "decision-confirm-question"
    });
    box.appendChild(element("p", { "class": "mb-2", id: "decision-confirm-question" },
      button.getAttribute("data-confirm")));
    var yes = element("button", {
      type: "button", id: "confirm-yes", "class": "btn btn-sm mr-2 btn-" + (style ? style[1] : "primary")
    }, button.getAttribute("data-confirm-yes") || button.textContent);
    var no = element("button", {
      type: "button", id: "confirm-no", "class": "btn btn-sm btn-outline-secondary"
    }, button.getAttribute("data-confirm-no") || "Cancel");
    box.appendChild(yes);
    box.appendChild(no);
    yes.addEventListener("click", function () {
      button.disabled = false;
      button.setAttribute("data-confirmed", "1");
      if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
    });
    no.addEventListener("click", function () { dismiss(form); button.focus(); });
    form.appendChild(box);
    buttonsOf(form).forEach(function (b) { b.disabled = true; });
    yes.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-confirm]");
    if (!button || button.getAttribute("data-confirmed") === "1") { return; }
    event.preventDefault();
    ask(button);
  });
})();
