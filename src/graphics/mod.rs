//! The renderer: checks that one can start, logs the adapter once and picks settings that
//! suit it (a software rasterizer gets the cheap ones).

use std::path::Path;

use bevy::{
    light::{DirectionalLightShadowMap, PointLightShadowMap},
    prelude::*,
    render::{renderer::RenderAdapterInfo, settings::WgpuSettings},
};
use thiserror::Error;

use crate::setlist::raw::Quality;

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(PreStartup, choose_render_profile);
    app.add_systems(First, report_first_frame);
}

/// Logs once how long the start took: from the process's start to the first frame handed
/// to the renderer (the update after it begins).
fn report_first_frame(frames: Res<bevy::diagnostic::FrameCount>, mut done: Local<bool>) {
    if *done || frames.0 < 2 {
        return;
    }
    *done = true;
    info!(
        "started: first frame {:.2} s after launch",
        crate::since_start()
    );
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

/// The quality a run asked for (`--quality`, else the setlist's `quality`); `Auto` picks by
/// the adapter: a software rasterizer gets `Low`, a GPU `High`.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestedQuality(pub Quality);

/// Settings of the preset overridden for benchmarks: outlines on VRM models (`encore bench
/// race` compares renderers at equal settings) and shadow maps (`encore bench passes` times
/// them); `None` keeps the preset's.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProfileOverrides {
    /// Outlines on models.
    pub outlines: Option<bool>,
    /// Shadow maps of the key and colour lights.
    pub shadows: Option<bool>,
}

/// A resolved quality preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preset {
    /// For CPUs: cel shading on a fixed light rig, no shadows, a thinner crowd.
    #[default]
    Low,
    /// Physically based shading, the key light's shadow, half the crowd.
    Medium,
    /// For GPUs and recordings: every light real and shadowed, MSAA, bloom, the full crowd.
    High,
}

impl Preset {
    /// The preset's name as `--quality` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// Rendering settings of a quality preset on an adapter.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct RenderProfile {
    /// The preset these settings come from.
    pub preset: Preset,
    /// The adapter renders on the CPU (Mesa lavapipe/llvmpipe, SwiftShader, WARP).
    pub software: bool,
    /// Multisampling for the show camera.
    pub msaa: Msaa,
    /// Edge length of shadow maps.
    pub shadow_map_size: usize,
    /// Whether the key light casts shadows.
    pub key_shadows: bool,
    /// Whether the coloured stage lights cast shadows too.
    pub colour_light_shadows: bool,
    /// Cel shading lit by the light rig in a uniform, instead of Bevy's physically based
    /// materials and lights: on a software rasterizer a full screen of the standard material
    /// costs ~35 ms at 640x360, the cel shader a few.
    pub cel: bool,
    /// Moving heads that are real spot lights (the rest are beams only).
    pub lit_moving_heads: usize,
    /// Share of the setlist's crowd that is drawn.
    pub crowd: f32,
    /// Share of each effect's particles that is drawn.
    pub particles: f32,
    /// Bloom around everything that glows.
    pub bloom: bool,
    /// Puffs of haze over the stage (large soft sprites: fill rate a CPU does not have).
    pub haze: u32,
    /// MToon outlines on VRM models (a second skinned draw of each outlined mesh).
    pub outlines: bool,
    /// Idols cast shadows on the stage. Only `high`: on lavapipe the idols in the key light's
    /// shadow map cost medium a fifth of its frame (81.5 against 99.9 ms in `bench venue`).
    pub idol_shadows: bool,
}

impl RenderProfile {
    /// The settings of `preset`; `software` keeps MSAA off, which costs ~20% there.
    pub fn new(preset: Preset, software: bool) -> Self {
        let msaa = if software { Msaa::Off } else { Msaa::Sample4 };
        match preset {
            Preset::Low => Self {
                preset,
                software,
                msaa: Msaa::Off,
                shadow_map_size: 512,
                key_shadows: false,
                colour_light_shadows: false,
                cel: true,
                lit_moving_heads: 0,
                crowd: 0.5,
                particles: 0.35,
                bloom: false,
                haze: 0,
                outlines: false,
                idol_shadows: false,
            },
            Preset::Medium => Self {
                preset,
                software,
                msaa,
                shadow_map_size: 1024,
                key_shadows: true,
                colour_light_shadows: false,
                cel: false,
                lit_moving_heads: 2,
                crowd: 0.5,
                particles: 0.6,
                bloom: false,
                haze: 10,
                outlines: true,
                idol_shadows: false,
            },
            Preset::High => Self {
                preset,
                software,
                msaa,
                shadow_map_size: 2048,
                key_shadows: true,
                colour_light_shadows: true,
                cel: false,
                lit_moving_heads: 6,
                crowd: 1.0,
                particles: 1.0,
                bloom: true,
                haze: 40,
                outlines: true,
                idol_shadows: true,
            },
        }
    }

