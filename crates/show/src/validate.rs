//! Checks a raw show and resolves it into the engine's `Show`. Every problem
//! is collected (with its location) instead of stopping at the first one.

use super::autolayout;
use super::diagnostics::{Collector, suggest};
use super::model::{self, SourceKind};
use super::parse::RawShow;
use super::presets::{self, Orientation, Platform};
use super::*;
use std::collections::HashSet;
use toml::Spanned;

/// videotestsrc patterns offered in show files.
/// Pixel formats a test pattern can arrive in: show-file name, GStreamer name.
const TEST_FORMATS: &[(&str, &str)] = &[
    ("i420", "I420"),
    ("nv12", "NV12"),
    ("yuy2", "YUY2"),
    ("uyvy", "UYVY"),
    ("rgba", "RGBA"),
    ("bgra", "BGRA"),
];

pub const PATTERNS: &[&str] = &[
    "smpte",
    "smpte75",
    "smpte100",
    "ball",
    "snow",
    "black",
    "white",
    "red",
    "green",
    "blue",
    "checkers-8",
    "circular",
    "gradient",
    "bar",
    "pinwheel",
    "spokes",
    "colors",
    "solid-color",
];

pub fn validate(raw: RawShow, base: &Path, out: &mut Collector) -> Show {
    let mut show = Show {
        name: raw.show.name.clone().unwrap_or_else(|| "Untitled show".into()),
        base_dir: base.to_path_buf(),
        canvases: Vec::new(),
        sources: Vec::new(),
        scenes: Vec::new(),
        start_scene: 0,
        transition: TransitionSpec::default(),
        destinations: Vec::new(),
        recordings: Vec::new(),
        graphics: Default::default(),
        cues: Vec::new(),
        warnings: Vec::new(),
        audio: super::audio::master(raw.audio.as_ref(), out),
        chat: None,
        remote: None,
        console: None,
        rundown: None,
        on_air: Vec::new(),
        slate: None,
    };

    // Canvases
    let mut ids = HashSet::new();
    for c in &raw.canvases {
        unique(&mut ids, &c.id, "canvas", out);
        let (w, h, fps) = (*c.width.get_ref(), *c.height.get_ref(), *c.fps.get_ref());
        if !(16..=4096).contains(&w) || w % 8 != 0 {
            out.add(
                c.width.span(),
                format!("canvas `{}`: width {w} is not usable", c.id.get_ref()),
                format!(
                    "use a multiple of 8 between 16 and 4096 (e.g. {}) — the encoder works on 8-pixel blocks",
                    (w.clamp(16, 4096) / 8) * 8
                ),
            );
        }
        if !(16..=4096).contains(&h) || h % 2 != 0 {
            out.add(
                c.height.span(),
                format!("canvas `{}`: height {h} is not usable", c.id.get_ref()),
                "use an even number between 16 and 4096".to_string(),
            );
        }
        if !(1..=60).contains(&fps) {
            out.add(
                c.fps.span(),
                format!("canvas `{}`: fps {fps} is out of range", c.id.get_ref()),
                "use 1 to 60 (30 suits every platform)".to_string(),
            );
        }
        show.canvases.push(CanvasSpec {
            id: c.id.get_ref().clone(),
            width: w,
            height: h,
            fps: fps.max(1),
            video_kbps: c.video_bitrate.as_ref().map(|b| *b.get_ref()),
            adaptive_bitrate: c.adaptive_bitrate.unwrap_or(true),
        });
    }
    if raw.canvases.is_empty() && out.is_empty() {
        out.add(
            0..0,
            "the show has no canvas",
            "add a [[canvases]] table with id, width, height and fps",
        );
    }
    let canvas_ids: Vec<&str> = show.canvases.iter().map(|c| c.id.as_str()).collect();

    // Sources
    let mut ids = HashSet::new();
    for s in &raw.sources {
        unique(&mut ids, &s.id, "source", out);
        if let Some(config) = source_config(s, base, out) {
            if let Some(a) = &s.audio
                && !config.has_audio()
            {
                out.add(
                    a.span(),
                    format!(
                        "source `{}`: `audio` does not apply: a {} has no sound",
                        s.id.get_ref(),
                        s.kind.get_ref().name()
                    ),
                    "remove it",
                );
            }
            let audio = super::audio::input(s.audio.as_ref(), input_defaults(*s.kind.get_ref()), s.id.get_ref(), out);
            show.sources.push(SourceSpec {
                id: s.id.get_ref().clone(),
                config,
                audio,
            });
        }
    }
    let source_ids: Vec<&str> = raw.sources.iter().map(|s| s.id.get_ref().as_str()).collect();

    // Scenes
    let mut ids = HashSet::new();
    for sc in &raw.scenes {
        unique(&mut ids, &sc.id, "scene", out);
        let mut layers = Vec::new();
        for l in &sc.layers {
            let name = l.source.get_ref();
            let Some(src) = show.sources.iter().position(|s| &s.id == name) else {
                if !source_ids.contains(&name.as_str()) && !raw.broken_ids.contains(name) {
                    out.add(
                        l.source.span(),
                        format!("scene `{}`: no source with id `{name}`", sc.id.get_ref()),
                        hint_or(suggest(name, &source_ids), "define it in a [[sources]] table"),
                    );
                }
                continue;
            };
            if !show.sources[src].config.has_video() {
                out.add(
                    l.source.span(),
                    format!("scene `{}`: source `{name}` has no picture", sc.id.get_ref()),
                    "only video sources can be layers; audio sources are always in the mix",
                );
            }
            let opacity = *l.opacity.get_ref();
            if !(0.0..=1.0).contains(&opacity) {
                out.add(
                    l.opacity.span(),
                    format!("layer `{name}`: opacity {opacity} is out of range"),
                    "use 0.0 (invisible) to 1.0 (opaque)",
                );
            }
            let crop = l.crop.as_ref().map(|c| *c.get_ref()).unwrap_or_default();
            if let Some(c) = &l.crop {
                let v = [crop.left, crop.right, crop.top, crop.bottom];
                if v.iter().any(|x| !(0.0..1.0).contains(x))
                    || crop.left + crop.right >= 1.0
                    || crop.top + crop.bottom >= 1.0
                {
                    out.add(
                        c.span(),
                        format!("layer `{name}`: crop leaves nothing of the picture"),
                        "crop values are fractions of the source (0.0–1.0); left+right and top+bottom must stay below 1.0",
                    );
                }
            }
            let mut place = vec![None; show.canvases.len()];
            for (canvas, rect) in &l.place {
                match canvas_ids.iter().position(|c| c == canvas) {
                    Some(i) => {
                        let r = *rect.get_ref();
                        if r.width == 0 || r.height == 0 {
                            out.add(
                                rect.span(),
                                format!("layer `{name}`: zero-size place on canvas `{canvas}`"),
                                "give width and height in canvas pixels",
                            );
                        }
                        place[i] = Some(r);
                    }
                    None if raw.broken_ids.contains(canvas) => {}
                    None => out.add(
                        rect.span(),
                        format!("layer `{name}`: no canvas with id `{canvas}`"),
                        hint_or(suggest(canvas, &canvas_ids), "define it in a [[canvases]] table"),
                    ),
                }
            }
            let style = style(l, name, out);
            layers.push(LayerSpec {
                source: src,
                z: l.z,
                opacity: opacity.clamp(0.0, 1.0),
                crop,
                place,
                style,
                hidden: false,
            });
        }
        layers.sort_by_key(|l| l.z);
        // A canvas the scene does not place anything on gets a derived layout.
        autolayout::derive(&mut layers, &show.canvases);
        show.scenes.push(SceneSpec {
            id: sc.id.get_ref().clone(),
            layers,
        });
    }
    if raw.scenes.is_empty() && out.is_empty() {
        out.add(0..0, "the show has no scene", "add a [[scenes]] table with layers");
    }
    let scene_ids: Vec<&str> = raw.scenes.iter().map(|s| s.id.get_ref().as_str()).collect();
    if let Some(start) = &raw.show.scene {
        match show.scenes.iter().position(|s| &s.id == start.get_ref()) {
            Some(i) => show.start_scene = i,
            None => out.add(
                start.span(),
                format!("no scene with id `{}`", start.get_ref()),
                hint_or(suggest(start.get_ref(), &scene_ids), "name one of the [[scenes]]"),
            ),
        }
    }

    if let Some(s) = &raw.show.slate {
        let path = base.join(s.get_ref());
        match std::fs::read(&path) {
            Ok(b) if b.starts_with(b"\x89PNG\r\n\x1a\n") => show.slate = Some(path),
            Ok(_) => out.add(
                s.span(),
                format!("[show] slate: \"{}\" is not a PNG picture", s.get_ref()),
                "save the slate as .png (any size; it is stretched to the lost source's place)",
            ),
            Err(e) => out.add(
                s.span(),
                format!("[show] slate: cannot read \"{}\": {e}", path.display()),
                "give a path relative to the show file",
            ),
        }
    }

    if let Some(t) = &raw.show.transition {
        match transition(t.get_ref(), &show) {
            Ok(spec) => show.transition = spec,
            Err((msg, hint)) => out.add(t.span(), format!("[show] transition: {msg}"), hint),
        }
    }

    // Destinations
    let mut ids = HashSet::new();
    for d in &raw.destinations {
        unique(&mut ids, &d.id, "destination", out);
        if let Some(spec) = destination(d, &show, &canvas_ids, &raw.broken_ids, base, out) {
            show.destinations.push(spec);
        }
    }

    // Recordings
    for r in &raw.recordings {
        let Some(canvas) = show.canvas_index(r.canvas.get_ref()) else {
            if raw.broken_ids.contains(r.canvas.get_ref()) {
                continue;
            }
            out.add(
                r.canvas.span(),
                format!("recording: no canvas with id `{}`", r.canvas.get_ref()),
                hint_or(
                    suggest(r.canvas.get_ref(), &canvas_ids),
                    "define it in a [[canvases]] table",
                ),
            );
            continue;
        };
        let path = base.join(r.path.get_ref());
        if let Err(e) = crate::media::recording::check_path(&path) {
            out.add(
                r.path.span(),
                format!("recording: {e}"),
                "use a path ending in .mkv or .mp4",
            );
            continue;
        }
        out.on_air(r.path.span(), super::on_air::Check::Recording(path.clone()));
        show.recordings.push(RecordingSpec { canvas, path });
    }

    // Products and cues
    show.graphics = super::graphics::setup(raw.products.as_ref(), base, out, &mut show.warnings);
    show.cues = super::graphics::cues(&raw.cues, &show.graphics, out);
    show.chat = raw.chat.as_ref().map(|c| super::chat::config(c, &show.name, base, out));
    show.remote = raw.remote.as_ref().and_then(|r| super::remote::config(r, base, out));
    show.console = raw.console.as_ref().and_then(|c| super::console::config(c, base, out));
    let scene_ids: Vec<&str> = show.scenes.iter().map(|s| s.id.as_str()).collect();
    let known = super::rundown::Known {
        scenes: &scene_ids,
        graphics: &show.graphics,
        has_chat: show.chat.is_some(),
    };
    show.rundown = raw
        .rundown
        .as_ref()
        .and_then(|r| super::rundown::config(r, base, &known, out));
    show
}

