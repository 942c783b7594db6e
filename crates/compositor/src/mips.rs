//! Mip levels for source pictures, made on the GPU when a new frame is
//! uploaded: a layer shrunk more than 2× samples the level at most that much
//! smaller (bilinear within it), so a 1080p camera in a small
//! picture-in-picture does not shimmer. Each level a layer uses is made
//! straight from level 0 with a box filter (shaders/mip.wgsl); levels no
//! layer samples are never made. One set per source frame serves every layer
//! and canvas.

use super::pass;
use std::collections::HashMap;

const MIP_WGSL: &str = include_str!("../../../shaders/mip.wgsl");

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

/// The mip level a layer samples: the largest one still at least the size it
/// is shown at, so what is left to shrink (under 2×) bilinear does cleanly.
pub fn lod(content: &[f32; 4], uv: &[f32; 4], source: (u32, u32), levels: u32) -> u32 {
    let sx = source.0 as f32 * (uv[2] - uv[0]).abs() / content[2].max(1.0);
    let sy = source.1 as f32 * (uv[3] - uv[1]).abs() / content[3].max(1.0);
    let s = sx.max(sy);
    if s < 2.0 {
        return 0;
    }
    (s.log2().floor() as u32).min(levels - 1)
}

/// The levels of one texture: its level-0 reader and a view of every level.
pub struct MipChain {
    format: wgpu::TextureFormat,
    /// Reads level 0 (the same for every level made).
    bind: wgpu::BindGroup,
    /// Views of levels 1, 2, ... (index = level - 1).
    levels: Vec<wgpu::TextureView>,
}

pub struct MipBuilder {
    module: wgpu::ShaderModule,
    layout: wgpu::BindGroupLayout,
    pipeline_layout: wgpu::PipelineLayout,
    sampler: wgpu::Sampler,
    /// By (format, level), made on first use.
    pipelines: HashMap<(wgpu::TextureFormat, u32), wgpu::RenderPipeline>,
}

impl MipBuilder {
    pub fn new(device: &wgpu::Device) -> MipBuilder {
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("mip"),
            entries: &[
                pass::texture_entry(0, wgpu::ShaderStages::FRAGMENT, true),
                pass::sampler_entry(1),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("mip"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        MipBuilder {
            module: pass::fullscreen_module(device, "mip.wgsl", MIP_WGSL),
            layout,
            pipeline_layout,
            sampler: device.create_sampler(&wgpu::SamplerDescriptor {
                label: Some("mip"),
                mag_filter: wgpu::FilterMode::Linear,
                min_filter: wgpu::FilterMode::Linear,
                ..Default::default()
            }),
            pipelines: HashMap::new(),
        }
    }

    /// The levels of `texture` (which must have more than one level).
    pub fn chain(&self, device: &wgpu::Device, texture: &wgpu::Texture) -> MipChain {
        let view = |l: u32| {
            texture.create_view(&wgpu::TextureViewDescriptor {
                base_mip_level: l,
                mip_level_count: Some(1),
                ..Default::default()
            })
        };
        let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("mip"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&view(0)),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Sampler(&self.sampler),
                },
            ],
        });
        MipChain {
            format: texture.format(),
            bind,
            levels: (1..texture.mip_level_count()).map(view).collect(),
        }
    }

    /// Makes each level in the bit set `wanted` (bit L = level L) of every
    /// chain from its level 0.
    pub fn build(&mut self, device: &wgpu::Device, enc: &mut wgpu::CommandEncoder, chains: &[MipChain], wanted: u32) {
        for chain in chains {
            for (i, dst) in chain.levels.iter().enumerate() {
                let level = i as u32 + 1;
                if wanted & (1 << level) == 0 {
                    continue;
                }
                let (module, layout) = (&self.module, &self.pipeline_layout);
                let pipeline = self.pipelines.entry((chain.format, level)).or_insert_with(|| {
                    let constants = [("LEVEL", level as f64)];
                    pass::fullscreen_pipeline(device, "mip", module, chain.format, Some(layout), &constants)
                });
                let mut pass = pass::begin(enc, "mip", dst, wgpu::LoadOp::Clear(wgpu::Color::BLACK));
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &chain.bind, &[]);
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
        // 1.5× smaller: level 0; 4× exactly: level 2; 6.4×: level 2 (4×),
        // leaving 1.6× to bilinear.
        assert_eq!(lod(&[0.0, 0.0, 1280.0, 720.0], &uv, (1920, 1080), 7), 0);
        assert_eq!(lod(&[0.0, 0.0, 480.0, 270.0], &uv, (1920, 1080), 7), 2);
        assert_eq!(lod(&[0.0, 0.0, 300.0, 169.0], &uv, (1920, 1080), 7), 2);
        assert_eq!(lod(&[0.0, 0.0, 10.0, 6.0], &uv, (1920, 1080), 7), 6);
    }
}
