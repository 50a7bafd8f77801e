// The sensor page's plots, drawn by uPlot (web/node_modules/uplot, served
// by iot-server under /vendor). uPlot sizes by pixels: the plots follow their
// container's width.

const HEIGHT = 240;

function widthOf(target) {
  return Math.max(320, target.clientWidth || 640);
}

function follow(target, plot) {
  const observer = new ResizeObserver(() => plot.setSize({ width: widthOf(target), height: HEIGHT }));
  observer.observe(target);
  return () => {
    observer.disconnect();
    plot.destroy();
  };
}

// Measurements as they arrive: a line, and the corrected ones as points.
export function livePlot(target, unit) {
  const plot = new uPlot({
    width: widthOf(target),
    height: HEIGHT,
    series: [
      {},
      { label: `Value${unit ? ` (${unit})` : ''}`, stroke: '#1f5fa8', width: 1.5 },
      { label: 'Corrected', stroke: '#b3261e', fill: '#b3261e', paths: () => null, points: { show: true, size: 8 } },
    ],
    axes: [{}, { label: unit || '' }],
  }, [[], [], []], target);
  return { plot, destroy: follow(target, plot) };
}

// Buckets of the history: the min/max band and the average line.
export function historyPlot(target, unit) {
  const plot = new uPlot({
    width: widthOf(target),
    height: HEIGHT,
    series: [
      {},
      { label: 'Min', stroke: '#9bb7d6', width: 1 },
      { label: 'Max', stroke: '#9bb7d6', width: 1 },
      { label: `Average${unit ? ` (${unit})` : ''}`, stroke: '#1f5fa8', width: 1.5 },
      { label: 'Corrected', stroke: '#b3261e', fill: '#b3261e', paths: () => null, points: { show: true, size: 8 } },
    ],
    bands: [{ series: [2, 1], fill: 'rgba(31, 95, 168, 0.15)' }],
    axes: [{}, { label: unit || '' }],
  }, [[], [], [], [], []], target);
  return { plot, destroy: follow(target, plot) };
}