fn hint_or(hint: String, fallback: &str) -> String {
    if hint.starts_with("did you mean") {
        hint
    } else {
        fallback.to_string()
    }
}

fn unique(seen: &mut HashSet<String>, id: &Spanned<String>, what: &str, out: &mut Collector) {
    let v = id.get_ref();
    if v.trim().is_empty() {
        out.add(
            id.span(),
            format!("{what} id is empty"),
            "give it a short name, e.g. \"main\"",
        );
    } else if !seen.insert(v.clone()) {
        out.add(
            id.span(),
            format!("{what} id `{v}` is used twice"),
            format!("give every {what} its own id"),
        );
    }
}

/// Microphones get the speech chain unless told otherwise; other sources
/// go into the mix untouched.
fn input_defaults(kind: SourceKind) -> showroom_audio::InputSettings {
    if kind == SourceKind::Microphone {
        showroom_audio::InputSettings::voice()
    } else {
        showroom_audio::InputSettings::plain()
    }
}

/// One source written as a show file's `[[sources]]` table body (what the
/// studio's "Add source" writes), checked like the show's own.
pub fn source_from_toml(body: &str, base: &Path) -> Result<SourceSpec, String> {
    let mut out = Collector::new(body);
    let parsed: Result<model::Source, _> = toml::from_str(body);
    let spec = match parsed {
        Ok(s) => source_config(&s, base, &mut out).map(|config| SourceSpec {
            id: s.id.get_ref().clone(),
            config,
            audio: super::audio::input(
                s.audio.as_ref(),
                input_defaults(*s.kind.get_ref()),
                s.id.get_ref(),
                &mut out,
            ),
        }),
        Err(e) => return Err(e.message().trim().to_string()),
    };
    match spec {
        Some(spec) if out.is_empty() => Ok(spec),
        _ => {
            let e = out.into_error("new source");
            Err(e
                .problems
                .iter()
                .map(|p| format!("{} — {}", p.message, p.hint))
                .collect::<Vec<_>>()
                .join("; "))
        }
    }
}

