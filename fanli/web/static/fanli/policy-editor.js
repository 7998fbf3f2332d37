// Policy editor: show the fields that apply to the chosen calculation, metric and payout form,
// and add or remove tier and campaign rows. Without JavaScript every field shows and one blank
// row is always there to fill in; the server ignores blank rows and fields that do not apply.
(function () {
  "use strict";
  function applyToggle(select) {
    var name = select.getAttribute("data-toggle");
    document.querySelectorAll("[data-when-" + name + "]").forEach(function (section) {
      section.hidden = section.getAttribute("data-when-" + name) !== select.value;
    });
  }
  function nextIndex(table) {
    var highest = -1;
    table.querySelectorAll("input[name]").forEach(function (input) {
      var match = input.name.match(/\.(\d+)\./);
      if (match) { highest = Math.max(highest, parseInt(match[1], 10)); }
    });
    return highest + 1;
  }
  function renumber(table) {
    table.querySelectorAll("tbody tr[data-row]").forEach(function (row, position) {
      var first = row.querySelector("td.muted");
      if (first) { first.textContent = String(position + 1); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var editor = document.getElementById("policy-editor");
    if (!editor) { return; }
    editor.querySelectorAll("select[data-toggle]").forEach(function (select) {
      applyToggle(select);
      select.addEventListener("change", function () { applyToggle(select); });
    });
    editor.addEventListener("click", function (event) {
      var add = event.target.closest("[data-add-row]");
      if (add) {
        var table = document.getElementById(add.getAttribute("data-add-row"));
        var template = document.getElementById(table.id.replace("-table", "-row"));
        var html = template.innerHTML.replace(/__i__/g, String(nextIndex(table)));
        table.querySelector("tbody").insertAdjacentHTML("beforeend", html);
        renumber(table);
        var inputs = table.querySelectorAll("tbody tr:last-child input");
        if (inputs.length) { inputs[0].focus(); }
        return;
      }
      var remove = event.target.closest("[data-remove-row]");
      if (remove) {
        var rowTable = remove.closest("table");
        remove.closest("tr").remove();
        renumber(rowTable);
      }
    });
  });
})();
