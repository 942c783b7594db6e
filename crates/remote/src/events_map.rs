//! The engine's event stream as obs-websocket events: one hub follows the
//! engine (a subscriber like the event log) and hands every session the
//! translated events; each session keeps those its subscription asks for.
//! A change made in the window, by a cue, from `showroom run`'s stdin or
//! from another controller reaches every controller.
//!
//! Engine events with no OBS counterpart (products, countdowns, chat,
//! claims, per-destination states) go out as `VendorEvent`s of vendor
//! `showroom`: `eventType` is the engine event's name, `eventData` its
//! fields (docs/remote-control.md).

use crate::events::Event;
use crate::names::uuid;
use crate::protocol::subs;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One event for the sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct ObsEvent {
    /// The subscription bit it needs (`eventIntent`).
    pub intent: u64,
    pub event_type: String,
    pub data: Option<Value>,
}

impl ObsEvent {
    fn new(intent: u64, event_type: &str, data: Value) -> ObsEvent {
        ObsEvent {
            intent,
            event_type: event_type.to_string(),
            data: Some(data),
        }
    }
}

/// OBS's output states.
fn output_state(word: &str) -> &'static str {
    match word {
        "starting" => "OBS_WEBSOCKET_OUTPUT_STARTING",
        "started" => "OBS_WEBSOCKET_OUTPUT_STARTED",
        "stopping" => "OBS_WEBSOCKET_OUTPUT_STOPPING",
        "reconnecting" => "OBS_WEBSOCKET_OUTPUT_RECONNECTING",
        "reconnected" => "OBS_WEBSOCKET_OUTPUT_RECONNECTED",
        _ => "OBS_WEBSOCKET_OUTPUT_STOPPED",
    }
}

/// What the translation remembers: each destination's and recording's
/// state, so that the one stream output and the one record output of OBS
/// change state when all of ours together do.
#[derive(Debug, Default)]
pub struct Tracker {
    destinations: BTreeMap<String, String>,
    stream: String,
    recordings: BTreeMap<String, String>,
    recording: bool,
}

impl Tracker {
    pub fn new(destinations: impl IntoIterator<Item = (String, String)>) -> Tracker {
        let mut t = Tracker {
            destinations: destinations.into_iter().collect(),
            ..Default::default()
        };
        t.stream = t.stream_word();
        t
    }

    fn stream_word(&self) -> String {
        let any = |w: &str| self.destinations.values().any(|s| s == w);
        if any("live") {
            if matches!(self.stream.as_str(), "reconnecting" | "reconnected") {
                "reconnected"
            } else {
                "started"
            }
        } else if any("reconnecting") {
            "reconnecting"
        } else if any("connecting") {
            "starting"
        } else if any("stopping") {
            "stopping"
        } else {
            "stopped"
        }
        .to_string()
    }
}

fn vendor(event_type: &str, data: Value) -> ObsEvent {
    ObsEvent::new(
        subs::VENDORS,
        "VendorEvent",
        json!({ "vendorName": crate::vendor::VENDOR, "eventType": event_type, "eventData": data }),
    )
}

fn scene(event_type: &str, name: &str) -> ObsEvent {
    ObsEvent::new(
        subs::SCENES,
        event_type,
        json!({ "sceneName": name, "sceneUuid": uuid("scene", name) }),
    )
}

fn transition(event_type: &str, kind: &str) -> ObsEvent {
    let mut name = kind.to_string();
    if let Some(c) = name.get_mut(0..1) {
        c.make_ascii_uppercase();
    }
    ObsEvent::new(
        subs::TRANSITIONS,
        event_type,
        json!({ "transitionName": name, "transitionUuid": uuid("transition", &name) }),
    )
}

/// The engine event's own fields (without its tag), for vendor events.
fn fields(e: &Event) -> (String, Value) {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    let name = v
        .as_object_mut()
        .and_then(|o| o.remove("event"))
        .and_then(|n| n.as_str().map(str::to_string))
        .unwrap_or_default();
    (name, v)
}

