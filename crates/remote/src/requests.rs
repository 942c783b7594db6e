//! Requests mapped onto the engine: each answers the shape obs-websocket
//! 5.x answers (field names, types, status codes), from the engine's
//! snapshot, and acts through `Engine::execute` — the one door.
//!
//! Names: a scene's `sceneName` is its id in the show file, an input's
//! `inputName` its source id, an output's `outputName` its destination
//! id. UUIDs are made from those ids (stable across restarts). Scene items
//! are a scene's layers, numbered from 1, bottom first. See
//! docs/remote-control.md for what each request does here.

use crate::args::{Args, Reply};
use crate::engine::stats::{DestinationState, Snapshot};
use crate::engine::{AudioChange, Command, CommandError, Engine, LayerChange};
use crate::names::{self, uuid};
use crate::protocol::{self, status};
use crate::show::{Fit, Rect, TransitionKind, TransitionSpec};
use serde_json::{Map, Value, json};
use std::sync::Mutex;
use std::time::Instant;

/// What requests share: the engine and the remote's own state.
pub struct Ctx {
    pub engine: std::sync::Arc<Engine>,
    /// The "current scene transition" of the remote control: what
    /// TriggerStudioModeTransition takes with (the show's transition at
    /// first). The window's Take keeps the show's.
    pub transition: Mutex<TransitionSpec>,
    pub started: Instant,
}

/// Per-session figures GetStats reports.
#[derive(Debug, Default, Clone, Copy)]
pub struct SessionCounts {
    pub incoming: u64,
    pub outgoing: u64,
}

/// Every request type answered here (GetVersion's `availableRequests`).
pub const REQUESTS: &[&str] = &[
    "GetVersion",
    "GetStats",
    "BroadcastCustomEvent",
    "CallVendorRequest",
    "GetHotkeyList",
    "TriggerHotkeyByName",
    "Sleep",
    "GetProfileList",
    "GetSceneCollectionList",
    "GetVideoSettings",
    "GetRecordDirectory",
    "GetSceneList",
    "GetCurrentProgramScene",
    "SetCurrentProgramScene",
    "GetCurrentPreviewScene",
    "SetCurrentPreviewScene",
    "GetStudioModeEnabled",
    "SetStudioModeEnabled",
    "GetMonitorList",
    "GetTransitionKindList",
    "GetSceneTransitionList",
    "GetCurrentSceneTransition",
    "SetCurrentSceneTransition",
    "SetCurrentSceneTransitionDuration",
    "TriggerStudioModeTransition",
    "SetTBarPosition",
    "GetSceneItemList",
    "GetSceneItemId",
    "GetSceneItemEnabled",
    "SetSceneItemEnabled",
    "GetSceneItemTransform",
    "SetSceneItemTransform",
    "GetInputList",
    "GetInputKindList",
    "GetSpecialInputs",
    "GetInputSettings",
    "GetInputMute",
    "SetInputMute",
    "ToggleInputMute",
    "GetInputVolume",
    "SetInputVolume",
    "GetInputAudioTracks",
    "GetSourceActive",
    "GetSourceFilterList",
    "GetStreamStatus",
    "StartStream",
    "StopStream",
    "ToggleStream",
    "GetRecordStatus",
    "StartRecord",
    "StopRecord",
    "ToggleRecord",
    "GetOutputList",
    "GetOutputStatus",
    "StartOutput",
    "StopOutput",
    "ToggleOutput",
    "GetCanvasList",
    "GetSourceScreenshot",
];

type R = Result<Reply, Reply>;