fn source_config(s: &model::Source, base: &Path, out: &mut Collector) -> Option<SourceConfig> {
    let kind = *s.kind.get_ref();
    let id = s.id.get_ref();
    // Which optional keys each kind takes; anything else is a mistake worth saying.
    let allowed: &[&str] = match kind {
        SourceKind::TestPattern => &["pattern", "width", "height", "fps", "speed", "color", "format"],
        SourceKind::Tone => &["frequency", "volume"],
        SourceKind::Media => &["path", "uri", "loop", "volume"],
        SourceKind::Image => &["path"],
        SourceKind::Camera => &["device"],
        SourceKind::Srt => &["port", "key", "latency_ms"],
        SourceKind::Microphone => &["device"],
    };
    let present: [(&str, Option<std::ops::Range<usize>>); 16] = [
        ("speed", s.speed.as_ref().map(|v| v.span())),
        ("pattern", s.pattern.as_ref().map(|v| v.span())),
        ("width", s.width.as_ref().map(|v| v.span())),
        ("height", s.height.as_ref().map(|v| v.span())),
        ("fps", s.fps.as_ref().map(|v| v.span())),
        ("color", s.color.as_ref().map(|v| v.span())),
        ("format", s.format.as_ref().map(|v| v.span())),
        ("frequency", s.frequency.as_ref().map(|v| v.span())),
        ("volume", s.volume.as_ref().map(|v| v.span())),
        ("path", s.path.as_ref().map(|v| v.span())),
        ("uri", s.uri.as_ref().map(|v| v.span())),
        ("loop", s.looping.as_ref().map(|v| v.span())),
        ("device", s.device.as_ref().map(|v| v.span())),
        ("port", s.port.as_ref().map(|v| v.span())),
        ("key", s.key.as_ref().map(|v| v.span())),
        ("latency_ms", s.latency_ms.as_ref().map(|v| v.span())),
    ];
    let mut ok = true;
    for (key, span) in present {
        if let Some(span) = span
            && !allowed.contains(&key)
        {
            ok = false;
            out.add(
                span,
                format!("source `{id}`: `{key}` does not apply to kind = \"{}\"", kind.name()),
                format!("remove it (this kind takes: {})", allowed.join(", ")),
            );
        }
    }
    let volume = s.volume.as_ref().map(|v| *v.get_ref()).unwrap_or(1.0);
    if let Some(v) = &s.volume
        && !(0.0..=1.0).contains(v.get_ref())
    {
        ok = false;
        out.add(
            v.span(),
            format!("source `{id}`: volume {} is out of range", v.get_ref()),
            "use 0.0 to 1.0",
        );
    }
    let config = match kind {
        SourceKind::TestPattern => {
            let pattern = s
                .pattern
                .as_ref()
                .map(|p| p.get_ref().clone())
                .unwrap_or_else(|| "smpte".into());
            if let Some(p) = &s.pattern
                && !PATTERNS.contains(&p.get_ref().as_str())
            {
                ok = false;
                out.add(
                    p.span(),
                    format!("source `{id}`: unknown pattern \"{}\"", p.get_ref()),
                    suggest(p.get_ref(), PATTERNS),
                );
            }
            let color = match &s.color {
                Some(c) => match parse_color(c.get_ref()) {
                    Some(v) => Some(v),
                    None => {
                        ok = false;
                        out.add(
                            c.span(),
                            format!("source `{id}`: colour \"{}\" is not #RRGGBB", c.get_ref()),
                            "write it like \"#1E90FF\"",
                        );
                        None
                    }
                },
                None => None,
            };
            let dim = |v: &Option<Spanned<u32>>, default: u32, out: &mut Collector| match v {
                Some(v) if !(16..=4096).contains(v.get_ref()) || v.get_ref() % 2 != 0 => {
                    out.add(
                        v.span(),
                        format!("source `{id}`: size {} is not usable", v.get_ref()),
                        "use an even number from 16 to 4096",
                    );
                    None
                }
                Some(v) => Some(*v.get_ref()),
                None => Some(default),
            };
            let width = dim(&s.width, 1280, out);
            let height = dim(&s.height, 720, out);
            let fps = s.fps.as_ref().map(|f| *f.get_ref()).unwrap_or(30);
            if !(1..=60).contains(&fps) {
                ok = false;
                out.add(
                    s.fps.as_ref().map(|f| f.span()).unwrap_or(0..0),
                    format!("source `{id}`: fps {fps} is out of range"),
                    "use 1 to 60",
                );
            }
            let format = match &s.format {
                None => "I420",
                Some(f) => match TEST_FORMATS
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(f.get_ref()))
                {
                    Some((_, caps)) => caps,
                    None => {
                        ok = false;
                        let names: Vec<&str> = TEST_FORMATS.iter().map(|(n, _)| *n).collect();
                        out.add(
                            f.span(),
                            format!("source `{id}`: unknown pixel format \"{}\"", f.get_ref()),
                            format!("use one of {}", names.join(", ")),
                        );
                        "I420"
                    }
                },
            };
            let (Some(width), Some(height)) = (width, height) else {
                return None;
            };
            SourceConfig::TestPattern {
                pattern,
                width,
                height,
                fps,
                speed: s.speed.as_ref().map(|v| *v.get_ref()).unwrap_or(0),
                color,
                format,
            }
        }
        SourceKind::Tone => {
            let frequency = s.frequency.as_ref().map(|f| *f.get_ref()).unwrap_or(440.0);
            if let Some(f) = &s.frequency
                && !(1.0..=20000.0).contains(f.get_ref())
            {
                ok = false;
                out.add(
                    f.span(),
                    format!("source `{id}`: frequency {} Hz is out of range", f.get_ref()),
                    "use 1 to 20000 Hz",
                );
            }
            SourceConfig::Tone {
                frequency,
                volume: s.volume.as_ref().map(|v| *v.get_ref()).unwrap_or(0.2),
            }
        }
        SourceKind::Media => {
            let uri = match (&s.path, &s.uri) {
                (Some(p), None) => {
                    let path = base.join(p.get_ref());
                    if !path.is_file() {
                        ok = false;
                        out.add(
                            p.span(),
                            format!("source `{id}`: media file {} not found", path.display()),
                            "check the path (relative to the show file)",
                        );
                        None
                    } else {
                        let abs = path.canonicalize().unwrap_or(path);
                        Some(format!("file://{}", abs.display()))
                    }
                }
                (None, Some(u)) => {
                    if !u.get_ref().contains("://") {
                        ok = false;
                        out.add(
                            u.span(),
                            format!("source `{id}`: \"{}\" is not a URI", u.get_ref()),
                            "use path = \"...\" for a file, or a full URI like https://host/clip.mp4",
                        );
                    }
                    Some(u.get_ref().clone())
                }
                (Some(p), Some(_)) => {
                    ok = false;
                    out.add(
                        p.span(),
                        format!("source `{id}`: both `path` and `uri` given"),
                        "keep one of them",
                    );
                    None
                }
                (None, None) => {
                    ok = false;
                    out.add(
                        s.id.span(),
                        format!("source `{id}`: a media source needs `path` or `uri`"),
                        "add path = \"clip.mp4\"",
                    );
                    None
                }
            };
            SourceConfig::Media {
                uri: uri?,
                looping: s.looping.as_ref().map(|l| *l.get_ref()).unwrap_or(true),
                volume,
            }
        }
        SourceKind::Image => match &s.path {
            Some(p) => {
                let path = base.join(p.get_ref());
                if !path.is_file() {
                    out.add(
                        p.span(),
                        format!("source `{id}`: image {} not found", path.display()),
                        "check the path (relative to the show file)",
                    );
                    return None;
                }
                let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
                if matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg" | "webp"))
                    && let Err(e) = crate::products::images::check_picture(&path)
                {
                    out.add(p.span(), format!("source `{id}`: {e}"), "give a PNG, JPEG or WebP file");
                    return None;
                }
                SourceConfig::Image { path }
            }
            None => {
                out.add(
                    s.id.span(),
                    format!("source `{id}`: an image source needs `path`"),
                    "add path = \"logo.png\"",
                );
                return None;
            }
        },
        SourceKind::Camera => SourceConfig::Camera {
            device: s.device.as_ref().map(|d| d.get_ref().clone()),
        },
        SourceKind::Microphone => SourceConfig::Microphone {
            device: s.device.as_ref().map(|d| d.get_ref().clone()),
        },
        SourceKind::Srt => match &s.port {
            Some(p) if *p.get_ref() >= 1024 => {
                let passphrase = match &s.key {
                    None => KeyRef::None,
                    Some(k) => match key_on_air(k, base, format!("source `{id}`"), out) {
                        Ok(r) => r,
                        Err((msg, hint)) => {
                            out.add(
                                k.span(),
                                format!("source `{id}`: {}", msg.replace("stream key", "passphrase")),
                                hint,
                            );
                            return None;
                        }
                    },
                };
                let latency_ms = s.latency_ms.as_ref().map(|l| *l.get_ref());
                if let Some(l) = &s.latency_ms
                    && !(20..=8000).contains(l.get_ref())
                {
                    out.add(
                        l.span(),
                        format!("source `{id}`: latency_ms = {} is outside 20–8000", l.get_ref()),
                        "use about four round trips of the link: 500 for most uplinks",
                    );
                    return None;
                }
                SourceConfig::Srt {
                    port: *p.get_ref(),
                    passphrase,
                    latency_ms,
                }
            }
            Some(p) => {
                out.add(
                    p.span(),
                    format!("source `{id}`: port {} needs root", p.get_ref()),
                    "use a port from 1024 to 65535, e.g. 9000",
                );
                return None;
            }
            None => {
                out.add(
                    s.id.span(),
                    format!("source `{id}`: an srt source needs `port`"),
                    "add port = 9000 and point the phone's SRT app at srt://<this computer>:9000",
                );
                return None;
            }
        },
    };
    ok.then_some(config)
}

