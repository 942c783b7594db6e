//! The GPU compositor: source planes → layers on each canvas → NV12 in a
//! compute shader → pipelined readback (`readback`).

// The layers below (docs/ARCHITECTURE.md).
use showroom_media as media;
use showroom_spec as spec;

pub mod gpu;
pub mod layout;
pub mod mips;
mod pass;
pub mod readback;

use crate::media::frame::{Matrix, PixelFormat, VideoFrame};
use crate::spec::{CanvasSpec, SceneSpec};
use anyhow::Result;
use gpu::Gpu;
use layout::LayerUniform;
use readback::Readback;

pub use readback::ReadyFrame;

use std::collections::HashMap;

const LAYER_WGSL: &str = include_str!("../../../shaders/layer.wgsl");
const CONVERT_WGSL: &str = include_str!("../../../shaders/rgba_to_nv12.wgsl");
const TRANSITION_WGSL: &str = include_str!("../../../shaders/transition.wgsl");

/// What a canvas shows in one frame.
pub enum Composite<'a> {
    Scene(&'a SceneSpec),
    Transition(TransitionFrame<'a>),
}

/// One frame of a transition between two scenes.
pub struct TransitionFrame<'a> {
    pub from: &'a SceneSpec,
    pub to: &'a SceneSpec,
    pub kind: crate::spec::TransitionKind,
    /// 0.0 (all `from`) – 1.0 (all `to`).
    pub progress: f32,
    /// A scene drawn over both (the stinger's video), if any.
    pub stinger: Option<&'a SceneSpec>,
}

#[derive(Clone, Copy)]
enum Draw {
    Canvas {
        clear: bool,
    },
    Scratch(usize),
    /// The studio's preview of this canvas.
    Preview,
    /// The studio's thumbnail of scene N (first canvas only).
    Thumb(usize),
    /// The multiview's tile of source N (at the first canvas's aspect).
    Tile(usize),
}

/// Layer-slot sets: each scene drawn before one submission needs its own
/// uniforms (buffer writes land before the submission's commands run).
const SET_PREVIEW: usize = 3;
const SET_THUMB: usize = 4;
/// On-screen graphics, drawn over program after the scene or transition.
const SET_GRAPHICS: usize = 5;
/// The multiview's source tiles.
const SET_TILE: usize = 6;

/// Width of the studio's scene thumbnails, in pixels.
pub const THUMB_WIDTH: u32 = 192;

/// Textures a studio window draws: the compositor's own, no CPU copy.
#[derive(Clone)]
pub struct StudioViews {
    /// What each canvas sends (program), per canvas.
    pub program: Vec<wgpu::TextureView>,
    /// Each canvas's preview scene, per canvas.
    pub preview: Vec<wgpu::TextureView>,
    /// Each scene on the first canvas, small.
    pub thumbs: Vec<wgpu::TextureView>,
    /// Each source slot (the show's sources, then those added while it
    /// runs) alone, small, at the first canvas's aspect: the multiview's
    /// tiles, drawn only while one is shown (`render_tile`).
    pub tiles: Vec<wgpu::TextureView>,
}

/// The GPU copy of one source's newest frame.
struct SourceTexture {
    seq: u64,
    format: PixelFormat,
    size: (u32, u32),
    matrix: Matrix,
    full_range: bool,
    /// RGBA: one view (repeated); I420: Y, U, V.
    views: [wgpu::TextureView; 3],
    /// Bumped when the textures are re-created, so cached bind groups go stale.
    generation: u64,
    /// Mip levels of the first plane.
    levels: u32,
    /// The levels layers sample (bit L = level L): only those are made.
    levels_used: u32,
    /// The mip levels of the planes that have them.
    mips: Vec<mips::MipChain>,
}

struct CanvasTarget {
    width: u32,
    height: u32,
    view: wgpu::TextureView,
    convert_bind: wgpu::BindGroup,
    nv12: wgpu::Buffer,
    /// One uniform buffer + bind group per layer slot, re-used every frame;
    /// sets: scene (or transition "from"), transition "to", stinger, studio
    /// preview, studio thumbnail, graphics, multiview tile.
    layer_slots: [Vec<LayerSlot>; 7],
    /// The studio's preview of this canvas, if a window (or a crew
    /// console's producer page) asked for one.
    preview: Option<wgpu::TextureView>,
    /// A copy of the preview on its way to the CPU.
    preview_read: Option<PreviewRead>,
    /// The two scenes of a transition, made on the first transition.
    scratch: Option<Scratch>,
    transition_uniform: wgpu::Buffer,
    readback: Readback,
}