/// Answers one request (Sleep is the batch's: see `session`).
pub fn handle(ctx: &Ctx, request_type: &str, data: Option<&Map<String, Value>>, counts: SessionCounts) -> Reply {
    let args = Args::new(data);
    let result = match request_type {
        "" => Err(Reply::fail(
            status::MISSING_REQUEST_TYPE,
            "Your request is missing a `requestType`.",
        )),
        "GetVersion" => Ok(version()),
        "GetStats" => Ok(stats(ctx, counts)),
        "CallVendorRequest" => crate::vendor::call(ctx, args),
        "GetHotkeyList" => Ok(Reply::data(json!({ "hotkeys": hotkeys(ctx) }))),
        "TriggerHotkeyByName" => trigger_hotkey(ctx, args),
        "Sleep" => Err(Reply::fail(
            status::UNSUPPORTED_REQUEST_BATCH_EXECUTION_TYPE,
            "Sleep is only available in a serial request batch.",
        )),
        "GetProfileList" => Ok(Reply::data(
            json!({ "currentProfileName": "Showroom", "profiles": ["Showroom"] }),
        )),
        "GetSceneCollectionList" => {
            let name = ctx.engine.show().name.clone();
            Ok(Reply::data(
                json!({ "currentSceneCollectionName": name, "sceneCollections": [name] }),
            ))
        }
        "GetVideoSettings" => Ok(video_settings(ctx, 0)),
        "GetRecordDirectory" => Ok(record_directory(ctx)),
        "GetSceneList" => scene_list(ctx, args),
        "GetCurrentProgramScene" => Ok(current_scene(ctx, "currentProgramScene", &ctx.engine.snapshot().scene)),
        "GetCurrentPreviewScene" => Ok(current_scene(
            ctx,
            "currentPreviewScene",
            &ctx.engine.snapshot().preview,
        )),
        "SetCurrentProgramScene" => scene_arg(ctx, args).and_then(|s| exec(ctx, Command::TakeScene(s))),
        "SetCurrentPreviewScene" => scene_arg(ctx, args).and_then(|s| exec(ctx, Command::PreviewScene(s))),
        // Showroom always has a preview and a program.
        "GetStudioModeEnabled" => Ok(Reply::data(json!({ "studioModeEnabled": true }))),
        "SetStudioModeEnabled" => match args.bool("studioModeEnabled") {
            Ok(true) => Ok(Reply::done()),
            Ok(false) => Err(Reply::fail(
                status::CANNOT_ACT,
                "Showroom always has a preview and a program: studio mode cannot be turned off.",
            )),
            Err(e) => Err(e),
        },
        "GetMonitorList" => Ok(Reply::data(json!({ "monitors": [] }))),
        "GetTransitionKindList" => Ok(Reply::data(
            json!({ "transitionKinds": TRANSITIONS.iter().map(|t| t.1).collect::<Vec<_>>() }),
        )),
        "GetSceneTransitionList" => Ok(transition_list(ctx)),
        "GetCurrentSceneTransition" => Ok(current_transition(ctx)),
        "SetCurrentSceneTransition" => set_transition(ctx, args),
        "SetCurrentSceneTransitionDuration" => args.num("transitionDuration", 50.0, 20000.0).map(|ms| {
            ctx.transition.lock().unwrap_or_else(|e| e.into_inner()).duration_ms = ms as u32;
            Reply::done()
        }),
        "TriggerStudioModeTransition" => {
            let t = *ctx.transition.lock().unwrap_or_else(|e| e.into_inner());
            exec(ctx, Command::Take(Some(t)))
        }
        "SetTBarPosition" => args.num("position", 0.0, 1.0).and_then(|p| {
            let release = args.opt_bool("release")?.unwrap_or(true);
            // Released short of the end, the T-bar goes back: OBS does the same.
            let p = if release && p < 1.0 { 0.0 } else { p };
            exec(ctx, Command::TBar(p as f32))
        }),
        "GetSceneItemList" => scene_items(ctx, args),
        "GetSceneItemId" => scene_item_id(ctx, args),
        "GetSceneItemEnabled" => item(ctx, args).map(|it| Reply::data(json!({ "sceneItemEnabled": !it.layer.hidden }))),
        "SetSceneItemEnabled" => item(ctx, args).and_then(|it| {
            let on = args.bool("sceneItemEnabled")?;
            exec(
                ctx,
                Command::SetLayer {
                    scene: it.scene,
                    source: it.source,
                    change: LayerChange::Visible(on),
                },
            )
        }),
        "GetSceneItemTransform" => item(ctx, args).and_then(|it| {
            let canvas = canvas_arg(ctx, args)?;
            Ok(Reply::data(
                json!({ "sceneItemTransform": transform(&it.layer, canvas) }),
            ))
        }),
        "SetSceneItemTransform" => set_transform(ctx, args),
        "GetInputList" => Ok(input_list(ctx, args)),
        "GetInputKindList" => Ok(Reply::data(json!({ "inputKinds": names::INPUT_KINDS }))),
        "GetSpecialInputs" => Ok(special_inputs(ctx)),
        "GetInputSettings" => input_arg(ctx, args)
            .map(|(_, spec)| Reply::data(json!({ "inputSettings": {}, "inputKind": spec.config.kind_name() }))),
        "GetInputMute" => audio_input(ctx, args).map(|i| Reply::data(json!({ "inputMuted": i.mute }))),
        "SetInputMute" => audio_input(ctx, args).and_then(|i| {
            let m = args.bool("inputMuted")?;
            exec(
                ctx,
                Command::SetAudio {
                    source: i.id,
                    change: AudioChange::Mute(m),
                },
            )
        }),
        "ToggleInputMute" => audio_input(ctx, args).and_then(|i| {
            exec(
                ctx,
                Command::SetAudio {
                    source: i.id,
                    change: AudioChange::Mute(!i.mute),
                },
            )?;
            Ok(Reply::data(json!({ "inputMuted": !i.mute })))
        }),
        "GetInputVolume" => audio_input(ctx, args).map(|i| Reply::data(volume_json(i.gain_db))),
        "SetInputVolume" => set_volume(ctx, args),
        "GetInputAudioTracks" => audio_input(ctx, args).map(|_| {
            Reply::data(
                json!({ "inputAudioTracks": {"1": true, "2": false, "3": false, "4": false, "5": false, "6": false} }),
            )
        }),
        "GetSourceActive" => source_active(ctx, args),
        "GetSourceFilterList" => source_name(ctx, args).map(|_| Reply::data(json!({ "filters": [] }))),
        "GetStreamStatus" => Ok(Reply::data(output_status(&ctx.engine.snapshot(), None))),
        "StartStream" => stream(ctx, Some(true), None),
        "StopStream" => stream(ctx, Some(false), None),
        "ToggleStream" => stream(ctx, None, None),
        "GetRecordStatus" => Ok(record_status(&ctx.engine.snapshot())),
        "StartRecord" => record(ctx, Some(true)),
        "StopRecord" => record(ctx, Some(false)),
        "ToggleRecord" => record(ctx, None),
        "GetOutputList" => Ok(output_list(ctx)),
        "GetOutputStatus" => {
            output_arg(ctx, args).map(|id| Reply::data(output_status(&ctx.engine.snapshot(), Some(&id))))
        }
        "StartOutput" => output_arg(ctx, args).and_then(|id| stream(ctx, Some(true), Some(id))),
        "StopOutput" => output_arg(ctx, args).and_then(|id| stream(ctx, Some(false), Some(id))),
        "ToggleOutput" => output_arg(ctx, args).and_then(|id| stream(ctx, None, Some(id))),
        "GetCanvasList" => Ok(canvas_list(ctx)),
        "GetSourceScreenshot" => source_name(ctx, args).and_then(|name| {
            let canvas = canvas_arg(ctx, args)?;
            crate::screenshot::screenshot(ctx, args, name, canvas)
        }),
        _ => Err(Reply::fail(
            status::UNKNOWN_REQUEST_TYPE,
            "Your request type is not valid (Showroom answers the requests GetVersion lists in availableRequests).",
        )),
    };
    result.unwrap_or_else(|e| e)
}

