// A qualification test's countdown: the time left to answer, measured against the
// server's clock at render time. When it runs out the page says so; the form stays as it
// is (the server checks the deadline), so without this script nothing is lost.

function formatLeft(milliseconds) {
  const seconds = Math.max(0, Math.ceil(milliseconds / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return hours > 0
    ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}`
    : `${minutes}:${rest}`;
}

function countdown(element) {
  const deadline = Number(element.dataset.deadlineMs);
  const serverNow = Number(element.dataset.nowMs);
  if (!deadline || !serverNow) {
    return;
  }
  const started = performance.now();
  const left = () => deadline - serverNow - (performance.now() - started);
  const tick = () => {
    const remaining = left();
    if (remaining <= 0) {
      element.textContent = "Time is up: answers sent now are not scored.";
      element.classList.add("expired");
      return;
    }
    element.textContent = `${formatLeft(remaining)} left to answer`;
    element.classList.toggle("urgent", remaining < 60_000);
    window.setTimeout(tick, (remaining % 1000) + 20);
  };
  tick();
}

function guardDoubleSubmit(form) {
  form.addEventListener("submit", () => {
    const button = form.querySelector("[data-test-submit]");
    if (button) {
      window.setTimeout(() => {
        button.disabled = true;
      }, 0);
    }
  });
}

document.querySelectorAll(".qualification-test .test-countdown").forEach(countdown);
document.querySelectorAll(".qualification-test form.test-form").forEach(guardDoubleSubmit);
