//! A source's `audio = { ... }` and the show's `[audio]`, checked and
//! resolved into mixer settings.

use super::AudioSpec;
use super::diagnostics::Collector;
use super::model::{AudioDef, AudioMaster};
use showroom_audio::InputSettings;
use showroom_audio::dsp::{CompressorSettings, VoiceSettings};
use toml::Spanned;

/// `voice = true | false | { highpass, denoise, gate, compressor }`.
fn voice(v: &toml::Value, defaults: &VoiceSettings) -> Result<VoiceSettings, String> {
    let speech = VoiceSettings::speech();
    match v {
        toml::Value::Boolean(true) => Ok(speech),
        toml::Value::Boolean(false) => Ok(VoiceSettings::off()),
        toml::Value::Table(t) => {
            let mut s = defaults.clone();
            for (k, v) in t {
                match (k.as_str(), v) {
                    ("highpass", toml::Value::Boolean(on)) => s.highpass_hz = on.then_some(80.0),
                    ("highpass", v) => {
                        let hz = number(v).filter(|hz| (20.0..=400.0).contains(hz));
                        s.highpass_hz =
                            Some(hz.ok_or("voice.highpass: give a frequency of 20 to 400 (Hz), or true / false")?);
                    }
                    ("denoise", toml::Value::Boolean(on)) => s.denoise = *on,
                    ("gate", toml::Value::Boolean(on)) => s.gate_db = on.then_some(-50.0),
                    ("gate", v) => {
                        let db = number(v).filter(|db| (-90.0..=-10.0).contains(db));
                        s.gate_db =
                            Some(db.ok_or("voice.gate: give a threshold of -90 to -10 (dBFS), or true / false")?);
                    }
                    ("compressor", toml::Value::Boolean(on)) => {
                        s.compressor = on.then(CompressorSettings::default);
                    }
                    ("compressor", toml::Value::Table(c)) => s.compressor = Some(compressor(c)?),
                    (k, _) => {
                        return Err(format!(
                            "voice: `{k}` is not a stage or has the wrong type — use highpass (Hz), denoise (true/false), gate (dBFS), compressor (true/false or a table)"
                        ));
                    }
                }
            }
            Ok(s)
        }
        _ => Err("voice: write true, false, or a table like { denoise = true, gate = -45 }".into()),
    }
}

fn number(v: &toml::Value) -> Option<f32> {
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .map(|f| f as f32)
}

fn compressor(t: &toml::Table) -> Result<CompressorSettings, String> {
    let mut c = CompressorSettings::default();
    for (k, v) in t {
        let n = number(v).ok_or_else(|| format!("voice.compressor.{k}: give a number"))?;
        let (field, range) = match k.as_str() {
            "threshold_db" => (&mut c.threshold_db, -60.0..=0.0),
            "ratio" => (&mut c.ratio, 1.0..=20.0),
            "attack_ms" => (&mut c.attack_ms, 0.1..=200.0),
            "release_ms" => (&mut c.release_ms, 5.0..=2000.0),
            "makeup_db" => (&mut c.makeup_db, 0.0..=24.0),
            other => {
                return Err(format!(
                    "voice.compressor: `{other}` is not a setting — use threshold_db, ratio, attack_ms, release_ms, makeup_db"
                ));
            }
        };
        if !range.contains(&n) {
            return Err(format!(
                "voice.compressor.{k} = {n}: use {} to {}",
                range.start(),
                range.end()
            ));
        }
        *field = n;
    }
    Ok(c)
}

/// A source's mixer settings; `defaults` by kind (microphones: speech).
pub fn input(def: Option<&Spanned<AudioDef>>, defaults: InputSettings, id: &str, out: &mut Collector) -> InputSettings {
    let Some(def) = def else { return defaults };
    let span = def.span();
    let d = def.get_ref();
    let mut s = defaults;
    let mut bad = |what: String| {
        out.add(
            span.clone(),
            format!("source `{id}`: audio.{what}"),
            "see docs/audio.md",
        )
    };
    if let Some(g) = d.gain_db {
        if (-60.0..=24.0).contains(&g) {
            s.gain_db = g;
        } else {
            bad(format!("gain_db = {g}: use -60 to 24"));
        }
    }
    if let Some(p) = d.pan {
        if (-1.0..=1.0).contains(&p) {
            s.pan = p;
        } else {
            bad(format!("pan = {p}: use -1.0 (left) to 1.0 (right)"));
        }
    }
    if let Some(o) = d.offset_ms {
        let max = showroom_audio::mixer::MAX_OFFSET_MS;
        if (-max..=max).contains(&o) {
            s.offset_ms = o;
        } else {
            bad(format!("offset_ms = {o}: use -{max} to {max}"));
        }
    }
    if let Some(m) = d.mute {
        s.mute = m;
    }
    if let Some(v) = &d.voice {
        match voice(v, &s.voice) {
            Ok(v) => s.voice = v,
            Err(e) => bad(e),
        }
    }
    s
}

pub fn master(raw: Option<&AudioMaster>, out: &mut Collector) -> AudioSpec {
    let mut a = AudioSpec::default();
    let Some(raw) = raw else { return a };
    if let Some(t) = &raw.target_lufs {
        if (-40.0..=-5.0).contains(t.get_ref()) {
            a.target_lufs = *t.get_ref();
        } else {
            out.add(
                t.span(),
                format!("[audio] target_lufs = {}: use -40 to -5", t.get_ref()),
                "-16 LUFS suits live streams on phones; -14 is louder",
            );
        }
    }
    if let Some(m) = &raw.monitor {
        match m.get_ref() {
            toml::Value::Boolean(true) => a.monitor = Some(None),
            toml::Value::Boolean(false) => a.monitor = None,
            toml::Value::String(name) => a.monitor = Some(Some(name.clone())),
            _ => out.add(
                m.span(),
                "[audio] monitor: write true (the system's output), false, or an output's name",
                "`showroom devices` lists outputs",
            ),
        }
    }
    if let Some(c) = &raw.ceiling_dbtp {
        if (-12.0..=0.0).contains(c.get_ref()) {
            a.ceiling_dbtp = *c.get_ref();
        } else {
            out.add(
                c.span(),
                format!("[audio] ceiling_dbtp = {}: use -12 to 0", c.get_ref()),
                "-1 dBTP leaves room for the platforms' AAC encoders",
            );
        }
    }
    a
}
