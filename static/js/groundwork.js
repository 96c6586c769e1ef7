// Groundwork page behaviour: confirmations before destructive actions, copy-to-clipboard.
// Every page works without this script; it only adds conveniences.

function confirmSubmits(root) {
  root.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
}

function copyButtons(root) {
  root.querySelectorAll("[data-copy-target]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const target = document.getElementById(button.dataset.copyTarget);
      if (!target) {
        return;
      }
      try {
        await navigator.clipboard.writeText(target.textContent.trim());
        const label = button.textContent;
        button.textContent = "Copied";
        window.setTimeout(() => {
          button.textContent = label;
        }, 1500);
      } catch {
        window.getSelection().selectAllChildren(target);
      }
    });
  });
}

confirmSubmits(document);
copyButtons(document);