/// Resolves a transition definition against the show's sources.
pub fn transition(t: &model::TransitionDef, show: &Show) -> Result<TransitionSpec, (String, String)> {
    use model::TransitionName as N;
    let duration_ms = t.duration.unwrap_or(500);
    if !(1..=10_000).contains(&duration_ms) && t.kind != N::Cut {
        return Err((
            format!("duration {duration_ms} ms is out of range"),
            "use 1 to 10000 ms".into(),
        ));
    }
    let direction = t.direction.unwrap_or(Direction::Left);
    let kind = match t.kind {
        N::Cut => TransitionKind::Cut,
        N::Fade => TransitionKind::Fade,
        N::Slide => TransitionKind::Slide(direction),
        N::Wipe => TransitionKind::Wipe(direction),
        N::Stinger => {
            let Some(id) = &t.stinger else {
                return Err((
                    "a stinger needs `stinger = \"SOURCE\"`".into(),
                    "name a media source with alpha".into(),
                ));
            };
            let Some(source) = show.sources.iter().position(|s| &s.id == id) else {
                let ids: Vec<&str> = show.sources.iter().map(|s| s.id.as_str()).collect();
                return Err((format!("no source with id `{id}`"), suggest(id, &ids)));
            };
            let cut = t.cut.unwrap_or(0.5);
            if !(0.0..=1.0).contains(&cut) {
                return Err((
                    format!("cut {cut} is out of range"),
                    "use 0.0 to 1.0 (a fraction of the duration)".into(),
                ));
            }
            TransitionKind::Stinger { source, cut }
        }
    };
    Ok(TransitionSpec { kind, duration_ms })
}

