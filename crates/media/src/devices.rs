//! Cameras that GStreamer can see (`showroom devices`, Add source…).
//! Microphones and outputs are cpal's (src/audio).

use gstreamer as gst;
use gstreamer::prelude::*;

#[derive(Debug, Clone)]
pub struct DeviceInfo {
    pub class: String,
    pub name: String,
    /// What to write in a show file to use it (`device = "..."`).
    pub device: Option<String>,
}

pub fn list() -> Vec<DeviceInfo> {
    let monitor = gst::DeviceMonitor::new();
    monitor.add_filter(Some("Video/Source"), None);
    if monitor.start().is_err() {
        return Vec::new();
    }
    let out = monitor
        .devices()
        .iter()
        .map(|d| {
            let props = d.properties();
            let device = props.as_ref().and_then(|p| {
                p.get::<String>("device.path")
                    .or_else(|_| p.get::<String>("api.v4l2.path"))
                    .or_else(|_| p.get::<String>("node.name"))
                    .ok()
            });
            DeviceInfo {
                class: d.device_class().to_string(),
                name: d.display_name().to_string(),
                device,
            }
        })
        .collect();
    monitor.stop();
    out
}
