//! The mixer and voice chain on generated signals (and on speech made with
//! espeak-ng): gain law, mute, pan, the limiter's ceiling (never exceeded,
//! by sample or by true peak), noise suppression that takes noise down by
//! 15 dB or more while speech stays within 3 dB, and the meters.

use showroom::audio::dsp::VoiceSettings;
use showroom::audio::ring::AudioRing;
use showroom::audio::{InputSettings, Mixer};
use std::process::Command;
use std::sync::Arc;

const BLOCK: usize = 960;

/// Stereo interleaved sine at `db` dBFS peak.
fn sine(freq: f32, db: f32, seconds: f32) -> Vec<f32> {
    let a = 10f32.powf(db / 20.0);
    (0..(48_000.0 * seconds) as usize)
        .flat_map(|i| {
            let v = a * (2.0 * std::f32::consts::PI * freq * i as f32 / 48_000.0).sin();
            [v, v]
        })
        .collect()
}

/// Deterministic white noise at `db` dBFS RMS, the same in both channels.
fn noise(db: f32, seconds: f32) -> Vec<f32> {
    let mut x: u32 = 0x1234_5678;
    let scale = 10f32.powf(db / 20.0) * 3f32.sqrt();
    (0..(48_000.0 * seconds) as usize)
        .flat_map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = (x as f32 / u32::MAX as f32 * 2.0 - 1.0) * scale;
            [v, v]
        })
        .collect()
}

/// Everything through one input of a fresh mixer; the output, same length.
fn through(settings: InputSettings, signal: &[f32]) -> Vec<f32> {
    let mut mixer = Mixer::new(-1.0, 0);
    let ring = Arc::new(AudioRing::default());
    mixer.add_input("in", ring.clone(), settings);
    let mut out = Vec::with_capacity(signal.len());
    for chunk in signal.chunks(BLOCK * 2) {
        ring.push(chunk);
        out.extend(mixer.mix(chunk.len() / 2));
    }
    out
}

fn rms_db(s: &[f32]) -> f32 {
    let sq: f64 = s.iter().map(|v| (*v as f64).powi(2)).sum();
    (10.0 * (sq / s.len() as f64).log10()) as f32
}

fn left(s: &[f32]) -> Vec<f32> {
    s.iter().step_by(2).copied().collect()
}

fn plain() -> InputSettings {
    InputSettings::plain()
}

#[test]
fn gain_is_in_decibels_and_mute_silences() {
    let input = sine(1000.0, -20.0, 1.0);
    let skip = 48_000; // the first half second (the limiter's delay, settling)
    let base = rms_db(&through(plain(), &input)[skip..]);
    for g in [-12.0f32, -6.0, 6.0, 12.0] {
        let out = through(InputSettings { gain_db: g, ..plain() }, &input);
        let delta = rms_db(&out[skip..]) - base;
        assert!((delta - g).abs() < 0.05, "gain {g} dB gave {delta:.3} dB");
    }
    let muted = through(InputSettings { mute: true, ..plain() }, &input);
    assert!(muted.iter().all(|v| *v == 0.0), "a muted input reached the mix");
}

#[test]
fn pan_moves_an_input_between_the_channels_at_constant_power() {
    let input = sine(500.0, -20.0, 0.5);
    let skip = 24_000;
    let centre = through(plain(), &input);
    let hard_left = through(InputSettings { pan: -1.0, ..plain() }, &input);
    let r: Vec<f32> = hard_left[skip..].iter().skip(1).step_by(2).copied().collect();
    assert!(
        r.iter().all(|v| v.abs() < 1e-6),
        "hard left leaks into the right channel"
    );
    // Constant power: hard left is +3 dB on the left over the centre.
    let d = rms_db(&left(&hard_left[skip..])) - rms_db(&left(&centre[skip..]));
    assert!((d - 3.01).abs() < 0.05, "{d}");
}

