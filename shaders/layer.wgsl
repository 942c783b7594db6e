// Draws one layer (a source picture) into a canvas.
// Sources arrive as their own planes: RGBA, or I420 as three R8 textures that
// are converted to RGB here with the source's matrix and range. Output is
// premultiplied alpha; the canvas blends with (One, OneMinusSrcAlpha) in
// gamma-encoded (non-linear) RGB, the same space the encoder converts from.

struct Layer {
    // Destination rectangle in normalised device coordinates: x0, y0, x1, y1.
    dst: vec4<f32>,
    // Source rectangle in texture coordinates after crop: u0, v0, u1, v1.
    uv: vec4<f32>,
    opacity: f32,
    // 0 = RGBA, 1 = I420 (three planes).
    format: u32,
    // 0 = BT.601, 1 = BT.709.
    matrix: u32,
    // 0 = limited (16–235), 1 = full range.
    full_range: u32,
};

@group(0) @binding(0) var<uniform> layer: Layer;
@group(0) @binding(1) var tex_y: texture_2d<f32>;
@group(0) @binding(2) var tex_u: texture_2d<f32>;
@group(0) @binding(3) var tex_v: texture_2d<f32>;
@group(0) @binding(4) var samp: sampler;

struct VsOut {
    @builtin(position) pos: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> VsOut {
    // Two triangles: corners 0..5 of the quad.
    let corner = array<vec2<f32>, 6>(
        vec2(0.0, 0.0), vec2(1.0, 0.0), vec2(0.0, 1.0),
        vec2(0.0, 1.0), vec2(1.0, 0.0), vec2(1.0, 1.0),
    )[i];
    var out: VsOut;
    let x = mix(layer.dst.x, layer.dst.z, corner.x);
    let y = mix(layer.dst.y, layer.dst.w, corner.y);
    out.pos = vec4(x, y, 0.0, 1.0);
    out.uv = vec2(mix(layer.uv.x, layer.uv.z, corner.x), mix(layer.uv.y, layer.uv.w, corner.y));
    return out;
}

fn yuv_to_rgb(y_in: f32, u_in: f32, v_in: f32) -> vec3<f32> {
    var y = y_in;
    var u = u_in - 0.5;
    var v = v_in - 0.5;
    if (layer.full_range == 0u) {
        y = (y_in * 255.0 - 16.0) / 219.0;
        u = (u_in * 255.0 - 128.0) / 224.0;
        v = (v_in * 255.0 - 128.0) / 224.0;
    }
    var kr = 0.299;
    var kb = 0.114;
    if (layer.matrix == 1u) {
        kr = 0.2126;
        kb = 0.0722;
    }
    let kg = 1.0 - kr - kb;
    let r = y + 2.0 * (1.0 - kr) * v;
    let b = y + 2.0 * (1.0 - kb) * u;
    let g = (y - kr * r - kb * b) / kg;
    return clamp(vec3(r, g, b), vec3(0.0), vec3(1.0));
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    var rgba: vec4<f32>;
    if (layer.format == 1u) {
        let y = textureSampleLevel(tex_y, samp, in.uv, 0.0).r;
        let u = textureSampleLevel(tex_u, samp, in.uv, 0.0).r;
        let v = textureSampleLevel(tex_v, samp, in.uv, 0.0).r;
        rgba = vec4(yuv_to_rgb(y, u, v), 1.0);
    } else {
        rgba = textureSampleLevel(tex_y, samp, in.uv, 0.0);
    }
    let a = rgba.a * layer.opacity;
    return vec4(rgba.rgb * a, a);
}