/// Checks a layer's look (ranges, colours) and resolves it.
fn style(l: &model::Layer, name: &str, out: &mut Collector) -> Style {
    let mut st = Style {
        rotation: l.rotation,
        fit: l.fit.as_ref().map(|f| *f.get_ref()).unwrap_or_default(),
        mirror: l.mirror,
        radius: l.radius.max(0.0),
        ..Style::default()
    };
    let color = |text: &str, span: std::ops::Range<usize>, what: &str, out: &mut Collector| match parse_color(text) {
        Some(c) => rgba(c),
        None => {
            out.add(
                span,
                format!("layer `{name}`: {what} colour \"{text}\" is not #RRGGBB"),
                "write it like \"#1E90FF\"",
            );
            [0.0, 0.0, 0.0, 1.0]
        }
    };
    let range = |v: f32, lo: f32, hi: f32, span: std::ops::Range<usize>, what: &str, out: &mut Collector| {
        if !(lo..=hi).contains(&v) {
            out.add(
                span,
                format!("layer `{name}`: {what} {v} is out of range"),
                format!("use {lo} to {hi}"),
            );
        }
        v.clamp(lo, hi)
    };
    if let Some(b) = &l.border {
        let v = b.get_ref();
        let w = range(v.width, 0.0, 200.0, b.span(), "border width", out);
        st.border = Some((w, color(&v.color, b.span(), "border", out)));
    }
    if let Some(s) = &l.shadow {
        let v = s.get_ref();
        let blur = range(v.blur, 0.0, 200.0, s.span(), "shadow blur", out);
        let opacity = range(v.opacity, 0.0, 1.0, s.span(), "shadow opacity", out);
        let mut c = color(&v.color, s.span(), "shadow", out);
        c[3] = opacity;
        st.shadow = Some(ShadowStyle {
            offset: [v.x, v.y],
            blur,
            color: c,
        });
    }
    if let Some(c) = &l.color {
        let v = c.get_ref();
        st.brightness = range(v.brightness, -1.0, 1.0, c.span(), "brightness", out);
        st.contrast = range(v.contrast, 0.0, 4.0, c.span(), "contrast", out);
        st.saturation = range(v.saturation, 0.0, 4.0, c.span(), "saturation", out);
        st.gamma = range(v.gamma, 0.1, 10.0, c.span(), "gamma", out);
    }
    if let Some(k) = &l.chroma_key {
        let v = k.get_ref();
        let c = color(&v.color, k.span(), "chroma key", out);
        st.chroma_key = Some(ChromaKeyStyle {
            color: [c[0], c[1], c[2]],
            similarity: range(v.similarity, 0.0, 1.0, k.span(), "similarity", out),
            smoothness: range(v.smoothness, 0.0, 1.0, k.span(), "smoothness", out),
            spill: range(v.spill, 0.0, 1.0, k.span(), "spill", out),
        });
    }
    st
}

