// The dashboard's entry: hash routes (#/, #/sensors/<id>, #/deadletters)
// and the connection indicator. Each view is a function (container, ...args)
// returning a function that tears it down.

import { onConnectionState } from './events.js';
import { showFleet } from './fleet.js';
import { showSensor } from './sensor.js';
import { showDeadLetters } from './deadletters.js';

const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  open: 'Live',
  lost: 'Connection lost, reconnecting…',
};

const connection = document.getElementById('connection');
onConnectionState((state) => {
  connection.dataset.state = state;
  connection.textContent = CONNECTION_TEXT[state];
});

const view = document.getElementById('view');
let teardown = () => {};

function route() {
  teardown();
  view.replaceChildren();
  const hash = location.hash.replace(/^#/, '') || '/';
  const sensor = hash.match(/^\/sensors\/([^/]+)$/);
  for (const a of document.querySelectorAll('nav a')) {
    a.toggleAttribute('aria-current', a.getAttribute('href') === `#${hash}`);
  }
  if (sensor) teardown = showSensor(view, decodeURIComponent(sensor[1]));
  else if (hash === '/deadletters') teardown = showDeadLetters(view);
  else teardown = showFleet(view);
}

addEventListener('hashchange', route);
route();
