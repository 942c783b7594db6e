//! Creating the wgpu device. Headless, the compositor makes its own; on a
//! machine without a GPU that is Mesa's lavapipe (software Vulkan).

use anyhow::{Context, Result, anyhow};

pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter_info: wgpu::AdapterInfo,
}

/// The first GPU error the device reports, kept instead of panicking (wgpu's
/// default on an uncaptured error) so that the engine can say it stopped
/// drawing and why, and the rest of the show goes on.
pub fn catch_errors(device: &wgpu::Device) -> std::sync::Arc<std::sync::Mutex<Option<String>>> {
    let slot: std::sync::Arc<std::sync::Mutex<Option<String>>> = Default::default();
    let keep = slot.clone();
    device.on_uncaptured_error(std::sync::Arc::new(move |e: wgpu::Error| {
        tracing::error!("GPU error: {e}");
        keep.lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(|| e.to_string());
    }));
    slot
}

impl Gpu {
    pub fn new_headless() -> Result<Gpu> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        desc.backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::VULKAN | wgpu::Backends::GL);
        let instance = wgpu::Instance::new(desc);
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .or_else(|_| {
            pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::LowPower,
                force_fallback_adapter: true,
                compatible_surface: None,
                apply_limit_buckets: false,
            }))
        })
        .map_err(|e| {
            anyhow!(
                "no GPU adapter found ({e}) — install Mesa's software Vulkan driver (apt-get install mesa-vulkan-drivers) or a GPU driver"
            )
        })?;
        let adapter_info = adapter.get_info();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("showroom compositor"),
            required_limits: wgpu::Limits::downlevel_defaults().using_resolution(adapter.limits()),
            ..Default::default()
        }))
        .context("the GPU adapter refused to create a device")?;
        Ok(Gpu {
            device,
            queue,
            adapter_info,
        })
    }
}
