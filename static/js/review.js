// The review queue: a "check all" box over the page's assignment checkboxes. The page works
// without this script (each row has its own box and buttons).

function checkAll(root) {
  root.querySelectorAll("input[data-check-all]").forEach((master) => {
    const name = master.dataset.checkAll;
    const boxes = () => root.querySelectorAll(`input[type=checkbox][name="${name}"]`);
    if (boxes().length === 0) {
      return;
    }
    master.hidden = false;
    master.addEventListener("change", () => {
      boxes().forEach((box) => {
        box.checked = master.checked;
      });
    });
    root.addEventListener("change", (event) => {
      if (event.target.name === name) {
        const all = Array.from(boxes());
        master.checked = all.every((box) => box.checked);
        master.indeterminate = !master.checked && all.some((box) => box.checked);
      }
    });
  });
}

checkAll(document);
