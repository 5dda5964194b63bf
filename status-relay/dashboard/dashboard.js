/*
 * The status relay's live dashboard, served by the relay at `/`: plain ES modules, no build step
 * (fold.js is generated from the server's protocol/fold.ts). It speaks the relay protocol
 * (status-relay/PROTOCOL.md) over the `n8n-support-relay.v1` WebSocket subprotocol.
 *
 *   page.js      shared state, REST calls, DOM and format helpers
 *   stream.js    the WebSocket stream: snapshot, events, resume with the cursor, stale banner
 *   fold.js      events into node states (the server's own reducer)
 *   runs.js      pure helpers: run order, workflow in the address, intake buttons
 *   render.js    drawing the runs and the selected run's nodes
 *   controls.js  pause / resume / cancel
 *   login.js     token, workflow picker, start-up
 */
import { wireControls } from './controls.js';
import { start, wireLogin } from './login.js';
import { countUpWhileLive } from './render.js';
import { watchConnection } from './stream.js';

watchConnection();
countUpWhileLive();
wireControls();
wireLogin();
start();
