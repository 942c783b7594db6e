//! Platform presets: what each live platform accepts. One table, used by
//! `showroom check`, by the encoder (default bitrate) and by docs/show-format.md.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Tiktok,
    Instagram,
    Amazon,
    Bambuser,
    Youtube,
    Facebook,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    Portrait,
    Landscape,
    Any,
}

#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub platform: Platform,
    pub name: &'static str,
    /// The platform refuses plain RTMP.
    pub rtmps_only: bool,
    pub orientation: Orientation,
    /// Longest edge of the picture the platform takes, in pixels.
    pub max_long_edge: u32,
    pub max_fps: u32,
    pub default_kbps: u32,
    pub min_kbps: u32,
    pub max_kbps: u32,
    /// Example ingest URL shown in hints.
    pub example_url: &'static str,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        platform: Platform::Tiktok,
        name: "TikTok LIVE",
        rtmps_only: false,
        orientation: Orientation::Portrait,
        max_long_edge: 1920,
        max_fps: 30,
        default_kbps: 3000,
        min_kbps: 2500,
        max_kbps: 6000,
        example_url: "rtmp://push-rtmp-l11-va01.tiktokcdn.com/stage/",
    },
    Preset {
        platform: Platform::Instagram,
        name: "Instagram Live",
        rtmps_only: true,
        orientation: Orientation::Portrait,
        max_long_edge: 1920,
        max_fps: 30,
        default_kbps: 3500,
        min_kbps: 2250,
        max_kbps: 6000,
        example_url: "rtmps://live-upload.instagram.com:443/rtmp/",
    },
    Preset {
        platform: Platform::Amazon,
        name: "Amazon Live",
        rtmps_only: false,
        orientation: Orientation::Landscape,
        max_long_edge: 1920,
        max_fps: 30,
        default_kbps: 4000,
        min_kbps: 1000,
        max_kbps: 6000,
        example_url: "rtmps://<server from Amazon Live Creator>/app/",
    },
    Preset {
        platform: Platform::Bambuser,
        name: "Bambuser",
        rtmps_only: false,
        orientation: Orientation::Any,
        max_long_edge: 1920,
        max_fps: 30,
        default_kbps: 4000,
        min_kbps: 1000,
        max_kbps: 6000,
        example_url: "rtmps://<ingest server from Bambuser>/live/",
    },
    Preset {
        platform: Platform::Youtube,
        name: "YouTube",
        rtmps_only: false,
        orientation: Orientation::Any,
        max_long_edge: 3840,
        max_fps: 60,
        default_kbps: 4500,
        min_kbps: 1000,
        max_kbps: 51000,
        example_url: "rtmps://a.rtmps.youtube.com:443/live2",
    },
    Preset {
        platform: Platform::Facebook,
        name: "Facebook Live",
        rtmps_only: true,
        orientation: Orientation::Landscape,
        max_long_edge: 1920,
        max_fps: 60,
        default_kbps: 4000,
        min_kbps: 1000,
        max_kbps: 6000,
        example_url: "rtmps://rtmp-api.facebook.com:443/rtmp/",
    },
    Preset {
        platform: Platform::Custom,
        name: "custom server",
        rtmps_only: false,
        orientation: Orientation::Any,
        max_long_edge: 4096,
        max_fps: 60,
        default_kbps: 3000,
        min_kbps: 300,
        max_kbps: 50000,
        example_url: "rtmp://127.0.0.1:1935/live",
    },
];

pub fn preset(platform: Platform) -> &'static Preset {
    PRESETS
        .iter()
        .find(|p| p.platform == platform)
        .expect("every platform has a preset")
}

/// A reasonable H.264 bitrate for a canvas size when no destination says otherwise.
pub fn default_kbps_for_size(width: u32, height: u32) -> u32 {
    let pixels = width as u64 * height as u64;
    if pixels <= 640 * 360 {
        1200
    } else if pixels <= 1280 * 720 {
        3000
    } else {
        4500
    }
}