/// The preview's pixels being copied to a mappable buffer; `state` is set
/// by the map callback (0 pending, 1 mapped, 2 failed).
struct PreviewRead {
    buf: wgpu::Buffer,
    row: u32,
    state: std::sync::Arc<std::sync::atomic::AtomicU8>,
}

/// The two scenes of a transition and the bind group that mixes them.
struct Scratch {
    views: [wgpu::TextureView; 2],
    bind: wgpu::BindGroup,
}

struct LayerSlot {
    uniform: wgpu::Buffer,
    /// (source, texture generation, 1:1 sampler) the bind group was made for.
    bind: Option<(usize, u64, bool, wgpu::BindGroup)>,
}

pub struct Compositor {
    gpu: Gpu,
    transition_pipeline: wgpu::RenderPipeline,
    layer_module: wgpu::ShaderModule,
    layer_pl: wgpu::PipelineLayout,
    /// Layer pipelines by (source format, shader features), made on first use.
    pipelines: HashMap<(u32, u32), wgpu::RenderPipeline>,
    layer_layout: wgpu::BindGroupLayout,
    y_pipeline: wgpu::ComputePipeline,
    uv_pipeline: wgpu::ComputePipeline,
    sampler: wgpu::Sampler,
    /// For layers drawn at exactly their source size: pixel-exact, and much
    /// cheaper than bilinear on software renderers (lavapipe).
    sampler_exact: wgpu::Sampler,
    mips: mips::MipBuilder,
    sources: Vec<Option<SourceTexture>>,
    canvases: Vec<CanvasTarget>,
    /// The studio's scene thumbnails (first canvas), if a window asked.
    thumbs: Vec<wgpu::TextureView>,
    /// The multiview's source tiles, if a window asked.
    tiles: Vec<wgpu::TextureView>,
    generation: u64,
}

impl Compositor {
    /// A compositor on a device of its own.
    pub fn new(canvases: &[CanvasSpec], n_sources: usize) -> Result<Compositor> {
        Ok(Self::with_gpu(Gpu::new_headless()?, canvases, n_sources))
    }