#[test]
fn the_limiter_never_lets_the_mix_over_its_ceiling() {
    // Loud sines near Nyquist/4 (inter-sample peaks), a full-scale square
    // and noise 12 dB over full scale.
    let mut loud = sine(11_025.0, 6.0, 1.0);
    loud.extend((0..48_000).flat_map(|i| if (i / 40) % 2 == 0 { [1.0, 1.0] } else { [-1.0, -1.0] }));
    loud.extend(noise(0.0, 1.0).iter().map(|v| v * 4.0));
    let two = |s: &[f32]| -> Vec<f32> { s.to_vec() };
    let mut mixer = Mixer::new(-1.0, 0);
    let rings: Vec<Arc<AudioRing>> = (0..2).map(|_| Arc::new(AudioRing::default())).collect();
    for (i, r) in rings.iter().enumerate() {
        mixer.add_input(&format!("in{i}"), r.clone(), plain());
    }
    let mut out = Vec::new();
    for chunk in two(&loud).chunks(BLOCK * 2) {
        for r in &rings {
            r.push(chunk);
        }
        out.extend(mixer.mix(chunk.len() / 2));
    }
    let ceiling = 10f32.powf(-1.0 / 20.0);
    let peak = out.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(peak <= ceiling, "sample peak {peak} over the ceiling {ceiling}");
    let mut ebu = ebur128::EbuR128::new(2, 48_000, ebur128::Mode::TRUE_PEAK).unwrap();
    ebu.add_frames_f32(&out).unwrap();
    for c in 0..2 {
        let tp = 20.0 * ebu.true_peak(c).unwrap().log10();
        assert!(tp <= -1.0, "true peak {tp:.2} dBTP over the -1 dBTP ceiling");
    }
    // Quiet parts pass untouched (after the limiter's release).
    let quiet = through(plain(), &sine(1000.0, -20.0, 1.0));
    let d = rms_db(&quiet[48_000..]) - (-20.0 - 3.01);
    assert!(d.abs() < 0.05, "the limiter changed a -20 dBFS sine by {d} dB");
}

fn denoise_only() -> InputSettings {
    InputSettings {
        voice: VoiceSettings {
            denoise: true,
            ..VoiceSettings::off()
        },
        ..plain()
    }
}

