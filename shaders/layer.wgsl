// Draws one layer (a source picture) into a canvas.
//
// Sources arrive in their own planes (RGBA, I420, NV12, YUY2, UYVY) and are
// converted to RGB here with the source's matrix and range. The quad covers
// the layer's content rectangle plus a margin for its shadow, rotated about
// the content centre. In the fragment stage a rounded-rectangle distance
// gives the anti-aliased edge, the inner border and the soft shadow.
//
// Blending space: gamma-encoded (non-linear) RGB, premultiplied alpha; the
// canvas blends with (One, OneMinusSrcAlpha). The encoder converts from the
// same space, so what is composited is what is sent.

struct Layer {
    geom0: vec4<f32>,        // canvas w, h; centre x, y
    geom1: vec4<f32>,        // half w, half h; margin; rotation (rad)
    uv: vec4<f32>,           // u0, v0, u1, v1
    misc: vec4<f32>,         // opacity, radius, border width, colour correction on
    border_color: vec4<f32>,
    shadow_color: vec4<f32>, // rgb, opacity
    shadow: vec4<f32>,       // dx, dy, blur, enabled
    adjust: vec4<f32>,       // brightness, contrast, saturation, gamma
    key_color: vec4<f32>,    // rgb, enabled
    key: vec4<f32>,          // similarity, smoothness, spill
    format: vec4<u32>,       // format, matrix, full range, opaque
    down: vec4<f32>,         // level of detail (mip level; 0 = full size)
};

// Pipeline constants: each (format, features) pair gets its own compiled
// pipeline, so a software renderer (which runs every branch of a SIMD
// group) only pays for what a layer uses.
// 0 RGBA/RGBx/BGRA/BGRx, 1 I420, 2 NV12, 3 YUY2, 4 UYVY.
override FORMAT: u32 = 0u;
// Bits: 1 rounded corners / border, 2 shadow, 4 chroma key, 8 colour correction.
override FEATURES: u32 = 0u;

@group(0) @binding(0) var<uniform> layer: Layer;
@group(0) @binding(1) var tex0: texture_2d<f32>;
@group(0) @binding(2) var tex1: texture_2d<f32>;
@group(0) @binding(3) var tex2: texture_2d<f32>;
@group(0) @binding(4) var samp: sampler;

