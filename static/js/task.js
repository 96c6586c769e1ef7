// The worker's task page: keys 1-9 pick a label, Enter submits it, Escape returns the task;
// the time the page was in view goes into the form as active seconds; a countdown shows
// the time left. Without this script the page still works: each label button submits.

const EDITABLE = "input, textarea, select, [contenteditable]";

function activeTimer() {
  // Seconds the page was visible: counted while visible, paused while hidden.
  let total = 0;
  let since = document.visibilityState === "visible" ? performance.now() : null;
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      since = performance.now();
    } else if (since !== null) {
      total += performance.now() - since;
      since = null;
    }
  });
  return () => {
    const running = since === null ? 0 : performance.now() - since;
    return Math.round((total + running) / 1000);
  };
}

function formatLeft(milliseconds) {
  const seconds = Math.max(0, Math.ceil(milliseconds / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return hours > 0
    ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}`
    : `${minutes}:${rest}`;
}

function countdown(element, buttons) {
  const deadline = Number(element.dataset.deadlineMs);
  const serverNow = Number(element.dataset.nowMs);
  if (!deadline || !serverNow) {
    return;
  }
  // Measured against the server's clock at render time, so a wrong clock on this computer
  // does not move the deadline.
  const started = performance.now();
  const left = () => deadline - serverNow - (performance.now() - started);
  const tick = () => {
    const remaining = left();
    if (remaining <= 0) {
      element.textContent = "Time is up: this task can no longer be submitted.";
      element.classList.add("expired");
      buttons.forEach((button) => {
        button.disabled = true;
      });
      return;
    }
    element.textContent = `${formatLeft(remaining)} left`;
    element.classList.toggle("urgent", remaining < 60_000);
    window.setTimeout(tick, (remaining % 1000) + 20);
  };
  tick();
}

function bindTask(task) {
  const form = task.querySelector("form.task-form");
  if (!form) {
    return;
  }
  const returnForm = task.querySelector("form.task-return");
  const activeField = form.querySelector("[data-active-seconds]");
  const buttons = Array.from(form.querySelectorAll("button.task-label"));
  const byKey = new Map(buttons.filter((b) => b.dataset.key).map((b) => [b.dataset.key, b]));
  const activeSeconds = activeTimer();
  let selected = null;
  let sending = false;

  const select = (button) => {
    buttons.forEach((other) => {
      other.classList.toggle("selected", other === button);
      other.setAttribute("aria-pressed", String(other === button));
    });
    selected = button;
    button.focus({ preventScroll: true });
  };

  // Label adjustment: the prior label starts selected, so Enter keeps it.
  const preselected = buttons.find((button) => button.hasAttribute("data-preselected"));
  if (preselected) {
    select(preselected);
  }

  const submitWith = (button) => {
    if (sending || button.disabled) {
      return;
    }
    sending = true;
    form.requestSubmit(button);
  };

  form.addEventListener("submit", (event) => {
    if (activeField) {
      activeField.value = String(activeSeconds());
    }
    if (event.submitter && event.submitter.classList.contains("task-label")) {
      select(event.submitter);
    }
    sending = true;
    task.classList.add("sending");
  });

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    if (event.target instanceof Element && event.target.closest(EDITABLE)) {
      return;
    }
    if (byKey.has(event.key)) {
      event.preventDefault();
      select(byKey.get(event.key));
    } else if (event.key === "Enter") {
      // Enter submits the chosen label, never whichever button happens to have focus.
      event.preventDefault();
      if (selected) {
        submitWith(selected);
      }
    } else if (event.key === "Escape" && returnForm && !sending) {
      event.preventDefault();
      sending = true;
      returnForm.requestSubmit();
    }
  });

  const hint = task.querySelector("[data-keys-hint]");
  if (hint) {
    hint.hidden = false;
  }
  const timer = task.querySelector(".task-countdown");
  if (timer) {
    countdown(timer, buttons);
  }
}

document.querySelectorAll("section.task").forEach(bindTask);