/// Runs a command; its error is the request's, in the engine's words.
fn exec(ctx: &Ctx, cmd: Command) -> R {
    match ctx.engine.execute(cmd) {
        Ok(_) => Ok(Reply::done()),
        Err(e) => Err(command_error(&e)),
    }
}

pub fn command_error(e: &CommandError) -> Reply {
    let code = match e {
        CommandError::UnknownScene(_)
        | CommandError::UnknownDestination(_)
        | CommandError::UnknownLayer(..)
        | CommandError::UnknownCanvas(_) => status::RESOURCE_NOT_FOUND,
        CommandError::OutOfRange { .. } => status::REQUEST_FIELD_OUT_OF_RANGE,
        CommandError::Stopping => status::NOT_READY,
        CommandError::NoChat => status::INVALID_RESOURCE_STATE,
        _ => status::REQUEST_PROCESSING_FAILED,
    };
    Reply::fail(code, crate::secrets::redact(&e.to_string()))
}

fn version() -> Reply {
    Reply::data(json!({
        "obsVersion": protocol::OBS_VERSION,
        "obsWebSocketVersion": protocol::OBS_WEBSOCKET_VERSION,
        "rpcVersion": protocol::RPC_VERSION,
        "availableRequests": REQUESTS,
        "supportedImageFormats": crate::screenshot::FORMATS,
        "platform": std::env::consts::OS,
        "platformDescription": format!("Showroom {} ({} {})", env!("CARGO_PKG_VERSION"), std::env::consts::OS, std::env::consts::ARCH),
    }))
}

fn stats(ctx: &Ctx, counts: SessionCounts) -> Reply {
    let s = ctx.engine.snapshot();
    let c = s.canvases.first();
    let (rendered, skipped) = c.map(|c| (c.frames_rendered, c.late_ticks)).unwrap_or((0, 0));
    let (out_total, out_skipped) = s
        .destinations
        .iter()
        .fold((0, 0), |(t, d), x| (t + x.video_frames, d + x.dropped_frames));
    Reply::data(json!({
        "cpuUsage": process_cpu_percent(ctx),
        "memoryUsage": rss_mb(),
        "availableDiskSpace": free_disk_mb(&ctx.engine.show().base_dir),
        "activeFps": c.map(|c| c.measured_fps).unwrap_or(0.0),
        "averageFrameRenderTime": 0.0,
        "renderSkippedFrames": skipped,
        "renderTotalFrames": rendered + skipped,
        "outputSkippedFrames": out_skipped,
        "outputTotalFrames": out_total,
        "webSocketSessionIncomingMessages": counts.incoming,
        "webSocketSessionOutgoingMessages": counts.outgoing,
    }))
}

/// CPU of this process since the remote started, in percent of one core.
fn process_cpu_percent(ctx: &Ctx) -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command's closing parenthesis: utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let secs = ctx.started.elapsed().as_secs_f64().max(1.0);
    ticks / hz / secs * 100.0
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn free_disk_mb(dir: &std::path::Path) -> f64 {
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return 0.0;
    };
    // SAFETY: statvfs writes only into the struct given; the path is a valid C string.
    unsafe {
        let mut s: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut s) == 0 {
            return s.f_bavail as f64 * s.f_frsize as f64 / 1048576.0;
        }
    }
    0.0
}

fn video_settings(ctx: &Ctx, canvas: usize) -> Reply {
    let c = &ctx.engine.show().canvases[canvas];
    Reply::data(json!({
        "fpsNumerator": c.fps, "fpsDenominator": 1,
        "baseWidth": c.width, "baseHeight": c.height,
        "outputWidth": c.width, "outputHeight": c.height,
    }))
}

fn record_directory(ctx: &Ctx) -> Reply {
    let show = ctx.engine.show();
    let dir = show
        .recordings
        .first()
        .and_then(|r| r.path.parent().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| show.base_dir.clone());
    Reply::data(json!({ "recordDirectory": dir.display().to_string() }))
}

fn scene_ids(ctx: &Ctx) -> Vec<String> {
    ctx.engine.show().scenes.iter().map(|s| s.id.clone()).collect()
}

