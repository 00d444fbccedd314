//! The renderer: checks that one can start, logs the adapter once and picks settings that
//! suit it (a software rasterizer gets the cheap ones).

use std::path::Path;

use bevy::{
    light::{DirectionalLightShadowMap, PointLightShadowMap},
    prelude::*,
    render::{renderer::RenderAdapterInfo, settings::WgpuSettings},
};
use thiserror::Error;

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(PreStartup, choose_render_profile);
}

/// Why the player cannot start on this machine, with what to do about it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PreflightError {
    /// No X11 display to open the window on.
    #[error(
        "no display to open a window on ({0}): run it under a virtual display with \
         `xvfb-run -a encore play`, or render offscreen with \
         `encore play --headless --frames 60 --screenshot out.png`"
    )]
    NoDisplay(String),
    /// No Vulkan adapter at all: neither a GPU driver nor Mesa's software one.
    #[error(
        "no Vulkan driver found: install Mesa's software renderer with \
         `sudo apt-get install mesa-vulkan-drivers libvulkan1` (or your GPU's Vulkan driver)"
    )]
    NoVulkan,
}

/// Checks what Bevy would otherwise panic on: a display for the window and a Vulkan adapter.
pub fn preflight(headless: bool) -> Result<(), PreflightError> {
    if !headless {
        check_display(
            std::env::var("DISPLAY").ok().as_deref(),
            Path::new("/tmp/.X11-unix"),
        )?;
    }
    let backends = WgpuSettings::default()
        .backends
        .unwrap_or(wgpu::Backends::VULKAN);
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapters = bevy::tasks::block_on(instance.enumerate_adapters(backends));
    if adapters.is_empty() {
        return Err(PreflightError::NoVulkan);
    }
    Ok(())
}

/// An X11 display is usable if `DISPLAY` is set and, for a local display, its socket exists.
fn check_display(display: Option<&str>, socket_dir: &Path) -> Result<(), PreflightError> {
    let Some(display) = display.filter(|d| !d.is_empty()) else {
        return Err(PreflightError::NoDisplay("DISPLAY is not set".into()));
    };
    // ":1" or ":1.0" is a local server listening on /tmp/.X11-unix/X1; "host:1" is remote and
    // can only be checked by connecting, which winit does next.
    if let Some(local) = display.strip_prefix(':') {
        let number = local.split('.').next().unwrap_or(local);
        if !socket_dir.join(format!("X{number}")).exists() {
            return Err(PreflightError::NoDisplay(format!(
                "DISPLAY={display} but no X server is listening there"
            )));
        }
    }
    Ok(())
}

/// Rendering settings chosen from the adapter: cheap ones for software rasterizers so the
/// window stays fluid on a CPU, richer ones for GPUs.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct RenderProfile {
    /// The adapter renders on the CPU (Mesa lavapipe/llvmpipe, SwiftShader, WARP).
    pub software: bool,
    /// Multisampling for the show camera. Off on software: it costs ~20% there and the
    /// stylized scene reads fine without it.
    pub msaa: Msaa,
    /// Edge length of shadow maps; only the key light casts shadows on software.
    pub shadow_map_size: usize,
    /// Whether the coloured stage lights cast shadows too.
    pub colour_light_shadows: bool,
}

impl RenderProfile {
    /// Settings for a CPU rasterizer: no MSAA, one shadowed light, small shadow maps.
    pub fn software() -> Self {
        Self {
            software: true,
            msaa: Msaa::Off,
            shadow_map_size: 1024,
            colour_light_shadows: false,
        }
    }

    /// Settings for a real GPU.
    pub fn gpu() -> Self {
        Self {
            software: false,
            msaa: Msaa::Sample4,
            shadow_map_size: 2048,
            colour_light_shadows: true,
        }
    }

    /// Picks the profile for an adapter by its device type.
    pub fn for_device_type(device_type: wgpu::DeviceType) -> Self {
        match device_type {
            wgpu::DeviceType::Cpu => Self::software(),
            _ => Self::gpu(),
        }
    }
}

impl Default for RenderProfile {
    /// Without an adapter (tests without rendering) assume the cheap settings.
    fn default() -> Self {
        Self::software()
    }
}

fn choose_render_profile(adapter: Option<Res<RenderAdapterInfo>>, mut commands: Commands) {
    let Some(adapter) = adapter else {
        return;
    };
    let profile = RenderProfile::for_device_type(adapter.device_type);
    info!(
        "renderer: {} ({:?}, {:?}, driver {} {}); {} settings: MSAA {:?}, {} px shadow maps",
        adapter.name,
        adapter.backend,
        adapter.device_type,
        adapter.driver,
        adapter.driver_info,
        if profile.software { "software" } else { "GPU" },
        profile.msaa,
        profile.shadow_map_size,
    );
    commands.insert_resource(DirectionalLightShadowMap {
        size: profile.shadow_map_size,
    });
    commands.insert_resource(PointLightShadowMap {
        size: profile.shadow_map_size,
    });
    commands.insert_resource(profile);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_display_is_explained() {
        let error = check_display(None, Path::new("/nonexistent")).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("DISPLAY is not set"), "{message}");
        assert!(message.contains("xvfb-run"), "{message}");
        assert!(message.contains("--headless"), "{message}");
    }

    #[test]
    fn local_display_needs_its_socket() {
        let dir = std::env::temp_dir().join("encore-x11-test");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("X7"), b"").unwrap();
        assert_eq!(check_display(Some(":7.0"), &dir), Ok(()));
        assert!(matches!(
            check_display(Some(":8"), &dir),
            Err(PreflightError::NoDisplay(_))
        ));
        // A remote display cannot be checked without connecting; let winit try.
        assert_eq!(check_display(Some("otherhost:0"), &dir), Ok(()));
    }

    #[test]
    fn software_adapters_get_the_cheap_profile() {
        let cpu = RenderProfile::for_device_type(wgpu::DeviceType::Cpu);
        assert_eq!(cpu.msaa, Msaa::Off);
        assert!(cpu.software);
        let gpu = RenderProfile::for_device_type(wgpu::DeviceType::DiscreteGpu);
        assert!(!gpu.software);
        assert!(gpu.shadow_map_size > cpu.shadow_map_size);
    }

    #[test]
    fn vulkan_error_names_the_package() {
        assert!(
            PreflightError::NoVulkan
                .to_string()
                .contains("mesa-vulkan-drivers")
        );
    }
}