/// Speech made with espeak-ng, as 48 kHz stereo.
fn speech() -> Vec<f32> {
    let dir = std::env::temp_dir().join(format!("showroom-speech-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("speech.wav");
    let st = Command::new("espeak-ng")
        .args(["-s", "150", "-w"])
        .arg(&wav)
        .arg("Welcome back everyone. This linen shirt is thirty nine dollars today, and we only have three left in medium.")
        .status()
        .expect("espeak-ng missing (packaging/install-deps.sh --test installs it)");
    assert!(st.success());
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&wav)
        .args(["-ar", "48000", "-ac", "2", "-f", "f32le", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
    bytemuck::pod_collect_to_vec(&out.stdout)
}

#[test]
fn noise_suppression_takes_noise_down_and_leaves_speech() {
    // Room noise: fan and air-conditioning rumble (brown), and a quieter
    // pink hiss. After a second for RNNoise to learn it.
    for (what, n, min_drop) in [
        ("fan rumble at -40 dBFS", brown(&noise(-40.0, 4.0)), 15.0),
        ("pink hiss at -50 dBFS", pink(&noise(-50.0, 4.0)), 15.0),
    ] {
        let out = through(denoise_only(), &n);
        let drop = rms_db(&n[96_000..]) - rms_db(&out[96_000..]);
        assert!(drop >= min_drop, "{what}: only {drop:.1} dB down");
    }

    let s = speech();
    assert!(s.len() > 48_000 * 2 * 3, "espeak-ng made {} samples", s.len());
    let out = through(denoise_only(), &s);
    let change = rms_db(&out) - rms_db(&s);
    assert!(change.abs() <= 3.0, "speech changed by {change:.1} dB");
}

#[test]
fn meters_read_level_and_loudness() {
    let mut mixer = Mixer::new(-1.0, 0);
    let ring = Arc::new(AudioRing::default());
    mixer.add_input("tone", ring.clone(), plain());
    let tone = sine(1000.0, -20.0, 5.0);
    for chunk in tone.chunks(BLOCK * 2) {
        ring.push(chunk);
        mixer.mix(BLOCK);
    }
    let i = &mixer.inputs()[0].levels;
    assert!((i.peak_db - -20.0).abs() < 0.1, "{i:?}");
    assert!((i.rms_db - -23.01).abs() < 0.1, "{i:?}");
    // A 1 kHz stereo sine at -20 dBFS peak is -20 LUFS: -23 dB RMS per
    // channel, +3 dB for two channels, K-weighting's +0.69 dB at 1 kHz
    // cancelled by BS.1770's -0.691 offset.
    let m = mixer.master();
    assert!((m.momentary_lufs - -20.0).abs() < 0.3, "{m:?}");
    assert!((m.short_term_lufs - -20.0).abs() < 0.3, "{m:?}");
    let integrated = mixer.integrated_lufs().unwrap();
    assert!((integrated - -20.0).abs() < 0.3, "{integrated}");
}

/// Pink (1/f) noise from white: Paul Kellet's economy filter.
fn pink(white: &[f32]) -> Vec<f32> {
    let (mut b0, mut b1, mut b2) = (0f32, 0f32, 0f32);
    white
        .chunks(2)
        .flat_map(|c| {
            let w = c[0];
            b0 = 0.99765 * b0 + w * 0.0990460;
            b1 = 0.96300 * b1 + w * 0.2965164;
            b2 = 0.57000 * b2 + w * 1.0526913;
            let v = (b0 + b1 + b2 + w * 0.1848) * 0.25;
            [v, v]
        })
        .collect()
}

/// Brown (1/f²) noise from white, normalised to the white noise's level.
fn brown(white: &[f32]) -> Vec<f32> {
    let mut acc = 0f32;
    let raw: Vec<f32> = white
        .chunks(2)
        .flat_map(|c| {
            acc = acc * 0.995 + c[0] * 0.1;
            [acc, acc]
        })
        .collect();
    let k = 10f32.powf((rms_db(white) - rms_db(&raw)) / 20.0);
    raw.iter().map(|v| v * k).collect()
}

/// Two clocks for ten minutes of audio: a "48 kHz" microphone that really
/// runs at 48 010 Hz, read by the mixer at exactly 48 000. The drift
/// corrector keeps the ring bounded and never empty, and the sine comes out
/// without a jump.
#[test]
fn a_drifting_device_clock_is_followed_without_gaps_or_growth() {
    use showroom::audio::resample::DriftResampler;
    use std::sync::atomic::Ordering;
    for device_hz in [48_000.0f64, 48_010.0, 47_990.0] {
        let ring = AudioRing::default();
        let mut r = DriftResampler::new(48_000).unwrap();
        let (mut t_dev, mut t_mix) = (0.0f64, 0.04f64);
        let mut phase = 0f64;
        let mut max_fill = 0usize;
        let mut last = None::<f32>;
        let mut max_step = 0f32;
        let mut underrun_after_settling = 0u64;
        let seconds = 600.0;
        while t_mix < seconds {
            if t_dev <= t_mix {
                // One 10 ms device callback of a 440 Hz sine at the device's real rate.
                let block: Vec<f32> = (0..480)
                    .flat_map(|_| {
                        let v = (0.5 * phase.sin()) as f32;
                        phase = (phase + 2.0 * std::f64::consts::PI * 440.0 / 48_000.0) % std::f64::consts::TAU;
                        [v, v]
                    })
                    .collect();
                r.push(&block, &ring);
                t_dev += 480.0 / device_hz;
            } else {
                let before = ring.underrun.load(Ordering::Relaxed);
                let mut out = vec![0f32; 1920];
                ring.mix_into(&mut out);
                if t_mix > 10.0 {
                    underrun_after_settling += ring.underrun.load(Ordering::Relaxed) - before;
                    for s in out.iter().step_by(2) {
                        if let Some(l) = last {
                            max_step = max_step.max((s - l).abs());
                        }
                        last = Some(*s);
                    }
                    max_fill = max_fill.max(ring.len());
                }
                t_mix += 0.02;
            }
        }
        assert_eq!(underrun_after_settling, 0, "{device_hz} Hz: the ring ran dry");
        assert_eq!(
            ring.overflow.load(Ordering::Relaxed),
            0,
            "{device_hz} Hz: samples were dropped"
        );
        assert!(
            max_fill < 48_000 / 5 * 2,
            "{device_hz} Hz: the ring grew to {max_fill} samples"
        );
        // A 440 Hz sine of amplitude 0.5 moves at most 0.029 per sample.
        assert!(max_step < 0.035, "{device_hz} Hz: a jump of {max_step} in the sine");
        let expected = 48_000.0 / device_hz;
        assert!(
            (r.correction - expected).abs() < 1e-4,
            "{device_hz} Hz: correction {} vs {expected}",
            r.correction
        );
    }
}
