// Builds mip level LEVEL straight from level 0: the box average of the block
// of level-0 texels each output pixel covers, taken as TAPS×TAPS bilinear
// taps (a tap on a texel corner averages 2×2 texels). Pictures shrunk a lot
// (a 1080p camera as a small picture-in-picture) are filtered, not aliased,
// and only the level a layer samples is made.

override LEVEL: u32 = 1u;

@group(0) @binding(0) var src: texture_2d<f32>;
@group(0) @binding(1) var samp: sampler;

// VsOut and vs_main: shaders/fullscreen.wgsl.

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let taps = 1u << (LEVEL - 1u);
    let full = vec2<f32>(textureDimensions(src, 0));
    // Sizes of level LEVEL, as the texture has them (rounded down).
    let dst = max(floor(full / f32(1u << LEVEL)), vec2(1.0));
    // Level-0 texels per output pixel: 2^LEVEL, or close to it at odd sizes.
    let scale = full / dst;
    let origin = floor(in.pos.xy) * scale;
    var sum = vec4(0.0);
    for (var j = 0u; j < taps; j++) {
        for (var i = 0u; i < taps; i++) {
            let at = origin + (vec2(f32(i), f32(j)) + 0.5) * scale / f32(taps);
            sum += textureSampleLevel(src, samp, at / full, 0.0);
        }
    }
    return sum / f32(taps * taps);
}
