// The pick-up slip's Print button: shown only where a script runs to press it; the hint to use
// the browser's own Print menu is for where none does.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
for (const hint of document.querySelectorAll("[data-print-hint]")) {
  hint.hidden = true;
}
