//! How each input joins the mix: gain, pan, sync offset, the voice chain.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompressorSettings {
    pub threshold_db: f32,
    pub ratio: f32,
    pub attack_ms: f32,
    pub release_ms: f32,
    pub makeup_db: f32,
}

impl Default for CompressorSettings {
    /// Gentle levelling for speech.
    fn default() -> Self {
        CompressorSettings {
            threshold_db: -20.0,
            ratio: 3.0,
            attack_ms: 5.0,
            release_ms: 80.0,
            makeup_db: 3.0,
        }
    }
}

/// What an input's voice chain does; `None` / false: that stage is off.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceSettings {
    pub highpass_hz: Option<f32>,
    pub denoise: bool,
    pub gate_db: Option<f32>,
    pub compressor: Option<CompressorSettings>,
}

impl VoiceSettings {
    /// Everything off (music, clips, tones).
    pub fn off() -> VoiceSettings {
        VoiceSettings {
            highpass_hz: None,
            denoise: false,
            gate_db: None,
            compressor: None,
        }
    }

    /// Defaults tuned for speech (microphones).
    pub fn speech() -> VoiceSettings {
        VoiceSettings {
            highpass_hz: Some(80.0),
            denoise: true,
            gate_db: Some(-50.0),
            compressor: Some(CompressorSettings::default()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InputSettings {
    pub gain_db: f32,
    pub mute: bool,
    /// -1.0 (left) – 1.0 (right).
    pub pan: f32,
    /// Positive: this input is delayed (to wait for a slower camera);
    /// negative: it is taken earlier than the others.
    pub offset_ms: i32,
    pub voice: VoiceSettings,
}

impl InputSettings {
    /// No processing, unity gain (clips, tones, phones).
    pub fn plain() -> InputSettings {
        InputSettings {
            gain_db: 0.0,
            mute: false,
            pan: 0.0,
            offset_ms: 0,
            voice: VoiceSettings::off(),
        }
    }

    /// A microphone: the speech chain on.
    pub fn voice() -> InputSettings {
        InputSettings {
            voice: VoiceSettings::speech(),
            ..Self::plain()
        }
    }
}