    /// A compositor on a given device (the studio window's, to share textures).
    pub fn with_gpu(gpu: Gpu, canvases: &[CanvasSpec], n_sources: usize) -> Compositor {
        let device = &gpu.device;
        tracing::info!(
            "compositor on {} ({:?}, {:?})",
            gpu.adapter_info.name,
            gpu.adapter_info.device_type,
            gpu.adapter_info.backend
        );
        let layer_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("layer.wgsl"),
            source: wgpu::ShaderSource::Wgsl(LAYER_WGSL.into()),
        });
        let layer_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("layer"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                pass::texture_entry(1, wgpu::ShaderStages::FRAGMENT, true),
                pass::texture_entry(2, wgpu::ShaderStages::FRAGMENT, true),
                pass::texture_entry(3, wgpu::ShaderStages::FRAGMENT, true),
                pass::sampler_entry(4),
            ],
        });
        let layer_pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("layer"),
            bind_group_layouts: &[Some(&layer_layout)],
            immediate_size: 0,
        });

        let transition_module = pass::fullscreen_module(device, "transition.wgsl", TRANSITION_WGSL);
        let transition_pipeline = pass::fullscreen_pipeline(
            device,
            "transition",
            &transition_module,
            wgpu::TextureFormat::Rgba8Unorm,
            None,
            &[],
        );
        let convert_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("rgba_to_nv12.wgsl"),
            source: wgpu::ShaderSource::Wgsl(CONVERT_WGSL.into()),
        });
        let convert_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("convert"),
            entries: &[
                pass::texture_entry(0, wgpu::ShaderStages::COMPUTE, false),
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage { read_only: false },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
            ],
        });
        let convert_pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("convert"),
            bind_group_layouts: &[Some(&convert_layout)],
            immediate_size: 0,
        });
        let compute = |entry: &str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&convert_pl),
                module: &convert_module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        let y_pipeline = compute("y_plane");
        let uv_pipeline = compute("uv_plane");

        let make_sampler = |label, filter| {
            device.create_sampler(&wgpu::SamplerDescriptor {
                label: Some(label),
                address_mode_u: wgpu::AddressMode::ClampToEdge,
                address_mode_v: wgpu::AddressMode::ClampToEdge,
                mag_filter: filter,
                min_filter: filter,
                // Layers sample one whole mip level (see mips::lod).
                mipmap_filter: wgpu::MipmapFilterMode::Nearest,
                ..Default::default()
            })
        };
        let sampler = make_sampler("source", wgpu::FilterMode::Linear);
        let sampler_exact = make_sampler("source 1:1", wgpu::FilterMode::Nearest);

        let mut targets = Vec::new();
        for c in canvases {
            let tex = device.create_texture(&wgpu::TextureDescriptor {
                label: Some(&c.id),
                size: wgpu::Extent3d {
                    width: c.width,
                    height: c.height,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba8Unorm,
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT
                    | wgpu::TextureUsages::TEXTURE_BINDING
                    | wgpu::TextureUsages::COPY_SRC,
                view_formats: &[],
            });
            let view = tex.create_view(&Default::default());
            let nv12_len = (c.width * c.height * 3 / 2) as u64;
            let nv12 = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("nv12"),
                size: nv12_len,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let dims = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("dims"),
                size: 16,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            gpu.queue
                .write_buffer(&dims, 0, bytemuck::cast_slice(&[c.width, c.height, 0, 0]));
            // Both entry points use the same bindings, so one group serves both.
            let convert_bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("convert"),
                layout: &convert_layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::TextureView(&view),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: nv12.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: dims.as_entire_binding(),
                    },
                ],
            });
            targets.push(CanvasTarget {
                width: c.width,
                height: c.height,
                view,
                convert_bind,
                nv12,
                layer_slots: Default::default(),
                preview: None,
                preview_read: None,
                scratch: None,
                transition_uniform: device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("transition"),
                    size: 32,
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }),
                readback: Readback::new(device, nv12_len),
            });
        }
        let mip_builder = mips::MipBuilder::new(device);
        Compositor {
            gpu,
            transition_pipeline,
            layer_module,
            layer_pl,
            pipelines: HashMap::new(),
            layer_layout,
            y_pipeline,
            uv_pipeline,
            sampler,
            sampler_exact,
            mips: mip_builder,
            // One extra texture after the sources: the "signal lost" slate.
            sources: (0..=n_sources).map(|_| None).collect(),
            canvases: targets,
            thumbs: Vec::new(),
            tiles: Vec::new(),
            generation: 0,
        }
    }

    /// Makes the preview and thumbnail textures a studio window shows.
    pub fn enable_studio(&mut self, n_scenes: usize) -> StudioViews {
        for c in 0..self.canvases.len() {
            let (w, h) = (self.canvases[c].width, self.canvases[c].height);
            self.canvases[c].preview = Some(render_target(&self.gpu.device, "preview", w, h));
        }
        let (w, h) = (self.canvases[0].width, self.canvases[0].height);
        let th = (THUMB_WIDTH * h / w).max(1);
        self.thumbs = (0..n_scenes)
            .map(|_| render_target(&self.gpu.device, "thumb", THUMB_WIDTH, th))
            .collect();
        // Every source slot but the slate's.
        self.tiles = (0..self.sources.len() - 1)
            .map(|_| render_target(&self.gpu.device, "tile", THUMB_WIDTH, th))
            .collect();
        StudioViews {
            program: self.canvases.iter().map(|c| c.view.clone()).collect(),
            preview: self
                .canvases
                .iter()
                .map(|c| c.preview.clone().expect("made above"))
                .collect(),
            thumbs: self.thumbs.clone(),
            tiles: self.tiles.clone(),
        }
    }

    /// Renders `scene` into the studio's preview of `canvas` (no encoding).
    pub fn render_preview(&mut self, canvas: usize, scene: &SceneSpec, lost: &[bool]) {
        if self.canvases[canvas].preview.is_none() {
            return;
        }
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        self.draw_layers(&mut enc, canvas, SET_PREVIEW, scene, lost, Draw::Preview);
        self.gpu.queue.submit([enc.finish()]);
    }

    /// Makes the preview texture of `canvas` where no window made one (the
    /// crew console's preview pictures).
    pub fn ensure_preview(&mut self, canvas: usize) {
        if self.canvases[canvas].preview.is_none() {
            let (w, h) = (self.canvases[canvas].width, self.canvases[canvas].height);
            self.canvases[canvas].preview = Some(render_target(&self.gpu.device, "preview", w, h));
        }
    }

    /// Starts copying the preview of `canvas` to the CPU without waiting
    /// for the GPU; `take_preview` gives it once it is there. A copy still
    /// in flight is left alone.
    pub fn read_preview(&mut self, canvas: usize) {
        let device = &self.gpu.device;
        let target = &mut self.canvases[canvas];
        if target.preview_read.is_some() {
            return;
        }
        let Some(preview) = &target.preview else {
            return;
        };
        let (buf, row) = copy_to_buffer(device, &self.gpu.queue, preview.texture(), target.width, target.height);
        let state = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(0));
        let s = state.clone();
        buf.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            s.store(if r.is_ok() { 1 } else { 2 }, std::sync::atomic::Ordering::Release);
        });
        target.preview_read = Some(PreviewRead { buf, row, state });
    }

    /// The preview picture of `canvas` a `read_preview` asked for, as RGBA
    /// rows, once the GPU has copied it (`ready` polls the device); None
    /// while it is in flight.
    pub fn take_preview(&mut self, canvas: usize) -> Option<Vec<u8>> {
        let target = &mut self.canvases[canvas];
        match target
            .preview_read
            .as_ref()?
            .state
            .load(std::sync::atomic::Ordering::Acquire)
        {
            0 => return None,
            1 => {}
            _ => {
                target.preview_read = None;
                return None;
            }
        }
        let r = target.preview_read.take()?;
        let (w, h) = (target.width as usize, target.height as usize);
        let out = r
            .buf
            .slice(..)
            .get_mapped_range()
            .ok()
            .map(|view| rows(&view, r.row, w, h));
        r.buf.unmap();
        out
    }

    /// Renders `scene` into the studio's thumbnail number `index`.
    pub fn render_thumb(&mut self, index: usize, scene: &SceneSpec, lost: &[bool]) {
        if index >= self.thumbs.len() {
            return;
        }
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        self.draw_layers(&mut enc, 0, SET_THUMB, scene, lost, Draw::Thumb(index));
        self.gpu.queue.submit([enc.finish()]);
    }

    /// Renders source `index` alone into its multiview tile, whole and
    /// letterboxed (the slate while its signal is lost). False when the
    /// source has no picture yet (or none at all: a microphone).
    pub fn render_tile(&mut self, index: usize, lost: &[bool]) -> bool {
        if index >= self.tiles.len() || self.sources.get(index).is_none_or(|s| s.is_none()) {
            return false;
        }
        let (w, h) = (self.canvases[0].width, self.canvases[0].height);
        let mut place = vec![None; self.canvases.len()];
        place[0] = Some(spec::Rect {
            x: 0,
            y: 0,
            width: w,
            height: h,
        });
        let scene = SceneSpec {
            id: "tile".into(),
            layers: vec![spec::LayerSpec {
                source: index,
                z: 0,
                opacity: 1.0,
                crop: Default::default(),
                place,
                style: spec::Style {
                    fit: spec::Fit::Fit,
                    ..Default::default()
                },
                hidden: false,
            }],
        };
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        self.draw_layers(&mut enc, 0, SET_TILE, &scene, lost, Draw::Tile(index));
        self.gpu.queue.submit([enc.finish()]);
        true
    }

    pub fn adapter_name(&self) -> String {
        format!(
            "{} ({:?})",
            self.gpu.adapter_info.name, self.gpu.adapter_info.device_type
        )
    }

    /// The picture drawn instead of a source that lost its signal.
    pub fn set_slate(&mut self, frame: &VideoFrame) {
        let slate = self.sources.len() - 1;
        self.update_source(slate, 1, frame);
    }

    /// Waits until the GPU has done all work submitted so far (benchmarks).
    pub fn wait_idle(&self) {
        let _ = self.gpu.device.poll(wgpu::PollType::wait_indefinitely());
    }

    /// Uploads a source's frame if it is newer than what the GPU has.
    pub fn update_source(&mut self, index: usize, seq: u64, frame: &VideoFrame) {
        if self.sources[index].as_ref().is_some_and(|s| s.seq == seq) {
            return;
        }
        let fits = self.sources[index]
            .as_ref()
            .is_some_and(|s| s.format == frame.format && s.size == (frame.width, frame.height));
        if !fits {
            self.generation += 1;
            self.sources[index] = Some(self.create_source_texture(frame));
        }
        let queue = &self.gpu.queue;
        let Ok(map) = frame.buffer.map_readable() else { return };
        let data = map.as_slice();
        let src = self.sources[index].as_mut().expect("created above");
        src.seq = seq;
        src.matrix = frame.matrix;
        src.full_range = frame.full_range;
        let planes: Vec<(u32, u32, u32)> = frame
            .format
            .planes(frame.width, frame.height)
            .iter()
            .map(|p| (p.width, p.height, p.bytes_per_texel))
            .collect();
        for (i, (w, h, bpp)) in planes.into_iter().enumerate() {
            let Some(&(offset, stride)) = frame.planes.get(i) else {
                return;
            };
            let needed = offset + stride as usize * (h as usize - 1) + (w * bpp) as usize;
            if needed > data.len() {
                tracing::warn!("source frame shorter than its caps say; skipped");
                return;
            }
            queue.write_texture(
                wgpu::TexelCopyTextureInfo {
                    texture: src.views[i].texture(),
                    mip_level: 0,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                &data[offset..],
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(stride),
                    rows_per_image: Some(h),
                },
                wgpu::Extent3d {
                    width: w,
                    height: h,
                    depth_or_array_layers: 1,
                },
            );
        }
        let src = self.sources[index].as_ref().expect("created above");
        if src.levels_used == 0 {
            return;
        }
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        self.mips.build(&self.gpu.device, &mut enc, &src.mips, src.levels_used);
        self.gpu.queue.submit([enc.finish()]);
    }

    fn create_source_texture(&mut self, frame: &VideoFrame) -> SourceTexture {
        let make = |w: u32, h: u32, format| {
            self.gpu
                .device
                .create_texture(&wgpu::TextureDescriptor {
                    label: Some("source"),
                    size: wgpu::Extent3d {
                        width: w,
                        height: h,
                        depth_or_array_layers: 1,
                    },
                    mip_level_count: mips::levels(w, h),
                    sample_count: 1,
                    dimension: wgpu::TextureDimension::D2,
                    format,
                    usage: wgpu::TextureUsages::TEXTURE_BINDING
                        | wgpu::TextureUsages::COPY_DST
                        | wgpu::TextureUsages::RENDER_ATTACHMENT,
                    view_formats: &[],
                })
                .create_view(&Default::default())
        };
        let planes: Vec<wgpu::TextureView> = frame
            .format
            .planes(frame.width, frame.height)
            .iter()
            .map(|p| make(p.width, p.height, p.format))
            .collect();
        // Unused plane slots repeat plane 0 (the bind group has three).
        let views = [
            planes[0].clone(),
            planes.get(1).unwrap_or(&planes[0]).clone(),
            planes.get(2).unwrap_or(&planes[0]).clone(),
        ];
        let mips = planes
            .iter()
            .filter(|v| v.texture().mip_level_count() > 1)
            .map(|v| self.mips.chain(&self.gpu.device, v.texture()))
            .collect();
        SourceTexture {
            seq: 0,
            format: frame.format,
            size: (frame.width, frame.height),
            matrix: frame.matrix,
            full_range: frame.full_range,
            views,
            generation: self.generation,
            levels: mips::levels(frame.width, frame.height),
            levels_used: 0,
            mips,
        }
    }

    /// Renders one canvas, converts it to I420 and starts its readback.
    /// Frames whose readback finished come back from `ready`.
    /// `lost[i]`: source i has no signal; its layers show the slate.
    pub fn render(&mut self, canvas: usize, composite: &Composite, pts_ns: u64, lost: &[bool]) {
        self.render_with_graphics(canvas, composite, None, pts_ns, lost);
    }

    /// `render`, with on-screen graphics drawn over the scene (or the
    /// transition): graphics stay put while scenes change beneath them.
    pub fn render_with_graphics(
        &mut self,
        canvas: usize,
        composite: &Composite,
        graphics: Option<&SceneSpec>,
        pts_ns: u64,
        lost: &[bool],
    ) {
        // Free the readback slot first: if the GPU is three frames behind,
        // this is where we wait (and the caller sees it as a late tick).
        self.canvases[canvas].readback.reserve(&self.gpu.device);
        let mut enc = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("canvas") });
        match composite {
            Composite::Scene(scene) => self.draw_layers(&mut enc, canvas, 0, scene, lost, Draw::Canvas { clear: true }),
            Composite::Transition(t) => {
                self.ensure_scratch(canvas);
                self.draw_layers(&mut enc, canvas, 0, t.from, lost, Draw::Scratch(0));
                self.draw_layers(&mut enc, canvas, 1, t.to, lost, Draw::Scratch(1));
                self.transition_pass(&mut enc, canvas, t);
                if let Some(stinger) = &t.stinger {
                    self.draw_layers(&mut enc, canvas, 2, stinger, lost, Draw::Canvas { clear: false });
                }
            }
        }
        if let Some(g) = graphics.filter(|g| !g.layers.is_empty()) {
            self.draw_layers(&mut enc, canvas, SET_GRAPHICS, g, lost, Draw::Canvas { clear: false });
        }
        let target = &mut self.canvases[canvas];
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("to nv12"),
                timestamp_writes: None,
            });
            pass.set_bind_group(0, &target.convert_bind, &[]);
            pass.set_pipeline(&self.y_pipeline);
            pass.dispatch_workgroups((target.width / 4).div_ceil(8), target.height.div_ceil(8), 1);
            pass.set_pipeline(&self.uv_pipeline);
            pass.dispatch_workgroups((target.width / 4).div_ceil(8), (target.height / 2).div_ceil(8), 1);
        }
        target
            .readback
            .submit(&self.gpu.queue, enc, &target.nv12, canvas, pts_ns);
    }

    /// Draws a scene's layers into the canvas or one of its scratch targets,
    /// using layer-slot set `set` (each scene drawn in one frame needs its own
    /// uniforms: buffer writes land before the frame's commands run).
    fn draw_layers(
        &mut self,
        enc: &mut wgpu::CommandEncoder,
        canvas: usize,
        set: usize,
        scene: &SceneSpec,
        lost: &[bool],
        draw: Draw,
    ) {
        let slate = self.sources.len() - 1;
        let device = &self.gpu.device;
        let target = &mut self.canvases[canvas];
        let mut draws = Vec::new();
        for (i, layer) in scene.layers.iter().enumerate() {
            if layer.hidden {
                continue;
            }
            let source = if lost.get(layer.source).copied().unwrap_or(false) && self.sources[slate].is_some() {
                slate
            } else {
                layer.source
            };
            let (Some(rect), Some(Some(src))) = (layer.place[canvas], self.sources.get(source)) else {
                continue;
            };
            let st = &layer.style;
            let (content, uv) = layout::content(&rect, &layer.crop, st, src.size);
            let lod = mips::lod(&content, &uv, src.size, src.levels);
            let shadow = st.shadow;
            let key = st.chroma_key;
            let uniform = LayerUniform {
                geom0: [
                    target.width as f32,
                    target.height as f32,
                    content[0] + content[2] / 2.0,
                    content[1] + content[3] / 2.0,
                ],
                geom1: [
                    content[2] / 2.0,
                    content[3] / 2.0,
                    layout::margin(st),
                    st.rotation.to_radians(),
                ],
                uv,
                misc: [
                    layer.opacity,
                    st.radius,
                    st.border.map(|b| b.0).unwrap_or(0.0),
                    layout::adjusts(st) as u32 as f32,
                ],
                border_color: st.border.map(|b| b.1).unwrap_or([0.0; 4]),
                shadow_color: shadow.map(|s| s.color).unwrap_or([0.0; 4]),
                shadow: shadow
                    .map(|s| [s.offset[0], s.offset[1], s.blur, 1.0])
                    .unwrap_or([0.0; 4]),
                adjust: [st.brightness, st.contrast, st.saturation, st.gamma],
                key_color: key
                    .map(|k| [k.color[0], k.color[1], k.color[2], 1.0])
                    .unwrap_or([0.0; 4]),
                key: key
                    .map(|k| [k.similarity, k.smoothness, k.spill, 0.0])
                    .unwrap_or([0.0; 4]),
                format: [
                    src.format.shader_code(),
                    match src.matrix {
                        Matrix::Bt601 => 0,
                        Matrix::Bt709 => 1,
                    },
                    src.full_range as u32,
                    src.format.opaque() as u32,
                ],
                down: [lod as f32, 0.0, 0.0, 0.0],
            };
            while target.layer_slots[set].len() <= i {
                target.layer_slots[set].push(LayerSlot {
                    uniform: device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("layer uniform"),
                        size: std::mem::size_of::<LayerUniform>() as u64,
                        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
                    }),
                    bind: None,
                });
            }
            let slot = &mut target.layer_slots[set][i];
            self.gpu
                .queue
                .write_buffer(&slot.uniform, 0, bytemuck::bytes_of(&uniform));
            let exact = layout::is_one_to_one(&content, &uv, st, src.size);
            let stale =
                !matches!(&slot.bind, Some((s, g, e, _)) if *s == layer.source && *g == src.generation && *e == exact);
            if stale {
                let (u, v) = (&src.views[1], &src.views[2]);
                let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("layer"),
                    layout: &self.layer_layout,
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: slot.uniform.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: wgpu::BindingResource::TextureView(&src.views[0]),
                        },
                        wgpu::BindGroupEntry {
                            binding: 2,
                            resource: wgpu::BindingResource::TextureView(u),
                        },
                        wgpu::BindGroupEntry {
                            binding: 3,
                            resource: wgpu::BindingResource::TextureView(v),
                        },
                        wgpu::BindGroupEntry {
                            binding: 4,
                            resource: wgpu::BindingResource::Sampler(if exact {
                                &self.sampler_exact
                            } else {
                                &self.sampler
                            }),
                        },
                    ],
                });
                slot.bind = Some((source, src.generation, exact, bind));
            }
            let key = pipeline_key(src.format, layer);
            let pipeline = self
                .pipelines
                .entry(key)
                .or_insert_with(|| layer_pipeline(device, &self.layer_module, &self.layer_pl, key))
                .clone();
            draws.push((i, pipeline));
            if let Some(Some(src)) = self.sources.get_mut(source)
                && lod > 0
                && src.levels_used & (1 << lod) == 0
            {
                // First time this picture is shown at this level: make it
                // now; later frames remake it on upload.
                src.levels_used |= 1 << lod;
                self.mips.build(device, enc, &src.mips, 1 << lod);
            }
        }

        let view = match draw {
            Draw::Canvas { .. } => target.view.clone(),
            Draw::Scratch(i) => target.scratch.as_ref().expect("made by ensure_scratch").views[i].clone(),
            Draw::Preview => target.preview.clone().expect("checked by render_preview"),
            Draw::Thumb(i) => self.thumbs[i].clone(),
            Draw::Tile(i) => self.tiles[i].clone(),
        };
        let load = match draw {
            Draw::Canvas { clear: false } => wgpu::LoadOp::Load,
            _ => wgpu::LoadOp::Clear(wgpu::Color::BLACK),
        };
        let mut pass = pass::begin(enc, "layers", &view, load);
        for (i, pipeline) in draws {
            pass.set_pipeline(&pipeline);
            if let Some((_, _, _, bind)) = &target.layer_slots[set][i].bind {
                pass.set_bind_group(0, bind, &[]);
                pass.draw(0..6, 0..1);
            }
        }
    }

    fn ensure_scratch(&mut self, canvas: usize) {
        let device = &self.gpu.device;
        let target = &mut self.canvases[canvas];
        if target.scratch.is_some() {
            return;
        }
        let view = || render_target(device, "transition scene", target.width, target.height);
        let views = [view(), view()];
        let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("transition"),
            layout: &self.transition_pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: target.transition_uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&views[0]),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&views[1]),
                },
            ],
        });
        target.scratch = Some(Scratch { views, bind });
    }

    fn transition_pass(&mut self, enc: &mut wgpu::CommandEncoder, canvas: usize, t: &TransitionFrame) {
        use crate::spec::TransitionKind as K;
        let (kind, cut, dir) = match t.kind {
            K::Cut => (0.0, 0.0, [0.0, 0.0]),
            K::Fade => (1.0, 0.0, [0.0, 0.0]),
            K::Slide(d) => (2.0, 0.0, d.vector()),
            K::Wipe(d) => (3.0, 0.0, d.vector()),
            K::Stinger { cut, .. } => (0.0, cut, [0.0, 0.0]),
        };
        let target = &self.canvases[canvas];
        let params: [f32; 8] = [kind, t.progress, cut, 0.0, dir[0], dir[1], 0.0, 0.0];
        self.gpu
            .queue
            .write_buffer(&target.transition_uniform, 0, bytemuck::cast_slice(&params));
        let Some(scratch) = &target.scratch else {
            return;
        };
        let mut pass = pass::begin(enc, "transition", &target.view, wgpu::LoadOp::Clear(wgpu::Color::BLACK));
        pass.set_pipeline(&self.transition_pipeline);
        pass.set_bind_group(0, &scratch.bind, &[]);
        pass.draw(0..3, 0..1);
    }

    /// The canvas as RGBA bytes (tests, thumbnails). Waits for the GPU.
    pub fn read_canvas(&mut self, canvas: usize) -> Vec<u8> {
        let device = &self.gpu.device;
        let target = &self.canvases[canvas];
        let (buf, row) = copy_to_buffer(
            device,
            &self.gpu.queue,
            target.view.texture(),
            target.width,
            target.height,
        );
        buf.slice(..).map_async(wgpu::MapMode::Read, |_| {});
        let _ = device.poll(wgpu::PollType::wait_indefinitely());
        let (w, h) = (target.width as usize, target.height as usize);
        buf.slice(..)
            .get_mapped_range()
            .map(|view| rows(&view, row, w, h))
            .unwrap_or_default()
    }

    /// Compiles the pipelines the scenes will need (RGBA and I420 sources)
    /// and renders every canvas once, so shader compilation and first
    /// allocations happen before the show clock starts, not in its first ticks.
    pub fn warm_up(&mut self, scenes: &[SceneSpec]) {
        for layer in scenes.iter().flat_map(|s| &s.layers) {
            for format in [PixelFormat::Rgba, PixelFormat::I420] {
                let key = pipeline_key(format, layer);
                if !self.pipelines.contains_key(&key) {
                    let p = layer_pipeline(&self.gpu.device, &self.layer_module, &self.layer_pl, key);
                    self.pipelines.insert(key, p);
                }
            }
        }
        let empty = SceneSpec {
            id: String::new(),
            layers: Vec::new(),
        };
        for c in 0..self.canvases.len() {
            self.render(c, &Composite::Scene(&empty), 0, &[]);
        }
        let _ = self.flush();
    }

    /// Frames whose readback has finished, oldest first per canvas. Never blocks.
    pub fn ready(&mut self) -> Vec<ReadyFrame> {
        let _ = self.gpu.device.poll(wgpu::PollType::Poll);
        let mut out = Vec::new();
        for c in &mut self.canvases {
            c.readback.harvest(&mut out);
        }
        out
    }

    /// Waits for every frame in flight (used at the end of a show).
    pub fn flush(&mut self) -> Vec<ReadyFrame> {
        let _ = self.gpu.device.poll(wgpu::PollType::wait_indefinitely());
        self.ready()
    }
}