fn scene_list(ctx: &Ctx, args: Args<'_>) -> R {
    canvas_arg(ctx, args)?;
    let s = ctx.engine.snapshot();
    let ids = scene_ids(ctx);
    let n = ids.len();
    // OBS lists the bottom scene first, with sceneIndex 0.
    let scenes: Vec<Value> = (0..n)
        .rev()
        .map(|i| json!({ "sceneName": ids[i], "sceneUuid": uuid("scene", &ids[i]), "sceneIndex": n - 1 - i }))
        .collect();
    Ok(Reply::data(json!({
        "currentProgramSceneName": s.scene,
        "currentProgramSceneUuid": uuid("scene", &s.scene),
        "currentPreviewSceneName": s.preview,
        "currentPreviewSceneUuid": uuid("scene", &s.preview),
        "scenes": scenes,
    })))
}

fn current_scene(_ctx: &Ctx, legacy: &str, scene: &str) -> Reply {
    let u = uuid("scene", scene);
    Reply::data(json!({
        "sceneName": scene,
        "sceneUuid": u,
        format!("{legacy}Name"): scene,
        format!("{legacy}Uuid"): u,
    }))
}

fn scene_arg(ctx: &Ctx, args: Args<'_>) -> Result<String, Reply> {
    let ids = scene_ids(ctx);
    let name = args.name_or_uuid("sceneName", "sceneUuid", |u| {
        ids.iter().find(|id| uuid("scene", id) == u).cloned()
    })?;
    if ids.contains(&name) {
        Ok(name)
    } else {
        Err(Reply::fail(
            status::RESOURCE_NOT_FOUND,
            format!("No scene was found by the name `{name}` (scenes: {}).", ids.join(", ")),
        ))
    }
}

/// `canvasUuid` (None: the first canvas).
fn canvas_arg(ctx: &Ctx, args: Args<'_>) -> Result<usize, Reply> {
    match args.opt_str("canvasUuid")? {
        None => Ok(0),
        Some(u) => ctx
            .engine
            .show()
            .canvases
            .iter()
            .position(|c| uuid("canvas", &c.id) == u)
            .ok_or_else(|| Reply::fail(status::RESOURCE_NOT_FOUND, "No canvas was found by that `canvasUuid`.")),
    }
}

fn canvas_list(ctx: &Ctx) -> Reply {
    let canvases: Vec<Value> = ctx
        .engine
        .show()
        .canvases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({
                "canvasName": c.id,
                "canvasUuid": uuid("canvas", &c.id),
                "canvasFlags": { "MAIN": i == 0, "ACTIVATE": true, "MIX_AUDIO": i == 0, "SCENE_REF": true, "EPHEMERAL": false },
                "canvasVideoSettings": video_settings(ctx, i).data,
            })
        })
        .collect();
    Reply::data(json!({ "canvases": canvases }))
}

/// Transitions: (kind, name shown to controllers).
const TRANSITIONS: &[(&str, &str)] = &[("cut", "Cut"), ("fade", "Fade"), ("slide", "Slide"), ("wipe", "Wipe")];

fn transition_name(kind: &TransitionKind) -> &'static str {
    match kind {
        TransitionKind::Stinger { .. } => "Stinger",
        k => TRANSITIONS
            .iter()
            .find(|t| t.0 == k.name())
            .map(|t| t.1)
            .unwrap_or("Fade"),
    }
}

fn transitions(ctx: &Ctx) -> Vec<(String, TransitionKind)> {
    use crate::show::Direction;
    let mut list = vec![
        ("Cut".to_string(), TransitionKind::Cut),
        ("Fade".into(), TransitionKind::Fade),
        ("Slide".into(), TransitionKind::Slide(Direction::Left)),
        ("Wipe".into(), TransitionKind::Wipe(Direction::Left)),
    ];
    if let k @ TransitionKind::Stinger { .. } = ctx.engine.show().transition.kind {
        list.push(("Stinger".into(), k));
    }
    list
}

fn transition_json(name: &str, kind: &TransitionKind) -> Value {
    json!({
        "transitionName": name,
        "transitionUuid": uuid("transition", name),
        "transitionKind": format!("{}_transition", kind.name()),
        "transitionFixed": matches!(kind, TransitionKind::Cut),
        "transitionConfigurable": false,
    })
}

fn transition_list(ctx: &Ctx) -> Reply {
    let cur = *ctx.transition.lock().unwrap_or_else(|e| e.into_inner());
    let name = transition_name(&cur.kind);
    Reply::data(json!({
        "currentSceneTransitionName": name,
        "currentSceneTransitionUuid": uuid("transition", name),
        "currentSceneTransitionKind": format!("{}_transition", cur.kind.name()),
        "transitions": transitions(ctx).iter().map(|(n, k)| transition_json(n, k)).collect::<Vec<_>>(),
    }))
}

fn current_transition(ctx: &Ctx) -> Reply {
    let cur = *ctx.transition.lock().unwrap_or_else(|e| e.into_inner());
    let mut v = transition_json(transition_name(&cur.kind), &cur.kind);
    v["transitionDuration"] = if matches!(cur.kind, TransitionKind::Cut) {
        Value::Null
    } else {
        json!(cur.duration_ms)
    };
    v["transitionSettings"] = Value::Null;
    Reply::data(v)
}

