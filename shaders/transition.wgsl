// Mixes two rendered scenes (A: program before, B: after) into the canvas.
// kind: 0 cut (at progress >= cut), 1 fade, 2 slide, 3 wipe.
// dir: unit vector the incoming scene moves along (slide) or the wipe edge
// travels along (wipe), in texture coordinates.

struct Transition {
    // kind, progress 0–1, cut point 0–1, unused
    params: vec4<f32>,
    // direction x, y
    dir: vec4<f32>,
};

@group(0) @binding(0) var<uniform> tr: Transition;
@group(0) @binding(1) var scene_a: texture_2d<f32>;
@group(0) @binding(2) var scene_b: texture_2d<f32>;

// VsOut and vs_main: shaders/fullscreen.wgsl.

fn texel(t: texture_2d<f32>, uv: vec2<f32>) -> vec4<f32> {
    let size = vec2<i32>(textureDimensions(t));
    let p = clamp(vec2<i32>(uv * vec2<f32>(size)), vec2(0), size - vec2(1));
    return textureLoad(t, p, 0);
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let kind = u32(tr.params.x);
    let p = tr.params.y;
    let dir = tr.dir.xy;
    switch kind {
        case 1u: {
            return mix(texel(scene_a, in.uv), texel(scene_b, in.uv), p);
        }
        case 2u: {
            // B slides in along dir, pushing A out.
            let uv_b = in.uv + dir * (1.0 - p);
            let uv_a = in.uv - dir * p;
            let inside_b = all(uv_b >= vec2(0.0)) && all(uv_b <= vec2(1.0));
            if (inside_b) {
                return texel(scene_b, uv_b);
            }
            return texel(scene_a, uv_a);
        }
        case 3u: {
            // The edge moves along dir: where it has passed, B shows.
            let along = dot(in.uv - vec2(0.5), dir) + 0.5;
            if (along < p) {
                return texel(scene_b, in.uv);
            }
            return texel(scene_a, in.uv);
        }
        default: {
            if (p >= tr.params.z) {
                return texel(scene_b, in.uv);
            }
            return texel(scene_a, in.uv);
        }
    }
}
