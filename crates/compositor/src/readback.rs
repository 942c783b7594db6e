//! Pipelined readback: a ring of staging buffers per canvas. Frame N is
//! copied and mapped while frame N+1 renders; the render loop only waits when
//! every buffer of the ring is still in flight.

use gstreamer as gst;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// Staging buffers per canvas (frames that may be in flight at once).
pub const RING: usize = 3;

const PENDING: u8 = 0;
const MAPPED: u8 = 1;
const FAILED: u8 = 2;

/// One canvas frame in NV12, ready for the encoder.
pub struct ReadyFrame {
    pub canvas: usize,
    pub pts_ns: u64,
    pub data: gst::Buffer,
}

struct InFlight {
    buffer: usize,
    pts_ns: u64,
    canvas: usize,
    state: Arc<AtomicU8>,
}

pub struct Readback {
    len: u64,
    buffers: Vec<wgpu::Buffer>,
    free: Vec<usize>,
    in_flight: VecDeque<InFlight>,
    /// Frames collected while waiting in `reserve`, handed out by `harvest`.
    spill: Vec<ReadyFrame>,
}

impl Readback {
    pub fn new(device: &wgpu::Device, len: u64) -> Readback {
        let buffers: Vec<_> = (0..RING)
            .map(|_| {
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("readback"),
                    size: len,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                })
            })
            .collect();
        Readback {
            len,
            free: (0..buffers.len()).rev().collect(),
            buffers,
            in_flight: VecDeque::new(),
            spill: Vec::new(),
        }
    }

    /// Makes sure a staging buffer is free, waiting for the oldest frame only
    /// when the whole ring is in flight.
    pub fn reserve(&mut self, device: &wgpu::Device) {
        if !self.free.is_empty() {
            return;
        }
        let _ = device.poll(wgpu::PollType::wait_indefinitely());
        let mut done = Vec::new();
        self.collect(&mut done);
        self.spill.extend(done);
    }

    pub fn submit(
        &mut self,
        queue: &wgpu::Queue,
        mut enc: wgpu::CommandEncoder,
        source: &wgpu::Buffer,
        canvas: usize,
        pts_ns: u64,
    ) {
        let Some(buffer) = self.free.pop() else {
            // Still nothing free (device lost?): drop this frame's readback.
            queue.submit([enc.finish()]);
            return;
        };
        enc.copy_buffer_to_buffer(source, 0, &self.buffers[buffer], 0, self.len);
        queue.submit([enc.finish()]);
        let state = Arc::new(AtomicU8::new(PENDING));
        let s = state.clone();
        self.buffers[buffer].slice(..).map_async(wgpu::MapMode::Read, move |r| {
            s.store(if r.is_ok() { MAPPED } else { FAILED }, Ordering::Release);
        });
        self.in_flight.push_back(InFlight {
            buffer,
            pts_ns,
            canvas,
            state,
        });
    }

    /// Moves finished frames (oldest first, in order) to `out`.
    pub fn harvest(&mut self, out: &mut Vec<ReadyFrame>) {
        out.append(&mut self.spill);
        self.collect(out);
    }

    fn collect(&mut self, out: &mut Vec<ReadyFrame>) {
        while let Some(front) = self.in_flight.front() {
            match front.state.load(Ordering::Acquire) {
                PENDING => break,
                MAPPED => {
                    let f = self.in_flight.pop_front().expect("front exists");
                    let buf = &self.buffers[f.buffer];
                    let data = match buf.slice(..).get_mapped_range() {
                        Ok(view) => Some(gst::Buffer::from_slice(view.to_vec())),
                        Err(_) => None,
                    };
                    buf.unmap();
                    self.free.push(f.buffer);
                    if let Some(data) = data {
                        out.push(ReadyFrame {
                            canvas: f.canvas,
                            pts_ns: f.pts_ns,
                            data,
                        });
                    }
                }
                _ => {
                    let f = self.in_flight.pop_front().expect("front exists");
                    self.free.push(f.buffer);
                }
            }
        }
    }
}
