//! Mip chains for source pictures, rebuilt on the GPU when a new frame is
//! uploaded: layers shrunk more than 2× sample a smaller level
//! (trilinear), so a 1080p camera in a small picture-in-picture does not
//! shimmer. One chain per source frame serves every layer and canvas.

use super::pass;
use std::collections::HashMap;

const MIP_WGSL: &str = include_str!("../../shaders/mip.wgsl");

/// Levels for a plane: down to about 16 pixels, at most 7.
pub fn levels(width: u32, height: u32) -> u32 {
    let mut n = 1;
    let (mut w, mut h) = (width, height);
    while n < 7 && w >= 32 && h >= 32 {
        w /= 2;
        h /= 2;
        n += 1;
    }
    n
}

/// The level of detail for a layer: log2 of how much the picture shrinks.
pub fn lod(content: &[f32; 4], uv: &[f32; 4], source: (u32, u32), levels: u32) -> f32 {
    let sx = source.0 as f32 * (uv[2] - uv[0]).abs() / content[2].max(1.0);
    let sy = source.1 as f32 * (uv[3] - uv[1]).abs() / content[3].max(1.0);
    let s = sx.max(sy);
    // Up to 2× bilinear filtering is still clean enough, and sampling one
    // level is half the work of blending two on a software renderer.
    if s <= 2.0 {
        return 0.0;
    }
    s.log2().min(levels as f32 - 1.0)
}

/// The levels of one texture: for level L, its view (the target) and a bind
/// group reading level L-1. Made once per texture, used every frame.
pub struct MipChain {
    format: wgpu::TextureFormat,
    levels: Vec<(wgpu::TextureView, wgpu::BindGroup)>,
}

pub struct MipBuilder {
    module: wgpu::ShaderModule,
    sampler: wgpu::Sampler,
    pipelines: HashMap<wgpu::TextureFormat, wgpu::RenderPipeline>,
}

impl MipBuilder {
    pub fn new(device: &wgpu::Device) -> MipBuilder {
        MipBuilder {
            module: pass::fullscreen_module(device, "mip.wgsl", MIP_WGSL),
            sampler: device.create_sampler(&wgpu::SamplerDescriptor {
                label: Some("mip"),
                mag_filter: wgpu::FilterMode::Linear,
                min_filter: wgpu::FilterMode::Linear,
                ..Default::default()
            }),
            pipelines: HashMap::new(),
        }
    }

    /// The chain of `texture` (which must have more than one level).
    pub fn chain(&mut self, device: &wgpu::Device, texture: &wgpu::Texture) -> MipChain {
        let format = texture.format();
        let module = &self.module;
        let pipeline = self
            .pipelines
            .entry(format)
            .or_insert_with(|| pass::fullscreen_pipeline(device, "mip", module, format));
        let layout = pipeline.get_bind_group_layout(0);
        let view = |l: u32| {
            texture.create_view(&wgpu::TextureViewDescriptor {
                base_mip_level: l,
                mip_level_count: Some(1),
                ..Default::default()
            })
        };
        let levels = (1..texture.mip_level_count())
            .map(|level| {
                let src = view(level - 1);
                let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("mip"),
                    layout: &layout,
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: wgpu::BindingResource::TextureView(&src),
                        },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: wgpu::BindingResource::Sampler(&self.sampler),
                        },
                    ],
                });
                (view(level), bind)
            })
            .collect();
        MipChain { format, levels }
    }

    /// Fills levels 1..=`deepest` of each chain from its level 0.
    pub fn build(&self, enc: &mut wgpu::CommandEncoder, chains: &[MipChain], deepest: u32) {
        for chain in chains {
            let pipeline = &self.pipelines[&chain.format];
            for (dst, bind) in chain.levels.iter().take(deepest as usize) {
                let mut pass = pass::begin(enc, "mip", dst, wgpu::LoadOp::Clear(wgpu::Color::BLACK));
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, bind, &[]);
                pass.draw(0..3, 0..1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_lod() {
        assert_eq!(levels(1920, 1080), 7);
        assert_eq!(levels(64, 64), 3);
        assert_eq!(levels(16, 16), 1);
        let uv = [0.0, 0.0, 1.0, 1.0];
        assert_eq!(lod(&[0.0, 0.0, 1280.0, 720.0], &uv, (1920, 1080), 7), 0.0);
        let l = lod(&[0.0, 0.0, 300.0, 169.0], &uv, (1920, 1080), 7);
        assert!((l - 6.4f32.log2()).abs() < 0.01, "{l}");
    }
}