fn set_transition(ctx: &Ctx, args: Args<'_>) -> R {
    let name = args.str("transitionName")?;
    let list = transitions(ctx);
    let (_, kind) = list.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).ok_or_else(|| {
        let names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
        Reply::fail(
            status::RESOURCE_NOT_FOUND,
            format!(
                "No scene transition was found by that name (there are {}).",
                names.join(", ")
            ),
        )
    })?;
    let mut cur = ctx.transition.lock().unwrap_or_else(|e| e.into_inner());
    cur.kind = *kind;
    if cur.duration_ms == 0 && !matches!(kind, TransitionKind::Cut) {
        cur.duration_ms = 500;
    }
    Ok(Reply::done())
}

/// A scene item: its scene, its source and the layer as it is now.
struct Item {
    scene: String,
    source: String,
    layer: crate::show::LayerSpec,
}

fn layers_of(ctx: &Ctx, scene: &str) -> Option<Vec<crate::show::LayerSpec>> {
    let i = ctx.engine.show().scenes.iter().position(|s| s.id == scene)?;
    Some(ctx.engine.scene(i).layers)
}

fn source_id(ctx: &Ctx, index: usize) -> String {
    ctx.engine.source_ids().get(index).cloned().unwrap_or_default()
}

fn item(ctx: &Ctx, args: Args<'_>) -> Result<Item, Reply> {
    let scene = scene_arg(ctx, args)?;
    let id = args.num("sceneItemId", 0.0, 1e9)? as usize;
    let layers = layers_of(ctx, &scene).unwrap_or_default();
    let layer = id.checked_sub(1).and_then(|i| layers.get(i)).cloned().ok_or_else(|| {
        Reply::fail(
            status::RESOURCE_NOT_FOUND,
            format!("Scene `{scene}` has no scene item {id} (it has {}).", layers.len()),
        )
    })?;
    let source = source_id(ctx, layer.source);
    // Two layers of one scene showing the same source are changed together.
    Ok(Item { scene, source, layer })
}

fn bounds_type(fit: Fit) -> &'static str {
    match fit {
        Fit::Stretch => "OBS_BOUNDS_STRETCH",
        Fit::Fit => "OBS_BOUNDS_SCALE_INNER",
        Fit::Fill => "OBS_BOUNDS_SCALE_OUTER",
    }
}

/// A layer's place on a canvas as OBS's transform: the place is the
/// bounding box, its fit the bounds type.
fn transform(layer: &crate::show::LayerSpec, canvas: usize) -> Value {
    let r = layer.place.get(canvas).copied().flatten().unwrap_or(Rect {
        x: 0,
        y: 0,
        width: 0,
        height: 0,
    });
    let crop = |f: f32, size: u32| (f * size as f32).round() as i64;
    json!({
        "sourceWidth": r.width, "sourceHeight": r.height,
        "positionX": r.x, "positionY": r.y,
        "rotation": layer.style.rotation,
        "scaleX": 1.0, "scaleY": 1.0,
        "width": r.width, "height": r.height,
        "alignment": 5,
        "boundsType": bounds_type(layer.style.fit),
        "boundsAlignment": 0,
        "boundsWidth": r.width, "boundsHeight": r.height,
        "cropLeft": crop(layer.crop.left, r.width), "cropRight": crop(layer.crop.right, r.width),
        "cropTop": crop(layer.crop.top, r.height), "cropBottom": crop(layer.crop.bottom, r.height),
        "cropToBounds": false,
    })
}

fn scene_items(ctx: &Ctx, args: Args<'_>) -> R {
    let scene = scene_arg(ctx, args)?;
    let canvas = canvas_arg(ctx, args)?;
    let layers = layers_of(ctx, &scene).unwrap_or_default();
    let items: Vec<Value> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let id = source_id(ctx, l.source);
            let kind = ctx.engine.source_spec(l.source).map(|s| s.config.kind_name());
            json!({
                "sceneItemId": i + 1,
                "sceneItemIndex": i,
                "sceneItemEnabled": !l.hidden,
                "sceneItemLocked": false,
                "sceneItemTransform": transform(l, canvas),
                "sceneItemBlendMode": "OBS_BLEND_NORMAL",
                "sourceName": id,
                "sourceUuid": uuid("input", &id),
                "sourceType": "OBS_SOURCE_TYPE_INPUT",
                "inputKind": kind,
                "isGroup": Value::Null,
            })
        })
        .collect();
    Ok(Reply::data(json!({ "sceneItems": items })))
}

fn scene_item_id(ctx: &Ctx, args: Args<'_>) -> R {
    let scene = scene_arg(ctx, args)?;
    let source = args.str("sourceName")?;
    let offset = args.opt_num("searchOffset", -1.0, 1e9)?.unwrap_or(0.0) as i64;
    let layers = layers_of(ctx, &scene).unwrap_or_default();
    let found: Vec<usize> = layers
        .iter()
        .enumerate()
        .filter(|(_, l)| source_id(ctx, l.source) == source)
        .map(|(i, _)| i + 1)
        .collect();
    let pick = if offset < 0 {
        found.last()
    } else {
        found.get(offset as usize)
    };
    pick.map(|id| Reply::data(json!({ "sceneItemId": id }))).ok_or_else(|| {
        Reply::fail(
            status::RESOURCE_NOT_FOUND,
            format!("Scene `{scene}` has no item showing the source `{source}`."),
        )
    })
}

