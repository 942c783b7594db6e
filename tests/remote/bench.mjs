// Clients for benches/remote.sh (obs-websocket-js, JSON build).
//
// node bench.mjs cuts SHOWROOM SHOW.toml EVENTS.jsonl REC.mkv N
//   starts `showroom run` (remote control on), then cuts N times between
//   scenes `dark` and `light`, every second, alternately by
//   SetCurrentProgramScene and by a line typed on its stdin; prints one
//   JSON line per cut: {path, scene, sent_unix_ms}.
// node bench.mjs clients URL N SECONDS
//   N sessions subscribed to every event and InputVolumeMeters for SECONDS;
//   prints the events they received.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { OBSWebSocket, EventSubscription } from 'obs-websocket-js/json';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mode = process.argv[2];

if (mode === 'cuts') {
  const [bin, show, events, rec, n] = process.argv.slice(3);
  const run = spawn(bin, ['run', show, '--remote=127.0.0.1:0', '--events', events, '--record', rec, '--duration', '120'],
    { stdio: ['pipe', 'ignore', 'pipe'] });
  const lines = readline.createInterface({ input: run.stderr });
  const url = await new Promise((resolve) => lines.on('line', (l) => {
    const m = l.match(/^remote control: (ws:\/\/\S+)/);
    if (m) resolve(m[1]);
  }));
  const obs = new OBSWebSocket();
  await obs.connect(url);
  await sleep(3000);
  for (let i = 0; i < Number(n); i++) {
    const scene = i % 2 === 0 ? 'light' : 'dark';
    const path = Math.floor(i / 2) % 2 === 0 ? 'remote' : 'typed';
    const sent = now();
    if (path === 'remote') await obs.call('SetCurrentProgramScene', { sceneName: scene });
    else run.stdin.write(`scene ${scene}\n`);
    console.log(JSON.stringify({ path, scene, sent_unix_ms: sent }));
    await sleep(1000);
  }
  await obs.disconnect();
  run.stdin.write('quit\n');
  await new Promise((r) => run.on('exit', r));
} else if (mode === 'clients') {
  const [url, n, seconds] = process.argv.slice(3);
  const subs = EventSubscription.All | EventSubscription.InputVolumeMeters | EventSubscription.SceneItemTransformChanged;
  const clients = [];
  let received = 0;
  for (let i = 0; i < Number(n); i++) {
    const obs = new OBSWebSocket();
    obs.on('InputVolumeMeters', () => received++);
    obs.on('CurrentProgramSceneChanged', () => received++);
    await obs.connect(url, undefined, { eventSubscriptions: subs });
    clients.push(obs);
  }
  await sleep(Number(seconds) * 1000);
  for (const c of clients) await c.disconnect();
  console.log(JSON.stringify({ clients: clients.length, received }));
}
process.exit(0);
