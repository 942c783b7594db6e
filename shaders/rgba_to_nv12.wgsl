// Converts the RGBA canvas to NV12 (BT.709, limited range) packed tightly in
// a storage buffer, so readback is one contiguous copy the encoder takes as
// is (x264 and the hardware encoders all work in NV12 internally).
// Each invocation writes one u32: four luma samples, or two Cb/Cr pairs.
// Chroma siting is MPEG-2 ("left"): a chroma sample sits on the even luma
// column, between the two rows, so it is filtered [1/4 1/2 1/4]
// horizontally and averaged over the two rows.
// Requires width % 8 == 0 and height % 2 == 0 (checked by `showroom check`).

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

fn px(x: i32, y: i32) -> vec3<f32> {
    let cx = clamp(x, 0, i32(dims.x) - 1);
    return textureLoad(canvas, vec2<i32>(cx, y), 0).rgb;
}

@compute @workgroup_size(8, 8)
fn y_plane(@builtin(global_invocation_id) id: vec3<u32>) {
    let words_per_row = dims.x / 4u;
    if (id.x >= words_per_row || id.y >= dims.y) {
        return;
    }
    var word = 0u;
    for (var i = 0u; i < 4u; i++) {
        let p = px(i32(id.x * 4u + i), i32(id.y));
        word |= to_byte(16.0 + 219.0 * luma(p)) << (8u * i);
    }
    out_words[id.y * words_per_row + id.x] = word;
}

@compute @workgroup_size(8, 8)
fn uv_plane(@builtin(global_invocation_id) id: vec3<u32>) {
    // One word = two chroma sites (Cb0 Cr0 Cb1 Cr1) = four luma columns.
    let words_per_row = dims.x / 4u;
    let rows = dims.y / 2u;
    if (id.x >= words_per_row || id.y >= rows) {
        return;
    }
    var word = 0u;
    for (var i = 0u; i < 2u; i++) {
        let x = i32((id.x * 2u + i) * 2u);
        var c = vec3(0.0);
        for (var r = 0; r < 2; r++) {
            let y = i32(id.y * 2u) + r;
            c += 0.25 * px(x - 1, y) + 0.5 * px(x, y) + 0.25 * px(x + 1, y);
        }
        c *= 0.5;
        let yl = luma(c);
        let cb = (c.b - yl) / (2.0 * (1.0 - KB));
        let cr = (c.r - yl) / (2.0 * (1.0 - KR));
        word |= to_byte(128.0 + 224.0 * cb) << (16u * i);
        word |= to_byte(128.0 + 224.0 * cr) << (16u * i + 8u);
    }
    let luma_words = dims.x * dims.y / 4u;
    out_words[luma_words + id.y * words_per_row + id.x] = word;
}
