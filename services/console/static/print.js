// The pick-up slip's Print button: shown only where a script runs to press it (without one,
// the page says to use the browser's own Print).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