struct VsOut {
    @builtin(position) pos: vec4<f32>,
    // Position relative to the content centre, before rotation (px).
    @location(0) local: vec2<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> VsOut {
    let corner = array<vec2<f32>, 6>(
        vec2(0.0, 0.0), vec2(1.0, 0.0), vec2(0.0, 1.0),
        vec2(0.0, 1.0), vec2(1.0, 0.0), vec2(1.0, 1.0),
    )[i];
    let half = layer.geom1.xy;
    let extent = half + vec2(layer.geom1.z);
    let local = -extent + corner * 2.0 * extent;
    let a = layer.geom1.w;
    // Clockwise on screen (y grows downwards in canvas pixels).
    let rotated = vec2(local.x * cos(a) - local.y * sin(a), local.x * sin(a) + local.y * cos(a));
    let px = layer.geom0.zw + rotated;
    var out: VsOut;
    out.pos = vec4(px.x / layer.geom0.x * 2.0 - 1.0, 1.0 - px.y / layer.geom0.y * 2.0, 0.0, 1.0);
    out.local = local;
    return out;
}

fn rounded_rect(p: vec2<f32>, half: vec2<f32>, radius: f32) -> f32 {
    let r = min(radius, min(half.x, half.y));
    let q = abs(p) - half + vec2(r);
    return length(max(q, vec2(0.0))) + min(max(q.x, q.y), 0.0) - r;
}

fn yuv_to_rgb(y_in: f32, u_in: f32, v_in: f32) -> vec3<f32> {
    var y = y_in;
    var u = u_in - 0.5;
    var v = v_in - 0.5;
    if (layer.format.z == 0u) {
        y = (y_in * 255.0 - 16.0) / 219.0;
        u = (u_in * 255.0 - 128.0) / 224.0;
        v = (v_in * 255.0 - 128.0) / 224.0;
    }
    var kr = 0.299;
    var kb = 0.114;
    if (layer.format.y == 1u) {
        kr = 0.2126;
        kb = 0.0722;
    }
    let kg = 1.0 - kr - kb;
    let r = y + 2.0 * (1.0 - kr) * v;
    let b = y + 2.0 * (1.0 - kb) * u;
    let g = (y - kr * r - kb * b) / kg;
    return clamp(vec3(r, g, b), vec3(0.0), vec3(1.0));
}

// Packed 4:2:2 (YUY2: Y0 U Y1 V, UYVY: U Y0 V Y1) is uploaded as RGBA8 at
// half width; pick the luma of this pixel's half of the pair.
fn packed_422(uv: vec2<f32>, uyvy: bool) -> vec3<f32> {
    let size = vec2<f32>(textureDimensions(tex0));
    let texel = textureSampleLevel(tex0, samp, uv, layer.down.x);
    let odd = fract(uv.x * size.x) >= 0.5;
    if (uyvy) {
        return yuv_to_rgb(select(texel.g, texel.a, odd), texel.r, texel.b);
    }
    return yuv_to_rgb(select(texel.r, texel.b, odd), texel.g, texel.a);
}

fn sample_source(uv: vec2<f32>) -> vec4<f32> {
    switch FORMAT {
        case 1u: {
            let y = textureSampleLevel(tex0, samp, uv, layer.down.x).r;
            let u = textureSampleLevel(tex1, samp, uv, layer.down.x).r;
            let v = textureSampleLevel(tex2, samp, uv, layer.down.x).r;
            return vec4(yuv_to_rgb(y, u, v), 1.0);
        }
        case 2u: {
            let y = textureSampleLevel(tex0, samp, uv, layer.down.x).r;
            let c = textureSampleLevel(tex1, samp, uv, layer.down.x).rg;
            return vec4(yuv_to_rgb(y, c.x, c.y), 1.0);
        }
        case 3u: {
            return vec4(packed_422(uv, false), 1.0);
        }
        case 4u: {
            return vec4(packed_422(uv, true), 1.0);
        }
        default: {
            var c = textureSampleLevel(tex0, samp, uv, layer.down.x);
            if (layer.format.w == 1u) {
                c.a = 1.0;
            }
            return c;
        }
    }
}

fn luma709(c: vec3<f32>) -> f32 {
    return dot(c, vec3(0.2126, 0.7152, 0.0722));
}

fn cbcr(c: vec3<f32>) -> vec2<f32> {
    let y = luma709(c);
    return vec2((c.b - y) / 1.8556, (c.r - y) / 1.5748);
}

// Removes the key colour's cast: the key's strongest channel is limited to
// the larger of the other two, more strongly the closer a colour is to the key.
fn despill(c: vec3<f32>, strength: f32) -> vec3<f32> {
    let k = layer.key_color.rgb;
    var out = c;
    if (k.g >= k.r && k.g >= k.b) {
        out.g = mix(c.g, min(c.g, max(c.r, c.b)), strength);
    } else if (k.b >= k.r) {
        out.b = mix(c.b, min(c.b, max(c.r, c.g)), strength);
    } else {
        out.r = mix(c.r, min(c.r, max(c.g, c.b)), strength);
    }
    return out;
}

// Chroma key in CbCr: colours within `similarity` of the key are backdrop,
// a `smoothness`-wide band is soft; near-key colours lose the key's cast
// (`spill`), which removes the fringe on hair and edges.
fn chroma_key(c: vec4<f32>) -> vec4<f32> {
    let dist = distance(cbcr(c.rgb), cbcr(layer.key_color.rgb));
    let base = dist - layer.key.x * 0.5;
    let alpha = clamp(base / max(layer.key.y * 0.5, 1e-4), 0.0, 1.0);
    let near = clamp(1.0 - base / 0.6, 0.0, 1.0);
    return vec4(despill(c.rgb, layer.key.z * near), c.a * alpha);
}

fn adjust(c: vec3<f32>) -> vec3<f32> {
    let a = layer.adjust;
    var rgb = (c - vec3(0.5)) * a.y + vec3(0.5) + vec3(a.x);
    rgb = mix(vec3(luma709(rgb)), rgb, a.z);
    rgb = pow(clamp(rgb, vec3(0.0), vec3(1.0)), vec3(1.0 / a.w));
    return rgb;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let half = layer.geom1.xy;
    let t = (in.local + half) / (2.0 * half);
    var c = sample_source(mix(layer.uv.xy, layer.uv.zw, t));
    if ((FEATURES & 4u) != 0u) {
        c = chroma_key(c);
    }
    if ((FEATURES & 8u) != 0u) {
        c = vec4(adjust(c.rgb), c.a);
    }
    var content = vec4(c.rgb * c.a, c.a);
    if ((FEATURES & 3u) != 0u) {
        // Anti-aliased rounded edge, inner border.
        let radius = layer.misc.y;
        let d = rounded_rect(in.local, half, radius);
        let bw = layer.misc.z;
        if (bw > 0.0) {
            let band = clamp(d + bw + 0.5, 0.0, 1.0);
            let b = layer.border_color;
            content = mix(content, vec4(b.rgb * b.a, b.a), band);
        }
        content *= clamp(0.5 - d, 0.0, 1.0);
        if ((FEATURES & 2u) != 0u) {
            let ds = rounded_rect(in.local - layer.shadow.xy, half, radius);
            let blur = max(layer.shadow.z, 1.0);
            let a = layer.shadow_color.a * (1.0 - smoothstep(-blur * 0.5, blur * 0.5, ds));
            content += vec4(layer.shadow_color.rgb * a, a) * (1.0 - content.a);
        }
    }
    return content * layer.misc.x;
}
