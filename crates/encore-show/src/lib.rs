//! The show as plain Rust: what encore plays, computed from data, with no engine in it.
//!
//! The `encore` app adapts these types to Bevy (resources, systems, meshes); everything here
//! builds and tests without Bevy, in seconds. See `docs/design.md` for the layers.

pub mod audio;
pub mod avatar;
pub mod camera;
pub mod chat;
pub mod choreography;
pub mod clock;
pub mod colour;
pub mod credits;
pub mod cuesheet;
pub mod frame;
pub mod lights;
pub mod motion;
pub mod music;
pub mod setlist;
pub mod song;
pub mod testdata;