    /// Picks the preset for a request on an adapter of `device_type`.
    pub fn choose(requested: Quality, device_type: wgpu::DeviceType) -> Self {
        let software = device_type == wgpu::DeviceType::Cpu;
        let preset = match requested {
            Quality::Low => Preset::Low,
            Quality::Medium => Preset::Medium,
            Quality::High => Preset::High,
            Quality::Auto if software => Preset::Low,
            Quality::Auto => Preset::High,
        };
        Self::new(preset, software)
    }
}

impl Default for RenderProfile {
    /// Without an adapter (tests without rendering) assume the cheap settings.
    fn default() -> Self {
        Self::new(Preset::Low, true)
    }
}

fn choose_render_profile(
    adapter: Option<Res<RenderAdapterInfo>>,
    requested: Option<Res<RequestedQuality>>,
    overrides: Option<Res<ProfileOverrides>>,
    mut windows: Query<&mut Window>,
    mut commands: Commands,
) {
    let Some(adapter) = adapter else {
        return;
    };
    let requested = requested.map_or(Quality::Auto, |requested| requested.0);
    let mut profile = RenderProfile::choose(requested, adapter.device_type);
    let overrides = overrides.map(|overrides| *overrides).unwrap_or_default();
    if let Some(outlines) = overrides.outlines {
        profile.outlines = outlines;
    }
    if overrides.shadows == Some(false) {
        profile.key_shadows = false;
        profile.colour_light_shadows = false;
    }
    if profile.software {
        // A software renderer has no display to wait for: presenting without vsync took a
        // bare 1280x720 window under Xvfb from 24 to 28 fps. GPUs keep vsync (no tearing).
        for mut window in &mut windows {
            window.present_mode = bevy::window::PresentMode::AutoNoVsync;
        }
    }
    info!(
        "renderer: {} ({:?}, {:?}, driver {} {}); quality {}{}: MSAA {:?}, {}, crowd {:.0}%",
        adapter.name,
        adapter.backend,
        adapter.device_type,
        adapter.driver,
        adapter.driver_info,
        profile.preset.name(),
        if requested == Quality::Auto {
            if profile.software {
                " (auto: software renderer)"
            } else {
                " (auto: GPU)"
            }
        } else {
            ""
        },
        profile.msaa,
        if profile.cel {
            "cel shading".to_owned()
        } else {
            format!("{} px shadow maps", profile.shadow_map_size)
        },
        profile.crowd * 100.0,
    );
    if profile.software
        && let Some(major) = mesa_major(&adapter.driver_info)
        && major < FIRST_GOOD_MESA
    {
        warn!(
            "renderer: Mesa {major}'s lavapipe keeps 1 to 3 MB of every frame with encore's \
             shaders and never frees it, so memory grows until the machine runs out; install \
             Mesa {FIRST_GOOD_MESA} or newer (on Debian 12, ./scripts/setup.sh installs Mesa 25 \
             from bookworm-backports)"
        );
    }
    commands.insert_resource(DirectionalLightShadowMap {
        size: profile.shadow_map_size,
    });
    commands.insert_resource(PointLightShadowMap {
        size: profile.shadow_map_size,
    });
    commands.insert_resource(profile);
}

/// The first Mesa whose lavapipe does not leak with encore's shaders: Debian 12's 22.3 keeps
/// memory on every frame, bookworm-backports' 25.0 does not (issue 20). 23 is the first
/// release after the one measured to leak.
const FIRST_GOOD_MESA: u32 = 23;

/// Mesa's major version from a Vulkan driver's info ("Mesa 22.3.6 (LLVM 15.0.6)").
fn mesa_major(driver_info: &str) -> Option<u32> {
    let version = driver_info.split("Mesa ").nth(1)?;
    version.split('.').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mesa_versions_are_read_from_the_driver_info() {
        assert_eq!(mesa_major("Mesa 22.3.6 (LLVM 15.0.6)"), Some(22));
        assert_eq!(mesa_major("Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)"), Some(25));
        assert_eq!(mesa_major("NVIDIA 570.133.07"), None);
        assert_eq!(mesa_major(""), None);
    }

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
    fn auto_picks_low_on_software_and_high_on_gpus() {
        let cpu = RenderProfile::choose(Quality::Auto, wgpu::DeviceType::Cpu);
        assert_eq!(
            (cpu.preset, cpu.msaa, cpu.cel),
            (Preset::Low, Msaa::Off, true)
        );
        assert!(cpu.software);
        let gpu = RenderProfile::choose(Quality::Auto, wgpu::DeviceType::DiscreteGpu);
        assert_eq!((gpu.preset, gpu.msaa), (Preset::High, Msaa::Sample4));
        assert!(gpu.shadow_map_size > cpu.shadow_map_size);
        // Asking wins over the adapter; software still keeps MSAA off.
        let asked = RenderProfile::choose(Quality::High, wgpu::DeviceType::Cpu);
        assert_eq!((asked.preset, asked.msaa), (Preset::High, Msaa::Off));
        assert!(asked.crowd > cpu.crowd && asked.particles > cpu.particles);
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
