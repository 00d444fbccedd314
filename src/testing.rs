//! Test apps: `MinimalPlugins`, the asset types the features use and a manual clock, so a
//! feature's systems run without a window or a GPU.

use std::time::Duration;

use bevy::{asset::AssetPlugin, prelude::*, time::TimeUpdateStrategy};

use crate::capture::CaptureSettings;

/// Frames per second the test clock advances at.
pub(crate) const TEST_FPS: f64 = 60.0;

/// The encore plugins on `MinimalPlugins`, stepping 1/60 s per update.
pub(crate) fn app() -> App {
    app_with_capture(CaptureSettings::default())
}

/// Like [`app`], with the given capture settings (for offscreen-run logic).
pub(crate) fn app_with_capture(capture: CaptureSettings) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default()));
    app.init_asset::<Mesh>();
    app.init_asset::<StandardMaterial>();
    app.init_asset::<Image>();
    app.init_asset::<bevy::mesh::skinning::SkinnedMeshInverseBindposes>();
    app.init_asset::<bevy::gltf::Gltf>();
    app.init_asset::<AnimationClip>();
    app.init_asset::<AnimationGraph>();
    // The cel shaders' shared WGSL import is loaded when the stage plugin starts.
    app.init_asset::<bevy::shader::Shader>();
    app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(
        1.0 / TEST_FPS,
    )));
    app.insert_resource(capture);
    app.add_plugins(crate::plugin);
    app
}

/// Runs `updates` frames.
pub(crate) fn step(app: &mut App, updates: usize) {
    for _ in 0..updates {
        app.update();
    }
}