fn set_transform(ctx: &Ctx, args: Args<'_>) -> R {
    let it = item(ctx, args)?;
    let canvas = canvas_arg(ctx, args)?;
    let t = Args::new(Some(args.object("sceneItemTransform")?));
    let canvas_id = ctx.engine.show().canvases[canvas].id.clone();
    let mut r = it.layer.place.get(canvas).copied().flatten().ok_or_else(|| {
        Reply::fail(
            status::INVALID_RESOURCE_STATE,
            format!("The item is not drawn on the canvas `{canvas_id}`: give it a place there in the show file first."),
        )
    })?;
    let before = r;
    if let Some(x) = t.opt_num("positionX", -90001.0, 90001.0)? {
        r.x = x.round() as i32;
    }
    if let Some(y) = t.opt_num("positionY", -90001.0, 90001.0)? {
        r.y = y.round() as i32;
    }
    if let Some(w) = t.opt_num("boundsWidth", 1.0, 90001.0)? {
        r.width = w.round() as u32;
    }
    if let Some(h) = t.opt_num("boundsHeight", 1.0, 90001.0)? {
        r.height = h.round() as u32;
    }
    if let Some(s) = t.opt_num("scaleX", 0.0001, 1000.0)? {
        r.width = ((before.width as f64 * s).round() as u32).max(1);
    }
    if let Some(s) = t.opt_num("scaleY", 0.0001, 1000.0)? {
        r.height = ((before.height as f64 * s).round() as u32).max(1);
    }
    let rotation = t.opt_num("rotation", -360.0, 360.0)?;
    if r == before && rotation.is_none() {
        return Err(Reply::fail(
            status::CANNOT_ACT,
            "You have not provided any valid transform changes (Showroom takes positionX/Y, boundsWidth/Height, scaleX/Y and rotation).",
        ));
    }
    if r != before {
        exec(
            ctx,
            Command::SetLayer {
                scene: it.scene.clone(),
                source: it.source.clone(),
                change: LayerChange::Place {
                    canvas: canvas_id,
                    rect: r,
                },
            },
        )?;
    }
    if let Some(deg) = rotation {
        exec(
            ctx,
            Command::SetLayer {
                scene: it.scene,
                source: it.source,
                change: LayerChange::Rotation(deg as f32),
            },
        )?;
    }
    Ok(Reply::done())
}

fn input_list(ctx: &Ctx, args: Args<'_>) -> Reply {
    let want = args.opt_str("inputKind").ok().flatten();
    let inputs: Vec<Value> = ctx
        .engine
        .source_ids()
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            let spec = ctx.engine.source_spec(i)?;
            let kind = spec.config.kind_name();
            if want.is_some_and(|w| w != kind) {
                return None;
            }
            let caps = spec.config.has_video() as u32 | ((spec.config.has_audio() as u32) << 1);
            Some(json!({
                "inputName": id, "inputUuid": uuid("input", id),
                "inputKind": kind, "unversionedInputKind": kind, "inputKindCaps": caps,
            }))
        })
        .collect();
    Reply::data(json!({ "inputs": inputs }))
}

fn special_inputs(ctx: &Ctx) -> Reply {
    let mics: Vec<String> = ctx
        .engine
        .source_ids()
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            ctx.engine
                .source_spec(*i)
                .is_some_and(|s| matches!(s.config, crate::show::SourceConfig::Microphone { .. }))
        })
        .map(|(_, id)| id.clone())
        .collect();
    Reply::data(json!({
        "desktop1": Value::Null, "desktop2": Value::Null,
        "mic1": mics.first(), "mic2": mics.get(1), "mic3": mics.get(2), "mic4": mics.get(3),
    }))
}

/// `inputName`/`inputUuid` → (source index, its settings).
fn input_arg(ctx: &Ctx, args: Args<'_>) -> Result<(usize, crate::show::SourceSpec), Reply> {
    let ids = ctx.engine.source_ids();
    let name = args.name_or_uuid("inputName", "inputUuid", |u| {
        ids.iter().find(|id| uuid("input", id) == u).cloned()
    })?;
    let i = ids.iter().position(|id| *id == name).ok_or_else(|| {
        Reply::fail(
            status::RESOURCE_NOT_FOUND,
            format!("No input was found by the name `{name}` (inputs: {}).", ids.join(", ")),
        )
    })?;
    let spec = ctx
        .engine
        .source_spec(i)
        .ok_or_else(|| Reply::fail(status::RESOURCE_NOT_FOUND, format!("No input `{name}`.")))?;
    Ok((i, spec))
}

/// `sourceName`/`sourceUuid`: an input or a scene.
fn source_name(ctx: &Ctx, args: Args<'_>) -> Result<String, Reply> {
    let ids = ctx.engine.source_ids();
    let scenes = scene_ids(ctx);
    let name = args.name_or_uuid("sourceName", "sourceUuid", |u| {
        ids.iter()
            .find(|id| uuid("input", id) == u)
            .or_else(|| scenes.iter().find(|id| uuid("scene", id) == u))
            .cloned()
    })?;
    if ids.contains(&name) || scenes.contains(&name) {
        Ok(name)
    } else {
        Err(Reply::fail(
            status::RESOURCE_NOT_FOUND,
            format!("No source was found by the name `{name}`."),
        ))
    }
}

