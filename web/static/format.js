// Small text helpers shared by the views.

// An element: el('td', { class: 'x', dataset: { a: 1 } }, 'text', child).
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

// "3 s ago", "5 min ago", "2 h ago", "4 d ago"; "never" for none.
export function ago(ms, now = Date.now()) {
  if (!Number.isFinite(ms)) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

export function value(m) {
  if (!m) return '';
  return `${m.lecture ?? m.value}${m.unit ? ` ${m.unit}` : ''}`;
}

export function sensorHref(id) {
  return `#/sensors/${encodeURIComponent(id)}`;
}