/// A layer pipeline specialised for one source format and feature set
/// (the `FORMAT` and `FEATURES` override constants of layer.wgsl).
/// An RGBA texture scenes are drawn into and sampled from (transition
/// scratch, studio preview and thumbnails).
/// Copies an RGBA texture into a new mappable buffer (rows padded to 256
/// bytes, as wgpu wants) and submits the copy; the buffer and its row pitch.
fn copy_to_buffer(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    texture: &wgpu::Texture,
    width: u32,
    height: u32,
) -> (wgpu::Buffer, u32) {
    let row = (width * 4).div_ceil(256) * 256;
    let buf = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("read back"),
        size: (row * height) as u64,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut enc = device.create_command_encoder(&Default::default());
    enc.copy_texture_to_buffer(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::TexelCopyBufferInfo {
            buffer: &buf,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(row),
                rows_per_image: None,
            },
        },
        wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
    );
    queue.submit([enc.finish()]);
    (buf, row)
}

/// The `w`×`h` RGBA pixels of a mapped copy whose rows are `row` bytes apart.
fn rows(mapped: &[u8], row: u32, w: usize, h: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(w * h * 4);
    for y in 0..h {
        let start = y * row as usize;
        out.extend_from_slice(&mapped[start..start + w * 4]);
    }
    out
}