fn source_active(ctx: &Ctx, args: Args<'_>) -> R {
    let name = source_name(ctx, args)?;
    let s = ctx.engine.snapshot();
    let on = |scene: &str| {
        scene == name
            || layers_of(ctx, scene)
                .unwrap_or_default()
                .iter()
                .any(|l| !l.hidden && source_id(ctx, l.source) == name)
    };
    Ok(Reply::data(
        json!({ "videoActive": on(&s.scene), "videoShowing": on(&s.scene) || on(&s.preview) }),
    ))
}

fn audio_input(ctx: &Ctx, args: Args<'_>) -> Result<crate::engine::stats::InputStats, Reply> {
    let (_, spec) = input_arg(ctx, args)?;
    ctx.engine
        .audio()
        .inputs
        .into_iter()
        .find(|i| i.id == spec.id)
        .ok_or_else(|| {
            Reply::fail(
                status::INVALID_RESOURCE_STATE,
                format!("The input `{}` does not support audio.", spec.id),
            )
        })
}

pub fn volume_json(gain_db: f32) -> Value {
    let mul = 10f64.powf(gain_db as f64 / 20.0);
    json!({ "inputVolumeMul": mul, "inputVolumeDb": gain_db })
}

fn set_volume(ctx: &Ctx, args: Args<'_>) -> R {
    let i = audio_input(ctx, args)?;
    let mul = args.opt_num("inputVolumeMul", 0.0, 20.0)?;
    let db = args.opt_num("inputVolumeDb", -100.0, 26.0)?;
    let db = match (mul, db) {
        (Some(_), Some(_)) => {
            return Err(Reply::fail(
                status::TOO_MANY_REQUEST_FIELDS,
                "You may only specify one volume field.",
            ));
        }
        (Some(m), None) => 20.0 * m.max(1e-10).log10(),
        (None, Some(d)) => d,
        (None, None) => {
            return Err(Reply::fail(
                status::MISSING_REQUEST_FIELD,
                "Your request is missing `inputVolumeMul` or `inputVolumeDb`.",
            ));
        }
    };
    // The mix takes -60 to +24 dB: quieter is -60 (a fade to silence
    // ends there; mute silences).
    let db = db.max(crate::names::MIN_GAIN_DB);
    exec(
        ctx,
        Command::SetAudio {
            source: i.id,
            change: AudioChange::GainDb(db as f32),
        },
    )
}

