// Builds one mip level from the level above: a 2×2 box average (one
// bilinear tap at the shared corner of four texels). Used so that pictures
// shrunk a lot (a 1080p camera as a small picture-in-picture) are filtered,
// not aliased.

@group(0) @binding(0) var src: texture_2d<f32>;
@group(0) @binding(1) var samp: sampler;

// VsOut and vs_main: shaders/fullscreen.wgsl.

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    return textureSampleLevel(src, samp, in.uv, 0.0);
}
