/* The promotion advisor's "move the date" button (org/_move_warnings.html): refill the move's
   effective date with the suggested one; the person then saves the move as usual. */
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-refill-date]");
  if (!button) return;
  const form = button.closest("form");
  const input = form && form.querySelector('input[name="effective_date"]');
  if (!input) return;
  input.value = button.dataset.refillDate;
  input.dispatchEvent(new Event("change", { bubbles: true }));
  button.setAttribute("aria-pressed", "true");
  const note = button.parentElement.querySelector("[data-refilled]");
  if (note) note.hidden = false;
  input.focus();
});

/* A milestone choice (exception, go ahead) is saved by the advisor's page when the form's own
   view does not pass it on: the form goes there once a choice is made. */
document.addEventListener("change", (event) => {
  if (event.target.name !== "milestone") return;
  const options = event.target.closest("[data-advisor-action]");
  const form = options && options.closest("form");
  if (form) form.action = options.dataset.advisorAction;
});
