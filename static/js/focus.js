// After htmx swaps part of a page, put keyboard focus where the person needs it next: on the
// first field with an error, else on the first alert, else on the newest message. Otherwise
// focus stays on a button that no longer exists and lands on <body>; screen readers announce
// what receives focus. (A static file: the CSP allows no inline script.)
document.addEventListener("htmx:afterSettle", (event) => {
  const swapped = event.detail.target;
  if (!swapped || !document.body.contains(swapped)) return;
  const target =
    swapped.querySelector('[aria-invalid="true"]') ||
    swapped.querySelector('[role="alert"]') ||
    document.querySelector("#messages li");
  if (!target) return;
  if (!target.matches("input, select, textarea, button, a[href]")) {
    target.setAttribute("tabindex", "-1");
  }
  target.focus({ preventScroll: false });
});
