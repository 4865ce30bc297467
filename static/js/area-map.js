// The directory proposal form's map: a click on the area map fills the coordinates
// field; typing coordinates moves the dot. The SVG's units are degrees
// (x = longitude * kx, y = -latitude), see lib/geo/areamap.py.
(function () {
  "use strict";
  var svg = document.querySelector("svg.area-map");
  var input = document.getElementById("id_value_coordinates");
  if (!svg || !input) { return; }
  var dot = svg.querySelector(".am-dot");
  var kx = parseFloat(svg.getAttribute("data-kx"));
  function show(lat, lon) {
    dot.setAttribute("cx", String(lon * kx));
    dot.setAttribute("cy", String(-lat));
    dot.removeAttribute("visibility");
  }
  svg.addEventListener("click", function (event) {
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var at = point.matrixTransform(svg.getScreenCTM().inverse());
    var lat = -at.y, lon = at.x / kx;
    input.value = lat.toFixed(5) + ", " + lon.toFixed(5);
    show(lat, lon);
  });
  input.addEventListener("input", function () {
    var parts = input.value.split(",");
    if (parts.length !== 2) { return; }
    var lat = parseFloat(parts[0]), lon = parseFloat(parts[1]);
    if (isFinite(lat) && isFinite(lon)) { show(lat, lon); }
  });
})();
