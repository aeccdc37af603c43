// Shows an evidence pack's build progress, asking the server once a second;
// when the build ends the page is loaded again to show the downloads.
// Without JavaScript the page says how to check again.
(function () {
  const box = document.getElementById('pack-building');
  if (!box) return;
  const bar = document.getElementById('pack-progress');
  const line = document.getElementById('pack-doing');
  async function check() {
    try {
      const r = await fetch(box.dataset.progress, { headers: { Accept: 'application/json' } });
      if (r.ok) {
        const p = await r.json();
        bar.max = p.steps;
        bar.value = p.step;
        bar.textContent = p.step + ' of ' + p.steps;
        line.textContent = p.line;
        if (p.status !== 'building') {
          window.location.reload();
          return;
        }
      }
    } catch (e) {
      // Try again next time.
    }
    setTimeout(check, 1000);
  }
  setTimeout(check, 500);
})();