fn render_target(device: &wgpu::Device, label: &str, width: u32, height: u32) -> wgpu::TextureView {
    device
        .create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8Unorm,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        })
        .create_view(&Default::default())
}

/// Pipeline-key bit (not a shader feature): the layer is drawn without blending.
const OPAQUE: u32 = 1 << 16;

/// Which layer pipeline draws `layer` from a source in `format`. A layer that
/// wholly covers what is under it is written, not blended: a software
/// renderer then skips reading the target.
fn pipeline_key(format: PixelFormat, layer: &crate::spec::LayerSpec) -> (u32, u32) {
    let features = layout::features(&layer.style);
    // Colour correction (8) keeps alpha; rounding, shadow and keying do not.
    let opaque = layer.opacity >= 1.0 && !format.has_alpha() && features & !8 == 0;
    (format.shader_code(), features | if opaque { OPAQUE } else { 0 })
}

fn layer_pipeline(
    device: &wgpu::Device,
    module: &wgpu::ShaderModule,
    layout: &wgpu::PipelineLayout,
    (format, features): (u32, u32),
) -> wgpu::RenderPipeline {
    let constants = [("FORMAT", format as f64), ("FEATURES", (features & !OPAQUE) as f64)];
    let options = wgpu::PipelineCompilationOptions {
        constants: &constants,
        ..Default::default()
    };
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("layer"),
        layout: Some(layout),
        vertex: wgpu::VertexState {
            module,
            entry_point: Some("vs_main"),
            compilation_options: options.clone(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module,
            entry_point: Some("fs_main"),
            compilation_options: options,
            targets: &[Some(wgpu::ColorTargetState {
                format: wgpu::TextureFormat::Rgba8Unorm,
                blend: (features & OPAQUE == 0).then_some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    })
}
