// New club form: start the time zone select at the browser's own zone (progressive
// enhancement; without JavaScript it starts at the site's default zone).
(function () {
  var select = document.querySelector("select[data-from-browser]");
  if (!select) return;
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) { select.selectedIndex = i; return; }
  }
})();