/// HH:MM:SS.mmm
fn timecode(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

fn running(state: DestinationState) -> bool {
    matches!(
        state,
        DestinationState::Connecting | DestinationState::Live | DestinationState::Reconnecting
    )
}

/// The stream output: every destination together (or one of them).
fn output_status(s: &Snapshot, id: Option<&str>) -> Value {
    let dests: Vec<_> = s
        .destinations
        .iter()
        .filter(|d| id.is_none_or(|id| d.id == id))
        .collect();
    let active = dests.iter().any(|d| running(d.state));
    let live = dests.iter().any(|d| d.state == DestinationState::Live);
    let reconnecting = !live && dests.iter().any(|d| d.state == DestinationState::Reconnecting);
    let ms = dests.iter().map(|d| d.live_seconds).fold(0.0, f64::max) * 1000.0;
    json!({
        "outputActive": active,
        "outputReconnecting": reconnecting,
        "outputTimecode": timecode(ms as u64),
        "outputDuration": ms as u64,
        "outputCongestion": 0.0,
        "outputBytes": dests.iter().map(|d| d.bytes_sent).sum::<u64>(),
        "outputSkippedFrames": dests.iter().map(|d| d.dropped_frames).sum::<u64>(),
        "outputTotalFrames": dests.iter().map(|d| d.video_frames).sum::<u64>(),
    })
}

/// Start (Some(true)), stop (Some(false)) or toggle (None) the stream of
/// every destination, or of one; a toggle answers the new state.
fn stream(ctx: &Ctx, on: Option<bool>, id: Option<String>) -> R {
    let s = ctx.engine.snapshot();
    if s.destinations.is_empty() {
        return Err(Reply::fail(
            status::INVALID_RESOURCE_STATE,
            "The show has no destinations: add [[destinations]] to the show file.",
        ));
    }
    let active = output_status(&s, id.as_deref())["outputActive"] == json!(true);
    let want = on.unwrap_or(!active);
    match (want, active) {
        (true, true) => return Err(Reply::fail(status::OUTPUT_RUNNING, "The output is already running.")),
        (false, false) => return Err(Reply::fail(status::OUTPUT_NOT_RUNNING, "The output is not running.")),
        (true, false) => exec(ctx, Command::GoLive(id))?,
        (false, true) => exec(ctx, Command::EndShow(id))?,
    };
    Ok(match on {
        None => Reply::data(json!({ "outputActive": want })),
        Some(_) => Reply::done(),
    })
}

fn record_status(s: &Snapshot) -> Reply {
    let r = s.recordings.iter().find(|r| r.recording_s.is_some());
    let ms = r.and_then(|r| r.recording_s).unwrap_or(0.0) * 1000.0;
    Reply::data(json!({
        "outputActive": r.is_some(),
        "outputPaused": false,
        "outputTimecode": timecode(ms as u64),
        "outputDuration": ms as u64,
        "outputBytes": s.recordings.iter().filter(|r| r.recording_s.is_some()).map(|r| r.bytes_written).sum::<u64>(),
    }))
}

fn record(ctx: &Ctx, on: Option<bool>) -> R {
    let s = ctx.engine.snapshot();
    if s.recordings.is_empty() {
        return Err(Reply::fail(
            status::INVALID_RESOURCE_STATE,
            "The show has no recordings: add [[recordings]] to the show file.",
        ));
    }
    let active = s.recordings.iter().any(|r| r.recording_s.is_some());
    let on = on.unwrap_or(!active);
    match (on, active) {
        (true, true) => Err(Reply::fail(status::OUTPUT_RUNNING, "The recording is already running.")),
        (false, false) => Err(Reply::fail(status::OUTPUT_NOT_RUNNING, "The recording is not running.")),
        (true, false) => exec(ctx, Command::Record(true)),
        (false, true) => {
            exec(ctx, Command::Record(false))?;
            let path = s
                .recordings
                .iter()
                .find(|r| r.recording_s.is_some())
                .map(|r| r.path.clone());
            Ok(Reply::data(json!({ "outputPath": path })))
        }
    }
}

fn output_list(ctx: &Ctx) -> Reply {
    let show = ctx.engine.show();
    let s = ctx.engine.snapshot();
    let outputs: Vec<Value> = s
        .destinations
        .iter()
        .map(|d| {
            let c = show.canvases.iter().find(|c| c.id == d.canvas);
            json!({
                "outputName": d.id,
                "outputKind": "rtmp_output",
                "outputWidth": c.map(|c| c.width).unwrap_or(0),
                "outputHeight": c.map(|c| c.height).unwrap_or(0),
                "outputActive": running(d.state),
                "outputFlags": {
                    "OBS_OUTPUT_AUDIO": true, "OBS_OUTPUT_VIDEO": true, "OBS_OUTPUT_ENCODED": true,
                    "OBS_OUTPUT_MULTI_TRACK": false, "OBS_OUTPUT_SERVICE": true,
                },
            })
        })
        .collect();
    Reply::data(json!({ "outputs": outputs }))
}

fn output_arg(ctx: &Ctx, args: Args<'_>) -> Result<String, Reply> {
    let name = args.str("outputName")?;
    let ids: Vec<String> = ctx.engine.show().destinations.iter().map(|d| d.id.clone()).collect();
    if ids.iter().any(|i| i == name) {
        Ok(name.to_string())
    } else {
        Err(Reply::fail(
            status::RESOURCE_NOT_FOUND,
            format!(
                "No output was found by the name `{name}` (outputs: {}).",
                ids.join(", ")
            ),
        ))
    }
}

/// Hotkey names: the studio's keys' actions, by name.
fn hotkeys(ctx: &Ctx) -> Vec<String> {
    let show = ctx.engine.show();
    let mut h = vec![
        "showroom.cut".to_string(),
        "showroom.fade".into(),
        "showroom.take".into(),
    ];
    h.extend(show.scenes.iter().map(|s| format!("showroom.preview.{}", s.id)));
    h.extend(show.scenes.iter().map(|s| format!("showroom.program.{}", s.id)));
    h.extend(
        show.graphics
            .catalog
            .products
            .iter()
            .map(|p| format!("showroom.feature.{}", p.code)),
    );
    h.extend(
        [
            "showroom.product.next",
            "showroom.product.previous",
            "showroom.product.hide",
        ]
        .map(String::from),
    );
    h
}

fn trigger_hotkey(ctx: &Ctx, args: Args<'_>) -> R {
    use crate::graphics::GraphicsCommand as G;
    let name = args.str("hotkeyName")?;
    let fade = TransitionSpec {
        kind: TransitionKind::Fade,
        duration_ms: 500,
    };
    let cut = TransitionSpec {
        kind: TransitionKind::Cut,
        duration_ms: 0,
    };
    let cmd = match name {
        "showroom.cut" => Command::Take(Some(cut)),
        "showroom.fade" => Command::Take(Some(fade)),
        "showroom.take" => Command::Take(None),
        "showroom.product.next" => Command::Graphics(G::NextProduct),
        "showroom.product.previous" => Command::Graphics(G::PreviousProduct),
        "showroom.product.hide" => Command::Graphics(G::HideProduct),
        n => {
            if let Some(s) = n.strip_prefix("showroom.preview.") {
                Command::PreviewScene(s.to_string())
            } else if let Some(s) = n.strip_prefix("showroom.program.") {
                Command::TakeScene(s.to_string())
            } else if let Some(c) = n.strip_prefix("showroom.feature.") {
                Command::Graphics(G::Feature(c.to_string()))
            } else {
                return Err(Reply::fail(
                    status::RESOURCE_NOT_FOUND,
                    "No hotkeys were found by that name (GetHotkeyList lists them).",
                ));
            }
        }
    };
    exec(ctx, cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timecodes_are_hours_minutes_seconds_and_milliseconds() {
        assert_eq!(timecode(0), "00:00:00.000");
        assert_eq!(timecode(3_723_045), "01:02:03.045");
    }
}
