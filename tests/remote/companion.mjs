// Drives Showroom's remote control with obs-websocket-js, as Bitfocus
// Companion's OBS module does: its start-up sequence, then the actions a
// show's buttons send. One JSON line per step on stdout; the Rust test
// (tests/remote.rs) reads them and types commands into `showroom run` when
// asked ("await-typed").
//
// node companion.mjs URL PASSWORD json|msgpack
import readline from 'node:readline';

const [url, password, build] = process.argv.slice(2);
const mod = await import(build === 'msgpack' ? 'obs-websocket-js/msgpack' : 'obs-websocket-js/json');
const { OBSWebSocket, EventSubscription } = mod;
const obs = new OBSWebSocket();
const say = (o) => console.log(JSON.stringify(o));
const events = [];
// What came, for a failure's message.
const history = [];
const waiters = [];
const ALL_EVENTS = ['CurrentProgramSceneChanged', 'CurrentPreviewSceneChanged', 'SceneTransitionStarted',
  'SceneTransitionEnded', 'StreamStateChanged', 'RecordStateChanged', 'InputMuteStateChanged',
  'InputVolumeChanged', 'InputVolumeMeters', 'SceneItemEnableStateChanged', 'ExitStarted', 'VendorEvent'];
for (const name of ALL_EVENTS) {
  obs.on(name, (data) => {
    if (name !== 'InputVolumeMeters') history.push(`${name} ${JSON.stringify(data)}`.slice(0, 160));
    if (name !== 'InputVolumeMeters' || events.filter((e) => e.name === name).length < 3) events.push({ name, data });
    for (const w of [...waiters]) if (w.test(name, data)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(data); }
  });
}
// An event already seen, or the next one that passes `test`.
function event(test, ms = 30000) {
  const seen = events.find((e) => test(e.name, e.data));
  if (seen) { events.splice(events.indexOf(seen), 1); return Promise.resolve(seen.data); }
  return new Promise((resolve, reject) => {
    const w = { test, resolve };
    waiters.push(w);
    setTimeout(() => reject(new Error('no such event within ' + ms + ' ms; the last events: ' + history.slice(-8).join(' | '))), ms);
  });
}
const lines = readline.createInterface({ input: process.stdin });
const typed = [];
lines.on('line', (l) => typed.push(l));

async function step(name, f) {
  try { say({ step: name, ok: true, ...(await f()) }); }
  catch (e) { say({ step: name, ok: false, code: e.code, error: String(e.message || e) }); }
}

try {
  const subs = EventSubscription.All | EventSubscription.InputActiveStateChanged | EventSubscription.InputShowStateChanged
    | EventSubscription.InputVolumeMeters | EventSubscription.SceneItemTransformChanged;
  const hello = await obs.connect(url, password || undefined, { rpcVersion: 1, eventSubscriptions: subs });
  say({ step: 'connect', ok: true, protocol: obs.protocol, obsWebSocketVersion: hello.obsWebSocketVersion, negotiatedRpcVersion: hello.negotiatedRpcVersion });
} catch (e) {
  say({ step: 'connect', ok: false, code: e.code, error: String(e.message || e) });
  process.exit(0);
}

