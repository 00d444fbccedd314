//! The `encore` command line: parses arguments and hands them to the library.

use std::{path::PathBuf, process::ExitCode};

use bevy::math::UVec2;
use clap::{Args, Parser, Subcommand};
use encore::PlayOptions;

/// encore: a virtual concert renderer.
#[derive(Debug, Parser)]
#[command(name = "encore", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Play a concert in a window, or render it offscreen with --headless.
    Play(PlayArgs),
}

#[derive(Debug, Args)]
struct PlayArgs {
    /// Setlist to play (RON). Without one, the built-in stage plays.
    setlist: Option<PathBuf>,
    /// Render offscreen with a fixed time step: no window or display needed.
    #[arg(long)]
    headless: bool,
    /// Stop after this many frames (counted after a short warm-up).
    #[arg(long, value_name = "N")]
    frames: Option<u64>,
    /// Size of the window or offscreen image, as WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", value_parser = parse_size, default_value = "1280x720")]
    size: UVec2,
    /// Save the last frame to this PNG file (needs --frames).
    #[arg(long, value_name = "OUT.png", requires = "frames")]
    screenshot: Option<PathBuf>,
    /// Frames per second of the fixed time step used offscreen.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=240))]
    fps: u32,
}

/// Parses `1280x720` into a size, with a message that shows the expected form.
fn parse_size(text: &str) -> Result<UVec2, String> {
    let invalid = || format!("`{text}` is not a size; write it as WIDTHxHEIGHT, e.g. 640x360");
    let (width, height) = text.split_once(['x', 'X']).ok_or_else(invalid)?;
    let width: u32 = width.trim().parse().map_err(|_| invalid())?;
    let height: u32 = height.trim().parse().map_err(|_| invalid())?;
    if !(16..=8192).contains(&width) || !(16..=8192).contains(&height) {
        return Err(format!(
            "`{text}` is out of range; width and height must be between 16 and 8192"
        ));
    }
    Ok(UVec2::new(width, height))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Play(args) => play(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn play(args: PlayArgs) -> anyhow::Result<()> {
    if let Some(setlist) = &args.setlist {
        anyhow::bail!(
            "{}: setlists are not supported by this build yet; run `encore play` without a \
             file to see the built-in stage",
            setlist.display()
        );
    }
    let frames = match (args.headless, args.frames) {
        // Offscreen runs always end; one second of frames unless told otherwise.
        (true, None) => Some(u64::from(args.fps)),
        (_, frames) => frames,
    };
    encore::run_play(&PlayOptions {
        headless: args.headless,
        frames,
        size: args.size,
        screenshot: args.screenshot,
        fps: args.fps,
    })
}
