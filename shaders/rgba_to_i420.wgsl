// Converts the RGBA canvas to I420 (BT.709, limited range) packed tightly in a
// storage buffer, so readback is one contiguous copy the encoder takes as is.
// Each invocation writes one u32: four luma samples, or four chroma samples.
// Chroma is the average of each 2×2 block (centre-sited); the compositor issue
// refines siting. Requires width % 8 == 0 and height % 2 == 0 (checked by
// `showroom check`).

@group(0) @binding(0) var canvas: texture_2d<f32>;
@group(0) @binding(1) var<storage, read_write> out_words: array<u32>;
// x = width, y = height.
@group(0) @binding(2) var<uniform> dims: vec4<u32>;

const KR: f32 = 0.2126;
const KB: f32 = 0.0722;
const KG: f32 = 0.7152;

fn to_byte(v: f32) -> u32 {
    return u32(clamp(round(v), 0.0, 255.0));
}

fn luma(c: vec3<f32>) -> f32 {
    return dot(c, vec3(KR, KG, KB));
}

@compute @workgroup_size(8, 8)
fn y_plane(@builtin(global_invocation_id) id: vec3<u32>) {
    let words_per_row = dims.x / 4u;
    if (id.x >= words_per_row || id.y >= dims.y) {
        return;
    }
    var word = 0u;
    for (var i = 0u; i < 4u; i++) {
        let p = textureLoad(canvas, vec2<i32>(i32(id.x * 4u + i), i32(id.y)), 0).rgb;
        word |= to_byte(16.0 + 219.0 * luma(p)) << (8u * i);
    }
    out_words[id.y * words_per_row + id.x] = word;
}

@compute @workgroup_size(8, 8)
fn uv_planes(@builtin(global_invocation_id) id: vec3<u32>) {
    let words_per_row = dims.x / 8u;
    let rows = dims.y / 2u;
    if (id.x >= words_per_row || id.y >= rows) {
        return;
    }
    var wu = 0u;
    var wv = 0u;
    for (var i = 0u; i < 4u; i++) {
        let cx = i32((id.x * 4u + i) * 2u);
        let cy = i32(id.y * 2u);
        let c = (textureLoad(canvas, vec2(cx, cy), 0).rgb
            + textureLoad(canvas, vec2(cx + 1, cy), 0).rgb
            + textureLoad(canvas, vec2(cx, cy + 1), 0).rgb
            + textureLoad(canvas, vec2(cx + 1, cy + 1), 0).rgb) * 0.25;
        let y = luma(c);
        let cb = (c.b - y) / (2.0 * (1.0 - KB));
        let cr = (c.r - y) / (2.0 * (1.0 - KR));
        wu |= to_byte(128.0 + 224.0 * cb) << (8u * i);
        wv |= to_byte(128.0 + 224.0 * cr) << (8u * i);
    }
    let luma_words = dims.x * dims.y / 4u;
    let plane_words = luma_words / 4u;
    out_words[luma_words + id.y * words_per_row + id.x] = wu;
    out_words[luma_words + plane_words + id.y * words_per_row + id.x] = wv;
}