// Companion's obsInfo(): these two must succeed or it reconnects.
await step('GetVersion', async () => {
  const v = await obs.call('GetVersion');
  if (!Array.isArray(v.supportedImageFormats)) throw new Error('supportedImageFormats is not an array');
  return { obsVersion: v.obsVersion, requests: v.availableRequests.length, formats: v.supportedImageFormats };
});
await step('GetStudioModeEnabled', async () => ({ enabled: (await obs.call('GetStudioModeEnabled')).studioModeEnabled }));
// The rest of its start-up: each may fail (Companion catches), none may hang.
const tolerated = [];
const tryCall = async (t, d) => { try { return await obs.call(t, d); } catch (e) { tolerated.push(`${t}:${e.code}`); return undefined; } };
await step('startup', async () => {
  await tryCall('GetHotkeyList');
  const outputs = (await obs.call('GetOutputList')).outputs;
  for (const o of outputs) await obs.call('GetOutputStatus', { outputName: o.outputName });
  await tryCall('GetMonitorList');
  const video = await obs.call('GetVideoSettings');
  await tryCall('GetReplayBufferStatus');
  const kinds = (await tryCall('GetInputKindList'))?.inputKinds ?? [];
  await Promise.all(kinds.map((k) => tryCall('GetInputDefaultSettings', { inputKind: k })));
  await tryCall('GetStats');
  await obs.call('GetRecordStatus');
  await obs.call('GetStreamStatus');
  await tryCall('GetProfileList');
  await tryCall('GetSceneCollectionList');
  const transitions = (await obs.call('GetSceneTransitionList')).transitions;
  const current = await obs.call('GetCurrentSceneTransition');
  const special = await obs.call('GetSpecialInputs');
  for (const name of Object.values(special).filter(Boolean)) {
    if (await tryCall('GetInputAudioTracks', { inputName: name })) {
      await obs.callBatch(['GetInputMute', 'GetInputVolume', 'GetInputAudioBalance'].map((t) => ({ requestType: t, requestId: name, requestData: { inputName: name } })));
    }
  }
  const list = await obs.call('GetSceneList');
  let items = 0;
  await Promise.all(list.scenes.map(async (s) => {
    const sceneItems = (await obs.call('GetSceneItemList', { sceneName: s.sceneName })).sceneItems;
    const batch = [];
    for (const it of sceneItems) {
      items++;
      if (await tryCall('GetInputAudioTracks', { inputName: it.sourceName })) {
        await obs.callBatch(['GetInputMute', 'GetInputVolume'].map((t) => ({ requestType: t, requestId: it.sourceName, requestData: { inputName: it.sourceName } })));
      }
      batch.push({ requestType: 'GetSourceActive', requestId: it.sourceName, requestData: { sourceName: it.sourceName } });
      batch.push({ requestType: 'GetSourceFilterList', requestId: it.sourceName, requestData: { sourceName: it.sourceName } });
      if (it.inputKind) {
        batch.push({ requestType: 'GetInputSettings', requestId: it.sourceName, requestData: { inputName: it.sourceName } });
      }
    }
    const results = await obs.callBatch(batch);
    for (const r of results) if (!r.requestStatus.result) throw new Error(`${r.requestType} failed in a batch: ${r.requestStatus.comment}`);
    if (results.length !== batch.length) throw new Error('a batch lost results');
    await tryCall('GetSourceFilterList', { sourceName: s.sceneName });
  }));
  const inputs = (await obs.call('GetInputList')).inputs.map((i) => i.inputName);
  return {
    outputs: outputs.map((o) => o.outputName), width: video.baseWidth, transitions: transitions.map((t) => t.transitionName),
    transition: current.transitionName, scenes: list.scenes.map((s) => s.sceneName), program: list.currentProgramSceneName,
    items, inputs, tolerated,
  };
});
await step('unknown-request', async () => {
  try { await obs.call('GetReplayBufferStatus'); return { answered: 'success?' }; }
  catch (e) { return { code: e.code }; }
});
await step('cut', async () => {
  await obs.call('SetCurrentProgramScene', { sceneName: 'products' });
  const e = await event((n, d) => n === 'CurrentProgramSceneChanged' && d.sceneName === 'products');
  return { scene: e.sceneName, program: (await obs.call('GetCurrentProgramScene')).sceneName };
});
await step('preview-take', async () => {
  await obs.call('SetCurrentPreviewScene', { sceneName: 'intro' });
  const p = await event((n, d) => n === 'CurrentPreviewSceneChanged' && d.sceneName === 'intro');
  await obs.call('SetCurrentSceneTransition', { transitionName: 'Fade' });
  await obs.call('SetCurrentSceneTransitionDuration', { transitionDuration: 300 });
  await obs.call('TriggerStudioModeTransition');
  const started = await event((n) => n === 'SceneTransitionStarted');
  const ended = await event((n) => n === 'SceneTransitionEnded');
  return { preview: p.sceneName, started: started.transitionName, ended: ended.transitionName, program: (await obs.call('GetCurrentProgramScene')).sceneName };
});
await step('tbar', async () => {
  await obs.call('SetCurrentPreviewScene', { sceneName: 'products' });
  await obs.call('SetTBarPosition', { position: 0.5, release: false });
  const held = (await obs.call('GetCurrentProgramScene')).sceneName;
  await obs.call('SetTBarPosition', { position: 1.0 });
  const e = await event((n, d) => n === 'CurrentProgramSceneChanged' && d.sceneName === 'products');
  return { held, scene: e.sceneName };
});
await step('mute', async () => {
  await obs.call('SetInputMute', { inputName: 'tone', inputMuted: true });
  const e = await event((n, d) => n === 'InputMuteStateChanged' && d.inputName === 'tone' && d.inputMuted === true);
  const t = await obs.call('ToggleInputMute', { inputName: 'tone' });
  await obs.call('SetInputVolume', { inputName: 'tone', inputVolumeDb: -12 });
  const v = await obs.call('GetInputVolume', { inputName: 'tone' });
  return { muted: e.inputMuted, toggled: t.inputMuted, db: v.inputVolumeDb };
});
await step('meters', async () => {
  const m = await event((n) => n === 'InputVolumeMeters');
  return { inputs: m.inputs.map((i) => i.inputName), channels: m.inputs[0]?.inputLevelsMul.length };
});
await step('vendor', async () => {
  const r = await obs.call('CallVendorRequest', { vendorName: 'showroom', requestType: 'FeatureProduct', requestData: { code: 'A1' } });
  const e = await event((n, d) => n === 'VendorEvent' && d.eventType === 'feature');
  const products = await obs.call('CallVendorRequest', { vendorName: 'showroom', requestType: 'GetProducts' });
  const pre = await obs.call('CallVendorRequest', { vendorName: 'showroom', requestType: 'GetPreflight' });
  return {
    vendor: r.vendorName, featured: e.eventData.product, products: products.responseData.products.map((p) => p.code),
    preflight: pre.responseData.checks.map((c) => c.what + '=' + c.ok), preflightOk: pre.responseData.ok,
  };
});
await step('typed', async () => {
  // Only what comes after the command is typed counts.
  events.length = 0;
  say({ step: 'await-typed', ok: true });
  const e = await event((n, d) => n === 'CurrentProgramSceneChanged' && d.sceneName === 'products', 60000);
  return { scene: e.sceneName };
});
await step('stop-stream', async () => {
  await obs.call('StopStream');
  const e = await event((n, d) => n === 'StreamStateChanged' && d.outputState === 'OBS_WEBSOCKET_OUTPUT_STOPPED', 60000);
  let again = null;
  try { await obs.call('StopStream'); } catch (err) { again = err.code; }
  return { state: e.outputState, active: (await obs.call('GetStreamStatus')).outputActive, again };
});
await step('start-stream', async () => {
  await obs.call('StartStream');
  const e = await event((n, d) => n === 'StreamStateChanged' && d.outputState === 'OBS_WEBSOCKET_OUTPUT_STARTED', 60000);
  return { state: e.outputState, active: (await obs.call('GetStreamStatus')).outputActive };
});
say({ step: 'done', ok: true });
await obs.disconnect();
process.exit(0);
