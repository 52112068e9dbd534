/* The promotion advisor's "save from the suggested date" button (org/_move_warnings.html) is a
   submit button with milestone=postpone: a radio checked before would be sent after it and win. */
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-advisor-postpone]");
  const form = button && button.closest("form");
  if (!form) return;
  form.querySelectorAll('input[name="milestone"]:checked').forEach((radio) => {
    radio.checked = false;
  });
});

/* A milestone choice (exception, go ahead) is saved by the advisor's page when the form's own
   view does not pass it on: the form goes there once a choice is made. */
document.addEventListener("change", (event) => {
  if (event.target.name !== "milestone") return;
  const options = event.target.closest("[data-advisor-action]");
  const form = options && options.closest("form");
  if (form) form.action = options.dataset.advisorAction;
});