fn rgba(c: u32) -> [f32; 4] {
    [
        ((c >> 16) & 0xff) as f32 / 255.0,
        ((c >> 8) & 0xff) as f32 / 255.0,
        (c & 0xff) as f32 / 255.0,
        1.0,
    ]
}

/// "#RRGGBB" (show files take no alpha here), through the one hex parser.
fn parse_color(s: &str) -> Option<u32> {
    let [r, g, b, _] = showroom_graphics::paint::parse_hex(s).filter(|_| s.len() == 7)?;
    Some(u32::from_be_bytes([0, r, g, b]))
}

/// Splits an RTMP(S) URL into (scheme, host, path) or says what is wrong.
pub fn split_url(url: &str) -> Result<(&str, &str, &str), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!("\"{url}\" is not a URL"));
    };
    if scheme != "rtmp" && scheme != "rtmps" {
        return Err(format!("scheme `{scheme}://` is not supported (rtmp:// or rtmps://)"));
    }
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() {
        return Err(format!("\"{url}\" has no server name"));
    }
    if path.trim_matches('/').is_empty() {
        return Err(format!("\"{url}\" has no application path (like /live)"));
    }
    Ok((scheme, host, path))
}

/// Splits an SRT caller URL `srt://host:port` into (host, port) or says
/// what is wrong. Options are show-file keys, never URL queries: a
/// passphrase in the URL would be a secret in the show file.
pub fn split_srt_url(url: &str) -> Result<(&str, u16), String> {
    let Some(rest) = url.strip_prefix("srt://") else {
        return Err(format!("\"{url}\" is not an srt:// URL"));
    };
    if let Some((_, query)) = rest.split_once('?') {
        return Err(if query.contains("passphrase") {
            "the SRT passphrase is written in the URL".to_string()
        } else {
            "SRT options are not taken in the URL".to_string()
        });
    }
    let hostport = rest.trim_end_matches('/');
    let Some((host, port)) = hostport.rsplit_once(':') else {
        return Err(format!("\"{url}\" has no port (srt://relay.example.com:9000)"));
    };
    if host.is_empty() || host.contains('/') {
        return Err(format!("\"{url}\" has no server name (srt://relay.example.com:9000)"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok((host, p)),
        _ => Err(format!("\"{url}\": `{port}` is not a port number")),
    }
}

/// What to do about a bad SRT destination URL.
fn srt_hint(e: &str) -> &'static str {
    if e.contains("passphrase") {
        "take it out of the URL: keep it with `showroom key set NAME` and write key = { keyring = \"NAME\" }"
    } else if e.contains("options") {
        "take the ?... part out of the URL; set latency_ms = 500 on the destination"
    } else {
        "use the relay's address, e.g. url = \"srt://relay.example.com:9000\""
    }
}

fn destination(
    d: &model::Destination,
    show: &Show,
    canvas_ids: &[&str],
    broken: &HashSet<String>,
    base: &Path,
    out: &mut Collector,
) -> Option<DestinationSpec> {
    let id = d.id.get_ref();
    let platform = *d.platform.get_ref();
    let preset = presets::preset(platform);
    let mut ok = true;
    let canvas = show.canvas_index(d.canvas.get_ref());
    if canvas.is_none() && !broken.contains(d.canvas.get_ref()) {
        ok = false;
        out.add(
            d.canvas.span(),
            format!("destination `{id}`: no canvas with id `{}`", d.canvas.get_ref()),
            hint_or(
                suggest(d.canvas.get_ref(), canvas_ids),
                "define it in a [[canvases]] table",
            ),
        );
    }
    let srt = d.url.get_ref().starts_with("srt://");
    if srt {
        if let Err(e) = split_srt_url(d.url.get_ref()) {
            ok = false;
            out.add(d.url.span(), format!("destination `{id}`: {e}"), srt_hint(&e));
        } else if platform != Platform::Custom {
            ok = false;
            out.add(
                d.platform.span(),
                format!("destination `{id}`: {} takes RTMP(S), not SRT", preset.name),
                "SRT goes to your own relay: set platform = \"custom\" (the relay show sends to the platform)",
            );
        }
    } else if let Some(l) = &d.latency_ms {
        ok = false;
        out.add(
            l.span(),
            format!("destination `{id}`: latency_ms is for SRT destinations (srt://…)"),
            "remove latency_ms, or send to an srt:// relay",
        );
    }
    if let Some(l) = &d.latency_ms
        && !(20..=8000).contains(l.get_ref())
    {
        ok = false;
        out.add(
            l.span(),
            format!("destination `{id}`: latency_ms = {} is outside 20–8000", l.get_ref()),
            "use about four round trips of the link: 500 for most uplinks, 1000–2000 for mobile",
        );
    }
    match if srt {
        Ok(("srt", "", ""))
    } else {
        split_url(d.url.get_ref())
    } {
        Err(e) => {
            ok = false;
            out.add(
                d.url.span(),
                format!("destination `{id}`: {e}"),
                format!("use the server URL the platform gives, e.g. {}", preset.example_url),
            );
        }
        Ok((scheme, _, _)) => {
            if preset.rtmps_only && scheme == "rtmp" {
                ok = false;
                out.add(
                    d.url.span(),
                    format!("destination `{id}`: {} only accepts RTMPS", preset.name),
                    format!("use rtmps:// (e.g. {})", preset.example_url),
                );
            }
        }
    }
    let key = match &d.key {
        None if platform == Platform::Custom => KeyRef::None,
        None => {
            ok = false;
            out.add(
                d.id.span(),
                format!("destination `{id}`: no stream key reference"),
                format!("run `showroom key set {id}` and add key = {{ keyring = \"{id}\" }}"),
            );
            KeyRef::None
        }
        Some(k) => match key_on_air(k, base, format!("destination `{id}`"), out) {
            Ok(r) => r,
            Err((msg, hint)) => {
                ok = false;
                out.add(k.span(), format!("destination `{id}`: {msg}"), hint);
                KeyRef::None
            }
        },
    };
    if let Some(ci) = canvas {
        let c = &show.canvases[ci];
        let long = c.width.max(c.height);
        let problem = match preset.orientation {
            Orientation::Portrait if c.width >= c.height => Some(format!(
                "{} takes a portrait (vertical) picture, canvas `{}` is {}×{}",
                preset.name, c.id, c.width, c.height
            )),
            Orientation::Landscape if c.width <= c.height => Some(format!(
                "{} takes a landscape picture, canvas `{}` is {}×{}",
                preset.name, c.id, c.width, c.height
            )),
            _ if long > preset.max_long_edge => Some(format!(
                "{} takes at most {} pixels on the long edge, canvas `{}` is {}×{}",
                preset.name, preset.max_long_edge, c.id, c.width, c.height
            )),
            _ => None,
        };
        if let Some(p) = problem {
            ok = false;
            out.add(
                d.canvas.span(),
                format!("destination `{id}`: {p}"),
                "send it a canvas of the right shape (portrait 720×1280, landscape 1280×720)",
            );
        }
        if c.fps > preset.max_fps {
            ok = false;
            out.add(
                d.canvas.span(),
                format!(
                    "destination `{id}`: {} takes at most {} fps, canvas `{}` runs at {}",
                    preset.name, preset.max_fps, c.id, c.fps
                ),
                format!("set fps = {} on that canvas", preset.max_fps),
            );
        }
    }
    if let Some(b) = &d.video_bitrate {
        let v = *b.get_ref();
        if !(preset.min_kbps..=preset.max_kbps).contains(&v) {
            ok = false;
            out.add(
                b.span(),
                format!("destination `{id}`: {v} kb/s is outside what {} takes", preset.name),
                format!("use {}–{} kb/s", preset.min_kbps, preset.max_kbps),
            );
        }
    }
    if !ok {
        return None;
    }
    Some(DestinationSpec {
        id: id.clone(),
        platform,
        canvas: canvas?,
        url: d.url.get_ref().clone(),
        key,
        video_kbps: d.video_bitrate.as_ref().map(|b| *b.get_ref()),
        latency_ms: d.latency_ms.as_ref().map(|l| *l.get_ref()),
        primary: d.primary.unwrap_or(false),
    })
}

/// A key reference read, and noted for `check` to verify on this machine
/// (it resolves, others cannot read it) as `what`.
fn key_on_air(
    k: &Spanned<toml::Value>,
    base: &Path,
    what: String,
    out: &mut Collector,
) -> Result<KeyRef, (String, String)> {
    let r = key_ref(k.get_ref(), base)?;
    out.on_air(k.span(), super::on_air::Check::Key { what, key: r.clone() });
    Ok(r)
}

pub(super) fn key_ref(v: &toml::Value, base: &Path) -> Result<KeyRef, (String, String)> {
    match v {
        toml::Value::String(_) => Err((
            "a stream key is written in the show file".into(),
            "never put keys in show files: run `showroom key set NAME` and write key = { keyring = \"NAME\" } (or { env = \"NAME\" } / { file = \"path\" })".into(),
        )),
        toml::Value::Table(t) => {
            let mut it = t.iter();
            match (it.next(), it.next()) {
                (Some((k, toml::Value::String(s))), None) if k == "keyring" => Ok(KeyRef::Keyring(s.clone())),
                (Some((k, toml::Value::String(s))), None) if k == "env" => Ok(KeyRef::Env(s.clone())),
                (Some((k, toml::Value::String(s))), None) if k == "file" => Ok(KeyRef::File(base.join(s))),
                (Some((k, _)), None) if !["keyring", "env", "file"].contains(&k.as_str()) => Err((
                    format!("unknown key reference `{k}`"),
                    suggest(k, &["keyring", "env", "file"]),
                )),
                _ => Err((
                    "the key reference must be { keyring = \"NAME\" }, { env = \"NAME\" } or { file = \"path\" }".into(),
                    "name exactly one place the key comes from".into(),
                )),
            }
        }
        _ => Err((
            "the key reference must be { keyring = \"NAME\" }, { env = \"NAME\" } or { file = \"path\" }".into(),
            "see docs/show-format.md".into(),
        )),
    }
}
