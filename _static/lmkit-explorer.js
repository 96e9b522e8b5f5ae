// lmkit's static explorers (lmkit.widgets.explorer): on the book's pages no kernel runs, so each explorer
// carries its output drawn in advance for a grid of control values. This shows the frame that the sliders
// point at. Each slider is one control; the frame index is their positions in row-major order.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".lmkit-static").forEach(function (box) {
    var shape = JSON.parse(box.dataset.shape || "[]");
    var inputs = box.querySelectorAll("input[type=range][data-dim]");
    var frames = box.querySelectorAll(".lmkit-static-frame");
    function position(dim) {
      var input = box.querySelector('input[data-dim="' + dim + '"]');
      return input ? Number(input.value) : 0;
    }
    function show() {
      var index = 0;
      for (var d = 0; d < shape.length; d++) index = index * shape[d] + position(d);
      frames.forEach(function (f) { f.hidden = Number(f.dataset.frame) !== index; });
      inputs.forEach(function (input) {
        var labels = JSON.parse(input.dataset.labels);
        input.nextElementSibling.textContent = labels[Number(input.value)];
      });
    }
    inputs.forEach(function (input) { input.addEventListener("input", show); });
    show();
  });
});