/// The OBS events for one engine event. `transition_kind`: the kind the
/// program's last transition had (for its end).
pub fn translate(e: &Event, t: &mut Tracker, transition_kind: &mut String) -> Vec<ObsEvent> {
    let mut out = Vec::new();
    match e {
        Event::Cut { scene: s } => out.push(scene("CurrentProgramSceneChanged", s)),
        Event::Take { scene: Some(s), .. } => out.push(scene("CurrentProgramSceneChanged", s)),
        Event::Preview { scene: s } => out.push(scene("CurrentPreviewSceneChanged", s)),
        Event::TransitionStarted { kind, .. } => {
            *transition_kind = kind.clone();
            out.push(transition("SceneTransitionStarted", kind));
        }
        Event::TransitionEnded { .. } => {
            out.push(transition("SceneTransitionEnded", transition_kind));
            out.push(transition("SceneTransitionVideoEnded", transition_kind));
        }
        Event::Destination { id, state, reason } => {
            out.push(vendor(
                "DestinationStateChanged",
                json!({ "destination": id, "state": state, "reason": reason }),
            ));
            t.destinations.insert(id.clone(), state.clone());
            let word = t.stream_word();
            if word != t.stream {
                t.stream = word.clone();
                out.push(ObsEvent::new(
                    subs::OUTPUTS,
                    "StreamStateChanged",
                    json!({
                        "outputActive": matches!(word.as_str(), "started" | "reconnected"),
                        "outputState": output_state(&word),
                    }),
                ));
            }
        }
        Event::Recording {
            canvas,
            path,
            state,
            reason,
        } => {
            out.push(vendor(
                "RecordingStateChanged",
                json!({ "canvas": canvas, "path": path, "state": state, "reason": reason }),
            ));
            t.recordings.insert(canvas.clone(), state.clone());
            let recording = t.recordings.values().any(|s| s == "recording");
            let finalizing = t.recordings.values().any(|s| s == "finalizing");
            let (word, path) = if recording && !t.recording {
                ("started", Some(path))
            } else if !recording && t.recording {
                ("stopping", None)
            } else if !recording && !finalizing && state != "recording" && state != "finalizing" {
                ("stopped", Some(path))
            } else {
                ("", None)
            };
            t.recording = recording;
            if !word.is_empty() {
                out.push(ObsEvent::new(
                    subs::OUTPUTS,
                    "RecordStateChanged",
                    json!({
                        "outputActive": word == "started",
                        "outputState": output_state(word),
                        "outputPath": path,
                    }),
                ));
            }
        }
        Event::Audio { input, muted, gain_db } => {
            // Both are told: which one changed is not kept.
            let u = uuid("input", input);
            out.push(ObsEvent::new(
                subs::INPUTS,
                "InputMuteStateChanged",
                json!({ "inputName": input, "inputUuid": u, "inputMuted": muted }),
            ));
            let mut v = crate::requests::volume_json(*gain_db);
            v["inputName"] = json!(input);
            v["inputUuid"] = json!(u);
            out.push(ObsEvent::new(subs::INPUTS, "InputVolumeChanged", v));
        }
        Event::Layer {
            scene: s,
            item,
            change,
            visible,
        } => {
            let base = json!({ "sceneName": s, "sceneUuid": uuid("scene", s), "sceneItemId": item });
            if change == "visible" {
                let mut v = base;
                v["sceneItemEnabled"] = json!(visible);
                out.push(ObsEvent::new(subs::SCENE_ITEMS, "SceneItemEnableStateChanged", v));
            } else {
                out.push(ObsEvent::new(
                    subs::SCENE_ITEM_TRANSFORM_CHANGED,
                    "SceneItemTransformChanged",
                    base,
                ));
            }
        }
        Event::Stop => out.push(ObsEvent {
            intent: subs::GENERAL,
            event_type: "ExitStarted".into(),
            data: None,
        }),
        Event::Start { .. } | Event::Capacity { .. } | Event::Quality { .. } => {}
        other => {
            let (name, data) = fields(other);
            out.push(vendor(&name, data));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(t: &mut Tracker, state: &str) -> Vec<String> {
        let mut k = String::new();
        translate(
            &Event::Destination {
                id: "a".into(),
                state: state.into(),
                reason: None,
            },
            t,
            &mut k,
        )
        .into_iter()
        .filter(|e| e.event_type == "StreamStateChanged")
        .map(|e| e.data.unwrap()["outputState"].as_str().unwrap().to_string())
        .collect()
    }

    #[test]
    fn destinations_make_one_stream_output_state() {
        let mut t = Tracker::new([("a".to_string(), "idle".to_string()), ("b".into(), "idle".into())]);
        assert_eq!(dest(&mut t, "connecting"), ["OBS_WEBSOCKET_OUTPUT_STARTING"]);
        assert_eq!(dest(&mut t, "live"), ["OBS_WEBSOCKET_OUTPUT_STARTED"]);
        assert!(dest(&mut t, "live").is_empty());
        assert_eq!(dest(&mut t, "reconnecting"), ["OBS_WEBSOCKET_OUTPUT_RECONNECTING"]);
        assert_eq!(dest(&mut t, "live"), ["OBS_WEBSOCKET_OUTPUT_RECONNECTED"]);
        assert_eq!(dest(&mut t, "stopping"), ["OBS_WEBSOCKET_OUTPUT_STOPPING"]);
        assert_eq!(dest(&mut t, "stopped"), ["OBS_WEBSOCKET_OUTPUT_STOPPED"]);
    }

    #[test]
    fn shopping_events_are_vendor_events() {
        let mut k = String::new();
        let out = translate(
            &Event::Feature {
                product: "A1".into(),
                title: "Mug".into(),
            },
            &mut Tracker::default(),
            &mut k,
        );
        assert_eq!(out[0].event_type, "VendorEvent");
        let d = out[0].data.as_ref().unwrap();
        assert_eq!(d["eventType"], "feature");
        assert_eq!(d["eventData"]["product"], "A1");
    }
}
