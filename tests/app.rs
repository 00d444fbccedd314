//! End-to-end checks of the `encore` binary: offscreen renders on software Vulkan, the real
//! window under Xvfb, and the one-line errors for machines that cannot render.
//!
//! Everything runs the binary cargo built for the tests, so CI links Bevy only once more.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use bevy::math::{Vec2, Vec3};
use image::RgbImage;

const ENCORE: &str = env!("CARGO_BIN_EXE_encore");

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("app-tests");
    std::fs::create_dir_all(&dir).expect("cargo's test temp dir is writable");
    dir
}

fn run(args: &[&str], envs: &[(&str, &str)], removed: &[&str]) -> Output {
    let mut command = Command::new(ENCORE);
    command.args(args).env("RUST_BACKTRACE", "0");
    for (key, value) in envs {
        command.env(key, value);
    }
    for key in removed {
        command.env_remove(key);
    }
    command.output().expect("the encore binary starts")
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "encore failed with {:?}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

fn render_headless(name: &str, frames: &str) -> (PathBuf, RgbImage) {
    render(name, &["--frames", frames])
}

/// Renders offscreen at 640x360 with `args` added, and returns the last frame.
fn render(name: &str, args: &[&str]) -> (PathBuf, RgbImage) {
    let path = out_dir().join(name);
    let _ = std::fs::remove_file(&path);
    let mut all = vec![
        "play",
        "--headless",
        "--size",
        "640x360",
        "--screenshot",
        path.to_str().expect("temp paths are UTF-8"),
    ];
    all.extend_from_slice(args);
    let output = run(&all, &[], &[]);
    assert_success(&output);
    let image = image::open(&path)
        .unwrap_or_else(|error| panic!("{} is a PNG: {error}", path.display()))
        .to_rgb8();
    (path, image)
}

/// Share of pixels in a rectangle for which `test` holds.
fn share(
    image: &RgbImage,
    x: std::ops::Range<u32>,
    y: std::ops::Range<u32>,
    test: impl Fn([i32; 3]) -> bool,
) -> f64 {
    let mut hits = 0;
    let mut total = 0;
    for py in y {
        for px in x.clone() {
            total += 1;
            if test(image.get_pixel(px, py).0.map(i32::from)) {
                hits += 1;
            }
        }
    }
    f64::from(hits) / f64::from(total)
}

/// How many different colours a picture has.
fn distinct_colours(image: &RgbImage) -> usize {
    let mut colours: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    colours.len()
}

fn close_to(pixel: [i32; 3], target: [i32; 3], tolerance: i32) -> bool {
    pixel
        .iter()
        .zip(target)
        .all(|(a, b)| (a - b).abs() <= tolerance)
}

#[test]
fn headless_render_shows_a_lit_stage_with_the_panel() {
    let (_, image) = render_headless("stage.png", "1");
    assert_eq!(image.dimensions(), (640, 360));

    // Not a single colour: a real scene has many distinct colours.
    let colours = distinct_colours(&image);
    assert!(colours > 500, "only {colours} distinct colours");

    // The centre idol (lilac costume) stands in the middle of the frame.
    let lilac = share(&image, 305..335, 165..225, |[r, g, b]| {
        b > 90 && r > 60 && b > g + 30 && r > g
    });
    assert!(
        lilac > 0.15,
        "lilac figure covers {lilac:.2} of the centre region"
    );
    // The pink member stands to the left of centre, the gold one to the right.
    let pink = share(&image, 120..300, 150..260, |[r, g, b]| {
        r > 120 && r > g + 60 && b > g
    });
    assert!(
        pink > 0.01,
        "pink figure covers {pink:.3} of the left region"
    );
    let gold = share(&image, 340..520, 150..260, |[r, g, b]| {
        r > 120 && g > 80 && r > b + 60
    });
    assert!(
        gold > 0.01,
        "gold figure covers {gold:.3} of the right region"
    );

    // The egui panel sits at the top-left corner (12 px in) with its dark violet fill.
    let panel = share(&image, 16..40, 16..24, |p| close_to(p, [22, 16, 38], 12));
    assert!(panel > 0.8, "panel fill covers {panel:.2} of its corner");
    let outside = share(&image, 4..10, 4..10, |p| close_to(p, [22, 16, 38], 4));
    assert!(outside < 0.5, "the panel starts at its offset");
}

/// Hue of a pixel in twelfths of the colour wheel, for saturated pixels only.
fn hue_bucket([r, g, b]: [i32; 3]) -> Option<usize> {
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    if max < 90 || max - min < 60 {
        return None;
    }
    let (r, g, b, span) = (r as f32, g as f32, b as f32, (max - min) as f32);
    let hue = if max == r as i32 {
        ((g - b) / span).rem_euclid(6.0)
    } else if max == g as i32 {
        (b - r) / span + 2.0
    } else {
        (r - g) / span + 4.0
    };
    Some(((hue / 6.0 * 12.0) as usize).min(11))
}

/// A connected patch of pixels.
struct Patch {
    pixels: Vec<(u32, u32)>,
}

impl Patch {
    /// Its longer side, pixels.
    fn extent(&self) -> usize {
        let span = |values: Vec<u32>| {
            (values.iter().max().unwrap_or(&0) - values.iter().min().unwrap_or(&0)) as usize + 1
        };
        span(self.pixels.iter().map(|p| p.0).collect())
            .max(span(self.pixels.iter().map(|p| p.1).collect()))
    }
}

/// The 4-connected patches of `pixels`.
fn patches(pixels: &[(u32, u32)]) -> Vec<Patch> {
    let mut left: std::collections::HashSet<(u32, u32)> = pixels.iter().copied().collect();
    let mut found = Vec::new();
    while let Some(&start) = left.iter().next() {
        left.remove(&start);
        let mut stack = vec![start];
        let mut patch = Vec::new();
        while let Some((x, y)) = stack.pop() {
            patch.push((x, y));
            for next in [
                (x + 1, y),
                (x.wrapping_sub(1), y),
                (x, y + 1),
                (x, y.wrapping_sub(1)),
            ] {
                if left.remove(&next) {
                    stack.push(next);
                }
            }
        }
        found.push(Patch { pixels: patch });
    }
    found
}

/// Whether `point` is inside the polygon `corners`.
fn inside(corners: &[Vec2], point: Vec2) -> bool {
    let mut inside = false;
    for (index, a) in corners.iter().enumerate() {
        let b = corners[(index + 1) % corners.len()];
        if (a.y > point.y) != (b.y > point.y)
            && point.x < a.x + (point.y - a.y) / (b.y - a.y) * (b.x - a.x)
        {
            inside = !inside;
        }
    }
    inside
}

#[test]
fn the_crowd_waves_member_colours_and_every_preset_renders() {
    // The first chorus: a wide shot, the ocean in member colours (`Members` at bar 17).
    let chorus = ["--frames", "1", "--start", "0:33"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        chorus.iter().chain(extra).copied().collect()
    };
    let (_, crowd) = render("venue-low.png", &with(&["--quality", "low"]));
    let (_, empty) = render(
        "venue-empty.png",
        &with(&["--quality", "low", "--fans", "0"]),
    );
    // Where the crowd's lightsticks are: the frames differ in the lower half.
    let mut sticks = 0;
    let mut hues = [0u32; 12];
    for y in 180..360 {
        for x in 0..640 {
            let a = crowd.get_pixel(x, y).0.map(i32::from);
            let b = empty.get_pixel(x, y).0.map(i32::from);
            if (0..3).map(|c| (a[c] - b[c]).abs()).sum::<i32>() > 60 {
                sticks += 1;
                if let Some(bucket) = hue_bucket(a) {
                    hues[bucket] += 1;
                }
            }
        }
    }
    let share = f64::from(sticks) / (640.0 * 180.0);
    assert!(
        share > 0.01,
        "lightsticks cover only {share:.4} of the lower half"
    );
    let colours = hues.iter().filter(|count| **count >= 15).count();
    assert!(
        colours >= 3,
        "the ocean shows {colours} hues ({hues:?}), not member colours"
    );
    // Every light is a point: no lit patch of the crowd is a streak (longer than 16 pixels
    // and on average under 4 thick), and none lies over the LED wall behind the stage.
    let lit: Vec<(u32, u32)> = (0..360)
        .flat_map(|y| (0..640).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let a = crowd.get_pixel(x, y).0.map(i32::from);
            let b = empty.get_pixel(x, y).0.map(i32::from);
            (0..3).map(|c| (a[c] - b[c]).abs()).sum::<i32>() > 150
        })
        .collect();
    assert!(lit.len() > 1000, "only {} lit crowd pixels", lit.len());
    for patch in patches(&lit) {
        let (length, area) = (patch.extent(), patch.pixels.len());
        assert!(
            length <= 16 || area >= 4 * length,
            "a streak of light {length} pixels long and {area} in area at {:?}",
            patch.pixels[0]
        );
    }
    let lens = encore_show::camera::shot::wide(33.0);
    let wall: Vec<Vec2> = [(-6.5, 0.25), (6.5, 0.25), (6.5, 5.75), (-6.5, 5.75)]
        .into_iter()
        .filter_map(|(x, y)| {
            lens.project(Vec3::new(x, y, -5.5), 640.0 / 360.0)
                .map(|at| Vec2::new((at.x + 1.0) * 320.0, (1.0 - at.y) * 180.0))
        })
        .collect();
    assert_eq!(wall.len(), 4, "the wide shot sees the LED wall");
    let on_wall = lit
        .iter()
        .filter(|&&(x, y)| inside(&wall, Vec2::new(x as f32, y as f32)))
        .count();
    assert!(on_wall < 20, "{on_wall} lit crowd pixels over the LED wall");

    // The physically lit presets render the same instant differently, and fully.
    for (name, quality) in [("venue-medium.png", "medium"), ("venue-high.png", "high")] {
        let (_, image) = render(name, &with(&["--quality", quality]));
        assert!(image != crowd, "{quality} looks exactly like low");
        let mut distinct: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(
            distinct.len() > 500,
            "{quality}: {} colours",
            distinct.len()
        );
        // Medium is the better look, not a darker (or hazier) one.
        if quality == "medium" {
            let mean = |image: &RgbImage| {
                image
                    .pixels()
                    .map(|p| p.0.iter().map(|&v| f64::from(v)).sum::<f64>())
                    .sum::<f64>()
                    / (3.0 * f64::from(image.width() * image.height()))
            };
            let ratio = mean(&image) / mean(&crowd);
            assert!(
                (0.9..=1.1).contains(&ratio),
                "medium is {ratio:.2} times as bright as low"
            );
        }
    }
}

#[test]
fn a_built_in_close_up_fills_the_frame_with_her_face_and_her_eyes_take_her_colour() {
    // One idol in white with black hair on a grey wall: the only member-coloured pixels
    // left are her eyes.
    let close_up = |name: &str, colour: &str| {
        let setlist = out_dir().join(format!("eyes-{name}.ron"));
        std::fs::write(
            &setlist,
            format!(
                r##"Concert(
    title: "Eyes",
    quality: Low,
    cast: [(id: "hana", name: "Hana", colour: "{colour}",
        avatar: Builtin(hair_colour: "#101010", outfit_colour: "#f0f0f0", accent_colour: "#f0f0f0"))],
    program: [Song(title: "Eyes", bpm: 120, length: "bar 5", palette: ["#606060", "#909090"],
        dance: [(bars: (1, 4), move: Idle)],
        camera: [(at: 0.0, shot: CloseUp("hana"))])],
)"##
            ),
        )
        .unwrap();
        let folder = out_dir().join(format!("eyes-{name}"));
        let _ = std::fs::remove_dir_all(&folder);
        let args = [
            "record",
            setlist.to_str().expect("temp paths are UTF-8"),
            "--size",
            "640x360",
            "--chat",
            "off",
            "--from",
            "2.2",
            "--to",
            "2.23",
            "--frames-dir",
            folder.to_str().expect("temp paths are UTF-8"),
        ];
        assert_success(&run(&args, &[], &[]));
        image::open(folder.join("frame_000000.png"))
            .expect("a frame")
            .to_rgb8()
    };
    let count = |image: &RgbImage, test: &dyn Fn(i32, i32, i32) -> bool| {
        let mut found = 0;
        for y in 0..360 {
            for x in 160..480 {
                let [r, g, b] = image.get_pixel(x, y).0.map(i32::from);
                if test(r, g, b) {
                    found += 1;
                }
            }
        }
        found
    };
    let blue_eyes = |r: i32, g: i32, b: i32| b > r + 60 && b > g + 30;
    let red_eyes = |r: i32, g: i32, b: i32| r > b + 60 && r > g + 60 && g < 110;
    let blue = close_up("blue", "#3050ff");
    let red = close_up("red", "#ff2030");
    let (blue_in_blue, blue_in_red) = (count(&blue, &blue_eyes), count(&red, &blue_eyes));
    let (red_in_red, red_in_blue) = (count(&red, &red_eyes), count(&blue, &red_eyes));
    assert!(
        blue_in_blue > 200 && blue_in_red < 20,
        "{blue_in_blue} {blue_in_red}"
    );
    assert!(red_in_red > red_in_blue + 200, "{red_in_red} {red_in_blue}");
    // Her face is big and in the middle: skin above the shoulders covers more than 3% of
    // the frame (5.8% measured; a wide shot's faces cover well under 1%), centred.
    let face: Vec<u32> = (0..200)
        .flat_map(|y| (0..640).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let [r, g, b] = blue.get_pixel(x, y).0.map(i32::from);
            r > 150 && r > g && g > b
        })
        .map(|(x, _)| x)
        .collect();
    let share = face.len() as f64 / (640.0 * 200.0);
    let middle = face.iter().map(|x| f64::from(*x)).sum::<f64>() / face.len().max(1) as f64;
    assert!(share > 0.03, "her face covers {share:.3} of the frame");
    assert!(
        (256.0..384.0).contains(&middle),
        "her face is at x {middle}"
    );
}

#[test]
fn the_side_screens_show_whoever_sings() {
    // Hana sings bars 1 to 4 and Yuna bars 5 to 8, in a wide shot the whole time.
    let setlist = out_dir().join("imag.ron");
    std::fs::write(
        &setlist,
        r##"Concert(
    title: "IMAG",
    quality: Low,
    cast: [
        (id: "hana", name: "Hana", colour: "#ff6fae"),
        (id: "yuna", name: "Yuna", colour: "#4fb4ff"),
    ],
    program: [Song(title: "Lines", bpm: 120, length: "bar 9",
        lines: [(bars: (1, 4), idols: ["hana"]), (bars: (5, 8), idols: ["yuna"])],
        dance: [(bars: (1, 8), move: StepTouch)],
        camera: [(at: 0.0, shot: Wide)])],
)"##,
    )
    .unwrap();
    // The lower middle of a side screen the wide shot sees (the singer's costume).
    let screen = |seconds: f32, image: &RgbImage| -> [f64; 3] {
        let (x, y) = encore_show::lights::IMAG_SCREENS
            .iter()
            .filter_map(|(centre, _)| {
                let at = encore_show::camera::shot::wide(f64::from(seconds))
                    .project(*centre - Vec3::Y * 0.85, 640.0 / 360.0)?;
                Some(((at.x + 1.0) * 320.0, (1.0 - at.y) * 180.0))
            })
            .find(|(x, y)| (40.0..600.0).contains(x) && (20.0..340.0).contains(y))
            .expect("the wide shot sees a side screen");
        let mut sum = [0.0; 3];
        for dy in -4..4 {
            for dx in -6..6 {
                let pixel = image.get_pixel((x as i32 + dx) as u32, (y as i32 + dy) as u32);
                for (total, value) in sum.iter_mut().zip(pixel.0) {
                    *total += f64::from(value) / (8.0 * 12.0);
                }
            }
        }
        sum
    };
    // Recorded frames: no show panel or chat over the screens.
    let frame = |seconds: &str| {
        let folder = out_dir().join(format!("imag-{seconds}"));
        let _ = std::fs::remove_dir_all(&folder);
        let to = format!("{}", seconds.parse::<f64>().unwrap() + 0.03);
        assert_success(&run(
            &[
                "record",
                setlist.to_str().expect("temp paths are UTF-8"),
                "--size",
                "640x360",
                "--no-chat",
                "--from",
                seconds,
                "--to",
                &to,
                "--frames-dir",
                folder.to_str().expect("temp paths are UTF-8"),
            ],
            &[],
            &[],
        ));
        image::open(folder.join("frame_000000.png"))
            .expect("the frame is a PNG")
            .to_rgb8()
    };
    let (hana, yuna) = (frame("3.0"), frame("11.0"));
    let (on_hana, on_yuna) = (screen(3.0, &hana), screen(11.0, &yuna));
    // Her costume: pink on the screen while Hana sings, blue while Yuna does.
    assert!(on_hana[0] > on_hana[2] + 10.0, "Hana's screen {on_hana:?}");
    assert!(on_yuna[2] > on_yuna[0] + 10.0, "Yuna's screen {on_yuna:?}");
}

#[test]
fn the_chat_draws_korean_japanese_and_emoji_with_real_glyphs() {
    let log = out_dir().join("chat-log.txt");
    // The last line is the emoji test set: VS16, a skin tone, newer emoji, a ZWJ sequence.
    std::fs::write(
        &log,
        "[0:01] 민지: 안녕하세요 여러분 사랑해요\n\
         [0:02] sakura_jp: こんにちは！最高のライブ\n\
         [0:03] luna: 💗💙💜 ✨🎤🎶\n\
         [0:03] mina: \u{2764}\u{fe0f} \u{1f44f}\u{1f3fb} \u{1f97a} \u{1faf6} \u{1fa77} \u{1f469}\u{200d}\u{1f3a4}\n",
    )
    .expect("temp is writable");
    let log = log.to_str().expect("temp paths are UTF-8");
    let args = [
        "--frames",
        "1",
        "--start",
        "3.5",
        "--no-chatter",
        "--chat-log",
        log,
    ];
    let path = out_dir().join("chat-fonts.png");
    let output = Command::new(ENCORE)
        .args(["play", "--headless", "--size", "640x360", "--screenshot"])
        .arg(&path)
        .args(args)
        .output()
        .expect("encore runs");
    assert_success(&output);
    // Every emoji of the set became one colour picture: none is left as text (a box, or
    // egui's one-colour glyphs side by side).
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("colour emoji ready") && !log.contains("no colour picture for"),
        "{log}"
    );
    let with_fonts = image::open(&path).expect("a PNG").to_rgb8();
    let (_, no_chat) = render(
        "chat-off.png",
        &["--frames", "1", "--start", "3.5", "--chat", "off"],
    );
    // Where the lines are: the chat's side column in the lower right (`chat_area`).
    let (x, y) = (480..630, 150..345);
    let bright = |image: &RgbImage| share(image, x.clone(), y.clone(), |[r, g, b]| r + g + b > 560);
    assert!(
        bright(&with_fonts) > bright(&no_chat) + 0.015,
        "the chat's text adds glyph pixels ({:.4} against {:.4})",
        bright(&with_fonts),
        bright(&no_chat)
    );
    // Without the fonts the same lines are boxes: the pictures differ where the text is.
    let output = Command::new(ENCORE)
        .args(["play", "--headless", "--size", "640x360", "--screenshot"])
        .arg(out_dir().join("chat-boxes.png"))
        .args(args)
        .env("ENCORE_NO_CJK_FONTS", "1")
        .output()
        .expect("encore runs");
    assert_success(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("fonts-nanum"));
    let boxes = image::open(out_dir().join("chat-boxes.png"))
        .expect("a PNG")
        .to_rgb8();
    let mut differing = 0;
    for py in y.clone() {
        for px in x.clone() {
            let a = with_fonts.get_pixel(px, py).0.map(i32::from);
            let b = boxes.get_pixel(px, py).0.map(i32::from);
            if (0..3).map(|c| (a[c] - b[c]).abs()).sum::<i32>() > 90 {
                differing += 1;
            }
        }
    }
    assert!(
        differing > 400,
        "real glyphs and boxes differ in only {differing} pixels"
    );
    // Without the colour emoji font: one warning naming the package, and no colour where
    // the yellow faces and hands (🥺 🫶) were.
    let output = Command::new(ENCORE)
        .args(["play", "--headless", "--size", "640x360", "--screenshot"])
        .arg(out_dir().join("chat-mono-emoji.png"))
        .args(args)
        .env("ENCORE_NO_EMOJI_FONT", "1")
        .output()
        .expect("encore runs");
    assert_success(&output);
    let log = String::from_utf8_lossy(&output.stderr);
    assert_eq!(log.matches("fonts-noto-color-emoji").count(), 1, "{log}");
    let mono = image::open(out_dir().join("chat-mono-emoji.png"))
        .expect("a PNG")
        .to_rgb8();
    let yellow = |image: &RgbImage| {
        share(image, x.clone(), y.clone(), |[r, g, b]| {
            r > 200 && g > 150 && b < 110 && r - b > 120
        })
    };
    assert!(
        yellow(&with_fonts) > yellow(&mono) + 0.006,
        "colour emoji add yellow pixels ({:.4} against {:.4})",
        yellow(&with_fonts),
        yellow(&mono)
    );
}

#[test]
fn a_setlist_file_plays_its_camera_cues() {
    // Bar 5 of the demo's first song (7.5 s at 128 bpm) cuts to a close-up of Hana, in pink.
    let (_, image) = render(
        "close-up.png",
        &["scenes/demo.ron", "--start", "8.5", "--frames", "1"],
    );
    let pink = share(&image, 260..380, 220..340, |[r, g, b]| {
        r > 120 && r > g + 60 && b > g
    });
    assert!(pink > 0.3, "Hana fills {pink:.2} of the centre");
}

#[test]
fn check_reports_every_problem_like_a_compiler() {
    let output = run(&["check", "scenes/demo.ron"], &[], &[]);
    assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("scenes/demo.ron: ok"), "{stdout}");

    let output = run(&["check", "tests/setlists/unknown_idol.ron"], &[], &[]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("--> tests/setlists/unknown_idol.ron:11:44\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("5 errors, 0 warnings\n"), "{stdout}");

    // Warnings are listed but do not fail.
    let output = run(&["check", "tests/setlists/warnings_only.ron"], &[], &[]);
    assert_success(&output);
    assert!(String::from_utf8_lossy(&output.stdout).contains("0 errors, 3 warnings"));

    let output = run(&["check", "no/such/file.ron"], &[], &[]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("error: no such file\n--> no/such/file.ron\n"),
        "{stdout}"
    );

    // Not a setlist at all: said in one line, not RON's first complaint.
    let output = run(&["check", "README.md"], &[], &[]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("error: this is not a setlist: a setlist starts with `Concert(`"),
        "{stdout}"
    );
    assert!(stdout.contains("--> README.md:1:1"), "{stdout}");

    // `play` prints the report once, with no doubled "error: error:".
    let output = run(&["play", "missing.ron", "--headless"], &[], &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: no such file\n"), "{stderr}");
    assert!(!stderr.contains("error: error"), "{stderr}");
}

#[test]
fn cuesheet_writes_the_demos_works_as_csv_and_json_and_refuses_a_broken_setlist() {
    let dir = out_dir().join("cuesheet");
    let _ = std::fs::remove_dir_all(&dir);
    let folder = format!("{}/", dir.display());
    let output = run(&["cuesheet", "scenes/demo.ron", "-o", &folder], &[], &[]);
    assert_success(&output);
    let (csv_path, json_path) = (
        dir.join("demo.cuesheet.csv"),
        dir.join("demo.cuesheet.json"),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&csv_path.display().to_string())
            && stdout.contains(&json_path.display().to_string()),
        "{stdout}"
    );
    // Every song of the demo has its writers.
    assert!(String::from_utf8_lossy(&output.stderr).is_empty());

    let csv = std::fs::read_to_string(&csv_path).expect("the CSV was written");
    let rows: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(
        rows.len(),
        1 + 3,
        "a header and the demo's three songs:\n{csv}"
    );
    assert!(
        rows[0].starts_with("number,title,artists,composers,lyricists"),
        "{csv}"
    );
    assert!(
        rows[1].starts_with("1,Starlight Signal,encore,Hoshi Kanade; Lumen Park,Lumen Park,"),
        "{csv}"
    );
    assert!(
        rows[3].contains(",T-926.040.130-7,") && rows[3].contains(",yes,"),
        "{csv}"
    );

    let json = std::fs::read_to_string(&json_path).expect("the JSON was written");
    let value: serde_json::Value = serde_json::from_str(&json).expect("the JSON parses");
    assert_eq!(value["show"], "encore: Starlight Live");
    let works = value["works"].as_array().expect("a list of works");
    assert_eq!(works.len(), 3);
    assert_eq!(works[1]["title"], "Neon Heartbeat (Starlight Live Version)");
    assert_eq!(works[2]["encore"], true);
    let starts: Vec<f64> = works
        .iter()
        .map(|work| work["start_seconds"].as_f64().expect("a number"))
        .collect();
    assert!(
        starts.windows(2).all(|pair| pair[0] < pair[1]),
        "{starts:?}"
    );

    // A setlist with mistyped codes: the checker's located report, no files, exit code 1.
    let output = run(
        &["cuesheet", "tests/setlists/bad_credits.ron", "-o", &folder],
        &[],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--> tests/setlists/bad_credits.ron:12:23")
            && stderr.contains("but its nine digits make 3"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!dir.join("bad_credits.cuesheet.csv").exists());
}

#[test]
fn play_refuses_a_broken_setlist_with_its_report() {
    let output = run(
        &["play", "tests/setlists/bad_tempo.ron", "--headless"],
        &[],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--> tests/setlists/bad_tempo.ron:6:34") && stderr.contains("encore check"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_same_frame_renders_to_the_same_bytes() {
    let (first_path, first) = render_headless("twice-a.png", "20");
    let (second_path, second) = render_headless("twice-b.png", "20");
    assert!(first == second, "two renders of frame 19 differ");
    assert_eq!(
        std::fs::read(first_path).unwrap(),
        std::fs::read(second_path).unwrap()
    );
    // And time moves: frame 0 is a different picture.
    let (_, frame_zero) = render_headless("twice-c.png", "1");
    assert!(frame_zero != first, "frame 19 should differ from frame 0");

    // At half the render scale the scene is drawn at 320x180 and stretched over the frame:
    // the same picture, softer, the same every time, with the show panel drawn sharp on top.
    let (half_path, half) = render("half-a.png", &["--frames", "20", "--render-scale", "0.5"]);
    let (again_path, _) = render("half-b.png", &["--frames", "20", "--render-scale", "0.5"]);
    assert_eq!(half.dimensions(), (640, 360));
    assert_eq!(
        std::fs::read(half_path).unwrap(),
        std::fs::read(again_path).unwrap(),
        "a fixed render scale renders the same bytes"
    );
    assert!(
        half != first,
        "the half-scale scene differs from the full one"
    );
    let mean = |image: &RgbImage, x: std::ops::Range<u32>, y: std::ops::Range<u32>| {
        let (mut sum, mut count) = (0.0, 0.0);
        for yy in y {
            for xx in x.clone() {
                let [r, g, b] = image.get_pixel(xx, yy).0;
                sum += f64::from(r) + f64::from(g) + f64::from(b);
                count += 3.0;
            }
        }
        sum / count
    };
    let (full_mean, half_mean) = (mean(&first, 0..640, 0..360), mean(&half, 0..640, 0..360));
    assert!(
        (half_mean - full_mean).abs() < full_mean * 0.05,
        "the stretched scene keeps the picture's brightness: {full_mean:.1} against {half_mean:.1}"
    );
    // The panel's text is drawn at full resolution: its sharp edges (neighbours differing by
    // more than 100) are as many as in the full-scale frame.
    let edges = |image: &RgbImage| {
        let mut count = 0;
        for y in 12..60 {
            for x in 12..200 {
                let a = image.get_pixel(x, y).0;
                let b = image.get_pixel(x + 1, y).0;
                if (i32::from(a[0]) - i32::from(b[0])).abs() > 100 {
                    count += 1;
                }
            }
        }
        count
    };
    let (full_edges, half_edges) = (edges(&first), edges(&half));
    assert!(
        half_edges * 10 >= full_edges * 8,
        "the panel stays sharp: {half_edges} sharp edges against {full_edges}"
    );
}

#[test]
fn the_pass_profile_times_the_main_passes() {
    let output = run(
        &[
            "play",
            "--headless",
            "--size",
            "320x180",
            "--frames",
            "4",
            "--pass-profile",
        ],
        &[],
        &[],
    );
    assert_success(&output);
    let printed = String::from_utf8_lossy(&output.stdout);
    let opaque = printed
        .lines()
        .find_map(|line| line.strip_prefix("pass main_opaque_pass_3d gpu "))
        .and_then(|ms| ms.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no timed opaque pass in:\n{printed}"));
    assert!(opaque > 0.0 && opaque < 1000.0, "{opaque} ms");
}

#[test]
fn window_renders_under_xvfb() {
    let path = out_dir().join("window.png");
    let _ = std::fs::remove_file(&path);
    let output = Command::new("xvfb-run")
        .args([
            "-a",
            "-s",
            "-screen 0 1280x720x24",
            ENCORE,
            "play",
            "--frames",
            "10",
        ])
        .arg("--screenshot")
        .arg(&path)
        .env("RUST_BACKTRACE", "0")
        // A session without a runtime folder, as under a bare Xvfb or ssh.
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("RUST_LOG")
        .output()
        .expect("xvfb-run is installed by scripts/setup.sh");
    assert_success(&output);
    // Sound card or not, one line says what became of the music, and nothing else complains.
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(!log.contains("ALSA lib"), "{log}");
    // A quiet start: encore's own lines only (no Wayland, winit, asset-watcher or Bevy
    // software-renderer noise), the renderer named once, and the start timed.
    for line in log.lines().filter(|line| !line.trim().is_empty()) {
        assert!(
            line.contains("encore::") || line.contains("encore_show::"),
            "not encore's own line: {line}\n{log}"
        );
    }
    assert_eq!(log.matches("renderer: ").count(), 1, "{log}");
    assert_eq!(log.matches("started: first frame").count(), 1, "{log}");
    let notices = log.matches("audio: no sound device").count()
        + log.matches("audio: playing through").count();
    assert_eq!(notices, 1, "{log}");
    let image = image::open(&path)
        .expect("the window screenshot is a PNG")
        .to_rgb8();
    assert_eq!(image.dimensions(), (1280, 720));
    let lit = share(&image, 0..1280, 0..720, |[r, g, b]| r + g + b > 120);
    assert!(lit > 0.05, "only {lit:.3} of the window is lit");
}

/// Drives the window like a viewer: waits for it, drags the mouse until the free camera has
/// taken over, presses C until the director is back, then F for a fancam. Arguments: the log file, then the
/// command that opens the window.
const DRIVE_THE_CAMERA: &str = r#"
log=$1; shift
"$@" 2>"$log" &
app=$!
window=$(xdotool search --sync --name encore | head -1)
seen() { grep -q "$1" "$log"; }
for try in $(seq 1 60); do
  xdotool mousemove --window "$window" 480 180 mousedown 1 \
    mousemove_relative -- 30 0 sleep 0.2 mousemove_relative -- 30 0 mouseup 1 click 4
  seen "the viewer has it" && break
  sleep 1
done
xdotool windowfocus --sync "$window"
for try in $(seq 1 60); do
  seen "camera: director" && break
  xdotool key c
  sleep 1
done
for try in $(seq 1 60); do
  seen "camera: fancam" && break
  xdotool key f
  sleep 1
done
kill "$app"
wait "$app"
"#;

#[test]
fn the_viewer_takes_the_camera_in_a_window_gives_it_back_and_picks_a_fancam() {
    let log = out_dir().join("free-camera.log");
    let output = Command::new("xvfb-run")
        // Each window test starts looking for a free display at its own number: two
        // `xvfb-run -a` started together can pick the same one.
        .args([
            "-a",
            "-n",
            "110",
            "-s",
            "-screen 0 1280x720x24",
            "bash",
            "-c",
        ])
        .args([DRIVE_THE_CAMERA, "drive"])
        .arg(&log)
        .args([ENCORE, "play", "--size", "640x360", "--frames", "3000"])
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("xvfb-run and xdotool are installed by scripts/setup.sh");
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    let taken = log.find("camera: the viewer has it; C gives it back");
    let returned = log.find("camera: director");
    assert!(
        matches!((taken, returned), (Some(taken), Some(returned)) if taken < returned),
        "a drag should take the camera and C give it back ({:?})\nlog:\n{log}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        log.contains("camera: fancam · Fancam Hana"),
        "F should start a fancam on the first member\nlog:\n{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
}

/// Types into the chat like a viewer: Enter, a message with camera keys in it, Enter, until
/// the saved chat has it; then quits. Arguments: the log file, the saved chat, then the command.
const TYPE_IN_THE_CHAT: &str = r#"
log=$1; saved=$2; shift 2
"$@" 2>"$log" &
app=$!
window=$(xdotool search --sync --name encore | head -1)
xdotool windowfocus --sync "$window"
for try in $(seq 1 20); do
  grep -q "wasd hello" "$saved" 2>/dev/null && break
  xdotool key Return
  sleep 0.5
  xdotool type --delay 30 "wasd hello"
  xdotool key Return
  sleep 1
done
kill "$app"
wait "$app"
"#;

#[test]
fn typed_chat_is_sent_saved_and_never_moves_the_camera() {
    let log = out_dir().join("typing.log");
    let saved = out_dir().join("typed-chat.jsonl");
    let _ = std::fs::remove_file(&saved);
    let output = Command::new("xvfb-run")
        .args([
            "-a",
            "-n",
            "130",
            "-s",
            "-screen 0 1280x720x24",
            "bash",
            "-c",
        ])
        .args([TYPE_IN_THE_CHAT, "type"])
        .arg(&log)
        .arg(&saved)
        .args([
            ENCORE,
            "play",
            "--size",
            "640x360",
            "--no-chatter",
            "--chat-name",
            "tester",
        ])
        .arg("--save-chat")
        .arg(&saved)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("xvfb-run and xdotool are installed by scripts/setup.sh");
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    let chat = std::fs::read_to_string(&saved).unwrap_or_default();
    assert!(
        chat.contains(r#""user":"tester""#) && chat.contains("wasd hello"),
        "the typed message was not saved ({:?})\nchat:\n{chat}\nlog:\n{log}",
        output.status
    );
    assert!(
        !log.contains("the viewer has it"),
        "typing W, A, S and D moved the camera\n{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn without_a_display_play_explains_in_one_line() {
    let output = run(&["play"], &[], &["DISPLAY", "WAYLAND_DISPLAY"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("xvfb-run") && stderr.contains("--headless"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn without_vulkan_play_names_the_package() {
    let missing = "/nonexistent/icd.json";
    let output = run(
        &["play", "--headless", "--frames", "1"],
        &[("VK_ICD_FILENAMES", missing), ("VK_DRIVER_FILES", missing)],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("mesa-vulkan-drivers"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["play", "--help"],
        &["check", "--help"],
        &["cuesheet", "--help"],
        &["song", "analyze", "--help"],
        &["song", "draft", "--help"],
        &["bench", "setlist", "--help"],
        &["record", "--help"],
        &["avatar", "inspect", "--help"],
        &["bench", "record", "--help"],
    ] {
        let output = run(args, &[], &[]);
        assert_success(&output);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("Usage"), "{stdout}");
    }
    let output = run(&["play", "--headless", "--size", "big"], &[], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("WIDTHxHEIGHT"));
}

#[test]
fn song_analyze_prints_the_grid_and_draft_writes_a_show_that_checks() {
    let Some(data) = encore_show::testdata::file("music/citychill.ogg") else {
        return;
    };
    let folder = out_dir().join("song-cli");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("a scratch folder");
    let cache = folder.join("cache");
    let envs = [("ENCORE_CACHE_DIR", cache.to_str().expect("utf-8"))];
    let song = data.to_str().expect("utf-8");
    let output = run(&["song", "analyze", song, "--beats"], &envs, &[]);
    assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("tempo     130.00 bpm, steady"), "{stdout}");
    assert!(
        stdout.contains("bpm: 130.00,") && stdout.contains("(kind: Chorus"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .filter(|line| line.parse::<f64>().is_ok())
            .count()
            > 200
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("analysed in"));
    // The second time it comes from the cache.
    let output = run(&["song", "analyze", song], &envs, &[]);
    assert_success(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("read from the cache"));

    let show = folder.join("show.ron");
    let show = show.to_str().expect("utf-8");
    let output = run(
        &["song", "draft", song, "-o", show, "--cast", "3"],
        &envs,
        &[],
    );
    assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("copied") && stdout.contains("wrote"),
        "{stdout}"
    );
    let output = run(&["check", show], &[], &[]);
    assert_success(&output);
    assert!(String::from_utf8_lossy(&output.stdout).contains("3 idols, 1 items (1 songs)"));
    // Never over an existing file.
    let output = run(&["song", "draft", song, "-o", show], &envs, &[]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));
    let _ = std::fs::remove_dir_all(&folder);
}

/// Renders `setlist` offscreen at 640x360 at `start` seconds; returns the frame and the log.
fn render_setlist(setlist: &Path, name: &str, start: &str) -> (RgbImage, String) {
    let path = out_dir().join(name);
    let _ = std::fs::remove_file(&path);
    let output = run(
        &[
            "play",
            setlist.to_str().expect("temp paths are UTF-8"),
            "--headless",
            "--size",
            "640x360",
            "--frames",
            "1",
            "--start",
            start,
            "--screenshot",
            path.to_str().expect("temp paths are UTF-8"),
        ],
        &[],
        &[],
    );
    assert_success(&output);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let image = image::open(&path)
        .unwrap_or_else(|error| panic!("{} is a PNG: {error}", path.display()))
        .to_rgb8();
    (image, log)
}

#[test]
fn a_generated_idol_loads_back_as_a_model_and_plays_its_clips() {
    let dir = out_dir().join("model-avatar");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let glb = dir.join("green.glb");
    let _ = std::fs::remove_file(&glb);
    // A green costume on a blue member: green pixels prove the file itself is drawn (a
    // fallback idol would wear the member colour).
    let output = run(
        &[
            "avatar",
            "gen",
            "--out",
            glb.to_str().expect("UTF-8"),
            "--outfit-colour",
            "#20d040",
            "--colour",
            "#3060ff",
            "--hair",
            "short",
            "--outfit",
            "trousers",
        ],
        &[],
        &[],
    );
    assert_success(&output);
    assert!(String::from_utf8_lossy(&output.stdout).contains("18 move clips"));
    let bytes = std::fs::read(&glb).expect("the GLB was written");
    assert_eq!(&bytes[..4], b"glTF");
    // A truncated copy is an error of the setlist that names it, where it breaks and why.
    std::fs::write(dir.join("broken.glb"), &bytes[..bytes.len() / 3]).expect("write");
    let broken = dir.join("broken.ron");
    std::fs::write(
        &broken,
        r##"Concert(title: "Broken", cast: [(id: "bad", name: "Bad", colour: "#ff3030",
            avatar: Model("broken.glb"))], program: [Song(title: "One", bpm: 120, length: "bar 5")])"##,
    )
    .expect("write");
    let output = run(&["check", broken.to_str().unwrap()], &[], &[]);
    let said = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(
        said.contains("the model `broken.glb` cannot be used") && said.contains("is cut short"),
        "{said}"
    );

    let show = |step: &str| {
        format!(
            r##"Concert(
    title: "Model test",
    cast: [
        (id: "gen", name: "Gen", colour: "#3060ff", avatar: Model("green.glb"), position: (-1.0, 0.5)),
        (id: "hana", name: "Hana", colour: "#ff3030", position: (1.0, 0.5)),
    ],
    program: [Song(title: "Clips", bpm: 120, length: "bar 5", dance: [(bars: (1, 4), idols: ["gen"], move: {step})])],
)"##
        )
    };
    let spin = dir.join("spin.ron");
    std::fs::write(&spin, show(r#"Clip("Spin")"#)).expect("write");
    let idle = dir.join("idle.ron");
    std::fs::write(&idle, show("Idle")).expect("write");

    let (spinning, log) = render_setlist(&spin, "model-spin.png", "1.2");
    assert!(
        log.contains("green.glb: Gen is on stage with 29 of 29 humanoid bones, 7 expressions and 18 animation clips"),
        "{log}"
    );
    let green = share(&spinning, 0..640, 0..360, |[r, g, b]| {
        g > 100 && g > r + 50 && g > b + 30
    });
    assert!(
        green > 0.001,
        "the green costume covers {green:.4} of the frame"
    );
    let red = share(&spinning, 0..640, 0..360, |[r, g, b]| {
        r > 120 && r > g + 70 && r > b + 50
    });
    assert!(red > 0.001, "the built-in idol in red covers {red:.4}");

    // The clip moves her: the same instant idling looks different where she stands.
    let (idling, _) = render_setlist(&idle, "model-idle.png", "1.2");
    let differing = (0..320)
        .flat_map(|x| (0..360).map(move |y| (x, y)))
        .filter(|&(x, y)| {
            let a = spinning.get_pixel(x, y).0;
            let b = idling.get_pixel(x, y).0;
            a.iter().zip(b).any(|(a, b)| a.abs_diff(b) > 40)
        })
        .count();
    assert!(
        differing > 200,
        "only {differing} pixels change with the clip"
    );
}

#[test]
fn check_prints_the_camera_plan_and_play_refuses_an_unknown_fancam() {
    let output = run(&["check", "scenes/demo.ron", "--shots"], &[], &[]);
    assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The first song is cued; the second has no cues and is directed.
    assert!(
        stdout.contains("CloseUp hana") && stdout.contains("setlist"),
        "{stdout}"
    );
    let directed = stdout
        .lines()
        .filter(|line| line.contains("Neon Heartbeat") && line.ends_with("director"))
        .count();
    assert!(directed >= 8, "{stdout}");

    let output = run(&["play", "--headless", "--fancam", "hanna"], &[], &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--fancam hanna") && stderr.contains("hana"),
        "{stderr}"
    );
}

/// What ffprobe says about a video: (codec type, codec, frames, rate) per stream, and the
/// container's duration.
fn probe(path: &Path) -> (Vec<[String; 4]>, f64) {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-show_entries"])
        .args([
            "stream=codec_type,codec_name,nb_read_frames,r_frame_rate:format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs (scripts/setup.sh installs ffmpeg)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut streams = Vec::new();
    let mut duration = 0.0;
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() == 1 {
            duration = fields[0].parse().unwrap_or(0.0);
        } else {
            // csv order follows ffprobe's field order: name, type, rate, frames.
            streams.push([
                fields[1].to_owned(),
                fields[0].to_owned(),
                fields.get(3).copied().unwrap_or("").to_owned(),
                fields[2].to_owned(),
            ]);
        }
    }
    (streams, duration)
}

fn hash_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_recording_has_every_frame_with_sound_and_chunks_hash_like_one_pass() {
    let dir = out_dir();
    let video = dir.join("two-seconds.mp4");
    let whole = dir.join("two-seconds.hashes");
    let _ = std::fs::remove_file(&video);
    let record = |extra: &[&str], hashes: &Path| {
        let mut args = vec![
            "record", "--size", "320x180", "--from", "0:31", "--to", "0:33",
        ];
        args.extend_from_slice(&["--hash-log", hashes.to_str().unwrap()]);
        args.extend_from_slice(extra);
        let output = run(&args, &[], &[]);
        assert_success(&output);
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let log = record(&["-o", video.to_str().unwrap()], &whole);
    assert!(log.contains("wrote"), "{log}");
    assert!(
        log.contains("60/60 frames"),
        "the progress reaches the end: {log}"
    );
    let (streams, duration) = probe(&video);
    assert_eq!(
        streams.len(),
        2,
        "one video and one audio stream: {streams:?}"
    );
    let video_stream = streams
        .iter()
        .find(|s| s[0] == "video")
        .expect("a video stream");
    assert_eq!(video_stream[1], "h264");
    assert_eq!(video_stream[2], "60", "every frame: {streams:?}");
    assert_eq!(video_stream[3], "30/1");
    let audio_stream = streams
        .iter()
        .find(|s| s[0] == "audio")
        .expect("an audio stream");
    assert_eq!(audio_stream[1], "aac");
    assert!((duration - 2.0).abs() < 0.05, "duration {duration}");
    assert!(!dir.join("two-seconds.mp4.part").exists());

    let hashes = hash_lines(&whole);
    assert_eq!(hashes.len(), 60);
    assert!(hashes[0].starts_with("000000 "), "{}", hashes[0]);
    assert_ne!(hashes[0], hashes[59], "the picture moves");

    // The same two seconds in two chunks, the second as PNGs and a WAV: the same frames.
    let first = dir.join("chunk-a.hashes");
    let second = dir.join("chunk-b.hashes");
    let pngs = dir.join("chunk-b-frames");
    let _ = std::fs::remove_dir_all(&pngs);
    let chunk_video = dir.join("chunk-a.mp4");
    record(
        &["--frames", "0..25", "-o", chunk_video.to_str().unwrap()],
        &first,
    );
    record(
        &["--frames", "25..60", "--frames-dir", pngs.to_str().unwrap()],
        &second,
    );
    let mut chunks = hash_lines(&first);
    chunks.extend(hash_lines(&second));
    assert_eq!(chunks, hashes, "chunks render the frames of a single pass");
    assert!(pngs.join("frame_000025.png").exists());
    assert!(pngs.join("frame_000059.png").exists());
    let wav = std::fs::metadata(pngs.join("audio.wav")).expect("the chunk's audio");
    // 35 frames at 30 fps of 48 kHz 16-bit stereo, plus the header.
    assert_eq!(wav.len(), 44 + 56_000 * 4);
    let frame = image::open(pngs.join("frame_000040.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!(frame.dimensions(), (320, 180));
    assert!(distinct_colours(&frame) > 50, "a real picture");
}

#[test]
fn ctrl_c_keeps_a_playable_video_of_the_frames_done() {
    let dir = out_dir();
    let video = dir.join("interrupted.mp4");
    let hashes = dir.join("interrupted.hashes");
    let _ = std::fs::remove_file(&video);
    let _ = std::fs::remove_file(&hashes);
    let child = Command::new(ENCORE)
        .args(["record", "--size", "320x180", "--to", "1:00", "-o"])
        .arg(&video)
        .arg("--hash-log")
        .arg(&hashes)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("encore starts");
    let started = std::time::Instant::now();
    while hash_lines(&hashes).len() < 12 {
        assert!(
            started.elapsed().as_secs() < 120,
            "no frames after two minutes"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let output = child.wait_with_output().expect("encore ends");
    let log = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{log}");
    assert!(log.contains("stopped after"), "{log}");
    let done = hash_lines(&hashes).len();
    assert!((12..1800).contains(&done), "{done} frames");
    let (streams, _) = probe(&video);
    let video_stream = streams
        .iter()
        .find(|s| s[0] == "video")
        .expect("a video stream");
    assert_eq!(
        video_stream[2],
        done.to_string(),
        "the file has the frames done"
    );
    assert!(!dir.join("interrupted.mp4.part").exists());
}

#[test]
fn a_killed_chunk_resumes_after_its_last_whole_segment_and_joins_with_the_others() {
    let dir = out_dir().join("resume");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let common = [
        "scenes/minimal.ron",
        "--size",
        "160x90",
        "--quality",
        "low",
        "--to",
        "8",
    ];
    let record = |extra: &[&str]| {
        let mut args = vec!["record"];
        args.extend(common);
        args.extend(extra);
        run(&args, &[], &[])
    };
    // One pass, for the hashes every chunk must have.
    let whole = path("whole.hashes");
    assert_success(&record(&["-o", &path("whole.mp4"), "--hash-log", &whole]));
    // The second chunk, killed (no chance to close its file) after 100 of its 180 frames.
    let (video, hashes) = (path("b.mp4"), path("b.hashes"));
    let mut child = Command::new(ENCORE)
        .args(["record"])
        .args(common)
        .args([
            "--frames",
            "60..240",
            "--resume",
            "-o",
            &video,
            "--hash-log",
            &hashes,
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("encore starts");
    let started = std::time::Instant::now();
    while hash_lines(Path::new(&hashes)).len() < 100 {
        assert!(
            started.elapsed().as_secs() < 120,
            "no frames after two minutes"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().expect("the recording is killed");
    let _ = child.wait();
    assert!(
        !Path::new(&video).exists(),
        "no video under the final name yet"
    );
    let output = record(&[
        "--frames",
        "60..240",
        "--resume",
        "-o",
        &video,
        "--hash-log",
        &hashes,
    ]);
    assert_success(&output);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("resuming") && log.contains("keeping frames 60.."),
        "{log}"
    );
    let (streams, _) = probe(Path::new(&video));
    let video_stream = streams.iter().find(|s| s[0] == "video").expect("video");
    assert_eq!(
        video_stream[2], "180",
        "every frame of the chunk: {streams:?}"
    );
    assert_eq!(
        hash_lines(Path::new(&hashes)),
        hash_lines(Path::new(&whole))[60..240]
    );
    // Run again, it is left as it is.
    let again = record(&[
        "--frames",
        "60..240",
        "--resume",
        "-o",
        &video,
        "--hash-log",
        &hashes,
    ]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to resume"));
    // With its first chunk, it joins into the single pass's frames, with sound.
    let first = record(&[
        "--frames",
        "0..60",
        "--resume",
        "-o",
        &path("a.mp4"),
        "--hash-log",
        &path("a.hashes"),
    ]);
    assert_success(&first);
    let joined = path("joined.mp4");
    let output = run(&["join", &video, &path("a.mp4"), "-o", &joined], &[], &[]);
    assert_success(&output);
    assert_eq!(
        hash_lines(&dir.join("joined.hashes")),
        hash_lines(Path::new(&whole))
    );
    let (streams, duration) = probe(Path::new(&joined));
    assert_eq!(streams.iter().find(|s| s[0] == "video").unwrap()[2], "240");
    assert!(streams.iter().any(|s| s[0] == "audio"), "{streams:?}");
    assert!((duration - 8.0).abs() < 0.1, "{duration}");
    // Joining again would overwrite: refused, naming the file.
    let output = run(&["join", &video, &path("a.mp4"), "-o", &joined], &[], &[]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not overwrite"));
    // Without its first chunk: the missing frames are named.
    let output = run(&["join", &video, "-o", &path("half.mp4")], &[], &[]);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("frames 0..60 are missing"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn record_without_ffmpeg_or_with_an_odd_size_says_what_to_do() {
    let empty = out_dir().join("no-tools");
    std::fs::create_dir_all(&empty).unwrap();
    let output = run(
        &["record", "--to", "1", "-o", "/tmp/never.mp4"],
        &[("PATH", empty.to_str().unwrap())],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("ffmpeg is not installed"), "{log}");
    assert!(log.contains("--frames-dir"), "{log}");

    let output = run(&["record", "--size", "321x180"], &[], &[]);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("even width and height"), "{log}");
}

/// A studio setlist on `background`: one idol, centre stage, no chat.
fn studio_setlist(name: &str, background: &str) -> PathBuf {
    let path = out_dir().join(name);
    std::fs::write(
        &path,
        format!(
            r##"Concert(
    title: "Studio",
    quality: Low,
    venue: Studio(background: {background}),
    chat: (style: Off),
    cast: [(id: "solo", name: "Solo", colour: "#ff6fae")],
    program: [Song(title: "Take", bpm: 120, length: "bar 5",
        dance: [(bars: (1, 4), move: Idle)], camera: [(at: 0.0, shot: FullBody("solo"))])],
)"##
        ),
    )
    .expect("the test folder is writable");
    path
}

#[test]
fn a_studio_records_the_idols_alone_with_alpha_or_on_a_green_screen() {
    // Transparent: RGBA PNGs whose background is clear and whose idol is opaque.
    let setlist = studio_setlist("studio-clear.ron", "Transparent");
    let folder = out_dir().join("studio-clear");
    let _ = std::fs::remove_dir_all(&folder);
    let output = run(
        &[
            "record",
            setlist.to_str().unwrap(),
            "--size",
            "320x180",
            "--from",
            "1",
            "--to",
            "1.1",
            "--alpha",
            "--frames-dir",
            folder.to_str().unwrap(),
        ],
        &[],
        &[],
    );
    assert_success(&output);
    let frame = image::open(folder.join("frame_000000.png"))
        .expect("a PNG")
        .to_rgba8();
    let pixels = frame.pixels().count() as f32;
    let clear = frame.pixels().filter(|pixel| pixel.0[3] == 0).count() as f32 / pixels;
    let solid = frame.pixels().filter(|pixel| pixel.0[3] == 255).count() as f32 / pixels;
    assert!(
        clear > 0.6,
        "no arena behind her: {clear:.3} of the frame is clear"
    );
    assert!(solid > 0.02, "she is opaque: {solid:.3} of the frame");
    // Nothing of the arena: the top corners (where the LED wall and truss stand) are clear.
    for (x, y) in [(2, 2), (317, 2), (2, 90), (317, 90)] {
        assert_eq!(frame.get_pixel(x, y).0[3], 0, "({x}, {y}) is not clear");
    }
    // The same alpha in a ProRes 4444 movie; MP4 is refused with the way out.
    let movie = out_dir().join("studio-clear.mov");
    let _ = std::fs::remove_file(&movie);
    let output = run(
        &[
            "record",
            setlist.to_str().unwrap(),
            "--size",
            "320x180",
            "--to",
            "0.5",
            "--alpha",
            "-o",
            movie.to_str().unwrap(),
        ],
        &[],
        &[],
    );
    assert_success(&output);
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=codec_name,pix_fmt",
            "-of",
            "csv=p=0",
        ])
        .arg(&movie)
        .output()
        .expect("ffprobe runs");
    let stream = String::from_utf8_lossy(&probe.stdout);
    assert!(
        stream.starts_with("prores,yuva444"),
        "ProRes 4444 with alpha: {stream}"
    );
    let output = run(
        &[
            "record",
            setlist.to_str().unwrap(),
            "--alpha",
            "-o",
            "/tmp/x.mp4",
        ],
        &[],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains(".mov") && log.contains(".webm"), "{log}");

    // For benchmarks: frames read back and dropped, no file written.
    let report = out_dir().join("studio-discard.json");
    let output = run(
        &[
            "record",
            setlist.to_str().unwrap(),
            "--size",
            "320x180",
            "--to",
            "0.2",
            "--discard",
            "-o",
            "/tmp/never-written.mp4",
            "--report",
            report.to_str().unwrap(),
        ],
        &[],
        &[],
    );
    assert_success(&output);
    let report = std::fs::read_to_string(&report).expect("the report is written");
    assert!(report.contains("\"frames\":6"), "{report}");
    assert!(!Path::new("/tmp/never-written.mp4").exists());

    // A green screen: the background is the key green, the idol is not.
    let green = studio_setlist("studio-green.ron", "Green");
    let folder = out_dir().join("studio-green");
    let _ = std::fs::remove_dir_all(&folder);
    let output = run(
        &[
            "record",
            green.to_str().unwrap(),
            "--size",
            "320x180",
            "--from",
            "1",
            "--to",
            "1.05",
            "--frames-dir",
            folder.to_str().unwrap(),
        ],
        &[],
        &[],
    );
    assert_success(&output);
    let path = folder.join("frame_000000.png");
    let frame = image::open(&path).expect("a PNG").to_rgb8();
    let keyed = share(&frame, 0..320, 0..180, |pixel| {
        close_to(pixel, [0, 177, 64], 6)
    });
    assert!(keyed > 0.6, "green screen share {keyed:.3}");
    assert!(keyed < 0.98, "the idol stands in front of it");
}

#[test]
fn a_failing_encoder_leaves_no_file_and_says_why() {
    // An ffmpeg that answers `-version` and then fails the way a full disk makes it fail.
    let tools = out_dir().join("failing-ffmpeg");
    std::fs::create_dir_all(&tools).unwrap();
    let script = tools.join("ffmpeg");
    std::fs::write(
        &script,
        "#!/bin/sh\n[ \"$1\" = -version ] && exit 0\nhead -c 100000 >/dev/null\n\
         echo 'concert.mp4.part: No space left on device' >&2\nexit 1\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x"])
        .arg(&script)
        .status()
        .unwrap();
    let path = format!(
        "{}:{}",
        tools.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let video = out_dir().join("full-disk.mp4");
    let _ = std::fs::remove_file(&video);
    let output = run(
        &[
            "record",
            "--size",
            "320x180",
            "--to",
            "3",
            "-o",
            video.to_str().unwrap(),
        ],
        &[("PATH", &path)],
        &[],
    );
    let log = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(log.contains("No space left on device"), "{log}");
    assert!(log.contains("nothing was written to"), "{log}");
    assert!(!video.exists());
    assert!(!out_dir().join("full-disk.mp4.part").exists());
}

#[test]
fn avatar_inspect_prints_the_humanoid_map_and_licence_or_the_reason() {
    // An idol encore writes itself always exists; the test data is used when present.
    let idol = out_dir().join("inspect-idol.vrm");
    assert_success(&run(
        &["avatar", "gen", "--out", idol.to_str().unwrap()],
        &[],
        &[],
    ));
    let output = run(&["avatar", "inspect", idol.to_str().unwrap()], &[], &[]);
    assert_success(&output);
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("VRM 1.0"), "{report}");
    assert!(report.contains("every required bone is there"), "{report}");
    assert!(report.contains("leftUpperArm"), "{report}");

    let not_a_model = out_dir().join("inspect-not-a-model.glb");
    std::fs::write(&not_a_model, b"hello").unwrap();
    let output = run(
        &["avatar", "inspect", not_a_model.to_str().unwrap()],
        &[],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("inspect-not-a-model.glb is not a glTF model"),
        "{log}"
    );

    let Some(data) = encore_show::testdata::file("vrm/Godette_vrm_v4.vrm") else {
        return;
    };
    let output = run(&["avatar", "inspect", data.to_str().unwrap()], &[], &[]);
    assert_success(&output);
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("VRM 0.x"), "{report}");
    assert!(
        report.contains("45 bones, from the VRM humanoid"),
        "{report}"
    );
    assert!(report.contains("CC_BY"), "{report}");
    assert!(report.contains("3 chains"), "{report}");
}

#[test]
fn imported_avatars_stand_face_the_audience_and_dance_and_a_broken_one_is_refused() {
    let Some(data) = encore_show::testdata::folder() else {
        return;
    };
    // A project folder of its own: setlists may only name files inside their project.
    let project = out_dir().join("imported");
    let _ = std::fs::remove_dir_all(&project);
    std::fs::create_dir_all(&project).unwrap();
    for file in [
        "vrm/Godette_vrm_v4.vrm",
        "vrm/cryptovoxels.vrm",
        "vrm/invalid/draco.vrm",
        "vrm/sphere.vrm",
        "vrm/VRMC_vrm_expressions_isBinary_Overrides.vrm",
        "vrm/VRMC_materials_mtoon_UV_Animation_Test.vrm",
        "gltf/Fox.glb",
        "gltf/kaykit/manny_med_mod.gltf",
        "gltf/kaykit/manny_med_mod.bin",
        "gltf/kaykit/mannequin_texture.png",
        "gltf/kaykit/Med_MovementBasic.glb",
        "gltf/CesiumMan.glb",
        "gltf/SimpleSkin.gltf",
        "gltf/AnimatedMorphCube/AnimatedMorphCube.gltf",
        "gltf/AnimatedMorphCube/AnimatedMorphCube.bin",
    ] {
        let name = Path::new(file).file_name().unwrap();
        std::fs::copy(data.join(file), project.join(name)).unwrap();
    }
    let setlist = project.join("lineup.ron");
    std::fs::write(
        &setlist,
        r##"Concert(
    title: "Line-up",
    quality: Low,
    cast: [
        (id: "godette", name: "Godette", colour: "#6fa8ff", avatar: Model("Godette_vrm_v4.vrm")),
        (id: "voxel", name: "Voxel", colour: "#7fe08a", avatar: Model("cryptovoxels.vrm")),
        (id: "manny", name: "Manny", colour: "#c58cff", avatar: Model("manny_med_mod.gltf"), clips: ["Med_MovementBasic.glb"]),
        (id: "sphere", name: "Sphere", colour: "#ff8fa3", avatar: Model("sphere.vrm")),
        (id: "quads", name: "Quads", colour: "#9ad0ff", avatar: Model("VRMC_vrm_expressions_isBinary_Overrides.vrm")),
        (id: "fox", name: "Fox", colour: "#ff9f43", avatar: Model("Fox.glb")),
        (id: "uv", name: "UV", colour: "#9ad0ff", avatar: Model("VRMC_materials_mtoon_UV_Animation_Test.vrm")),
        (id: "cesium", name: "Cesium", colour: "#6fa8ff", avatar: Model("CesiumMan.glb")),
        (id: "skin", name: "Skin", colour: "#c58cff", avatar: Model("SimpleSkin.gltf")),
        (id: "cube", name: "Cube", colour: "#ff8fa3", avatar: Model("AnimatedMorphCube.gltf")),
    ],
    program: [Song(title: "Line-up", bpm: 120, length: "bar 9",
        sections: [(kind: Verse, bars: (1, 8), formation: Line)],
        dance: [(bars: (1, 8), move: ArmWave)],
        camera: [(at: 0.0, shot: Wide)])],
)"##,
    )
    .unwrap();
    let (image, log) = render_setlist(&setlist, "imported-lineup.png", "2.6");
    for (file, bones) in [
        ("Godette_vrm_v4.vrm", 25),
        ("cryptovoxels.vrm", 23),
        ("manny_med_mod.gltf", 18),
        ("sphere.vrm", 22),
        ("VRMC_vrm_expressions_isBinary_Overrides.vrm", 22),
        ("VRMC_materials_mtoon_UV_Animation_Test.vrm", 27),
    ] {
        let line = format!("{file}: ");
        let on_stage = log
            .lines()
            .find(|entry| entry.contains(&line) && entry.contains("is on stage"))
            .unwrap_or_else(|| panic!("{file} is not on stage:\n{log}"));
        assert!(
            on_stage.contains(&format!("with {bones} of 29")),
            "{on_stage}"
        );
    }
    // Files without a humanoid skeleton (a walking robot with numbered joints, a two-bone
    // strip, a morphing cube) still go on stage as themselves, standing at the idol's height.
    for file in ["CesiumMan.glb", "SimpleSkin.gltf", "AnimatedMorphCube.gltf"] {
        assert!(
            log.lines()
                .any(|entry| entry.contains(&format!("{file}: ")) && entry.contains("is on stage")),
            "{file}:\n{log}"
        );
    }
    assert!(!log.contains("appears as a built-in idol"), "{log}");
    // The mannequin has no clips of her own; her rig's animation library gives her eleven.
    assert!(
        log.contains("manny_med_mod.gltf: Manny is on stage with 18 of 29 humanoid bones, 0 expressions and 11 animation clips"),
        "{log}"
    );
    // Each VRM wears her own materials: MToon where the file has it, expression binds on the
    // check board, and eyes that follow the camera by bones or by expressions.
    for (file, dressed) in [
        (
            "Godette_vrm_v4.vrm",
            "4 materials of its own, 2 with MToon shading, 0 outlined, 0 moved by \
             expressions; eyes look by expressions",
        ),
        (
            "sphere.vrm",
            "1 materials of its own, 0 with MToon shading, 0 outlined, 0 moved by \
             expressions; eyes turn to the camera",
        ),
        (
            "VRMC_vrm_expressions_isBinary_Overrides.vrm",
            "4 materials of its own, 0 with MToon shading, 0 outlined, 3 moved by \
             expressions; eyes look by expressions",
        ),
        (
            "VRMC_materials_mtoon_UV_Animation_Test.vrm",
            "3 materials of its own, 3 with MToon shading",
        ),
    ] {
        assert!(
            log.lines()
                .any(|entry| entry.contains(&format!("{file}: {dressed}"))),
            "{file} is not dressed as expected:\n{log}"
        );
    }
    // A model encore cannot use is an error of the setlist, with the reason, before any
    // render: the show keeps its last good state rather than a stand-in.
    let broken = project.join("broken.ron");
    std::fs::write(
        &broken,
        r##"Concert(title: "Broken", cast: [(id: "b", name: "Broken", colour: "#ffd166",
            avatar: Model("draco.vrm"))], program: [Song(title: "One", bpm: 120, length: "bar 5")])"##,
    )
    .unwrap();
    let output = run(&["check", broken.to_str().unwrap()], &[], &[]);
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(
        said.contains("the model `draco.vrm` cannot be used")
            && said.contains("KHR_draco_mesh_compression"),
        "{said}"
    );
    // Four figures in a line under the wide shot: the stage is lit and not empty.
    assert!(distinct_colours(&image) > 200);
}

#[test]
fn characters_built_of_parts_stand_whole_and_close_ups_find_their_faces() {
    let Some(data) = encore_show::testdata::folder() else {
        return;
    };
    let project = out_dir().join("parts");
    let _ = std::fs::remove_dir_all(&project);
    std::fs::create_dir_all(&project).unwrap();
    for file in [
        "gltf/parts/Knight.glb",
        "gltf/parts/kenney_character.glb",
        "gltf/parts/character-female-a.glb",
        "gltf/parts/RecursiveSkeletons.glb",
        "vrm/armature_transform.vrm",
    ] {
        let name = Path::new(file).file_name().unwrap();
        std::fs::copy(data.join(file), project.join(name)).unwrap();
    }
    let setlist = project.join("parts.ron");
    let write = |shot: &str| {
        std::fs::write(
            &setlist,
            format!(
                r##"Concert(
    title: "Parts",
    quality: Low,
    cast: [
        (id: "hana", name: "Hana", colour: "#ff8fa3"),
        (id: "knight", name: "Knight", colour: "#6fa8ff", avatar: Model("Knight.glb")),
        (id: "robot", name: "Robot", colour: "#7fe08a", avatar: Model("kenney_character.glb")),
        (id: "mini", name: "Mini", colour: "#c58cff", avatar: Model("character-female-a.glb")),
        (id: "tree", name: "Tree", colour: "#ffd166", avatar: Model("RecursiveSkeletons.glb")),
        (id: "blocks", name: "Blocks", colour: "#9ad0ff", avatar: Model("armature_transform.vrm")),
    ],
    program: [Song(title: "Parts", bpm: 120, length: "bar 9",
        sections: [(kind: Verse, bars: (1, 8), formation: Line)],
        dance: [
            (bars: (1, 8), idols: ["hana", "knight", "robot", "mini", "blocks"], move: ArmWave),
            (bars: (1, 8), idols: ["tree"], move: Clip("Track0")),
        ],
        camera: [(at: 0.0, shot: {shot})])],
)"##
            ),
        )
        .unwrap();
    };
    write("Wide");
    let (wide, log) = render_setlist(&setlist, "parts-wide.png", "2.6");
    for file in [
        "Knight.glb",
        "kenney_character.glb",
        "character-female-a.glb",
        "RecursiveSkeletons.glb",
        "armature_transform.vrm",
    ] {
        assert!(
            log.lines()
                .any(|entry| entry.contains(&format!("{file}: ")) && entry.contains("is on stage")),
            "{file} is not on stage:\n{log}"
        );
    }
    assert!(!log.contains("appears as a built-in idol"), "{log}");
    // The robot's texture is not shipped with it: its material draws with its colour.
    assert!(log.contains("its material draws with its colour"), "{log}");
    assert!(distinct_colours(&wide) > 200);
    // A close-up of the chibi knight frames her big head: the middle of the frame is her
    // (helmet, face and beard), not the backdrop above her, as it was when the camera aimed
    // where a built-in idol's head would be.
    write(r#"CloseUp("knight")"#);
    let (close, _) = render_setlist(&setlist, "parts-knight-close.png", "2.6");
    write(r#"CloseUp("hana")"#);
    let (other, _) = render_setlist(&setlist, "parts-hana-close.png", "2.6");
    let middle = |image: &RgbImage| -> Vec<[u8; 3]> {
        let (w, h) = image.dimensions();
        (h * 3 / 8..h * 5 / 8)
            .flat_map(|y| (w * 3 / 8..w * 5 / 8).map(move |x| (x, y)))
            .map(|(x, y)| image.get_pixel(x, y).0)
            .collect()
    };
    // Her helmet and beard are grey: near-neutral pixels fill the middle of her close-up,
    // far more than of Hana's (skin, hair and a blue dress).
    let grey = |pixels: &[[u8; 3]]| {
        pixels
            .iter()
            .filter(|[r, g, b]| {
                let (max, min) = ((*r).max(*g).max(*b), (*r).min(*g).min(*b));
                max > 90 && max - min < 24
            })
            .count() as f32
            / pixels.len() as f32
    };
    let (knight, hana) = (grey(&middle(&close)), grey(&middle(&other)));
    assert!(
        knight > 0.3 && knight > 3.0 * hana,
        "knight {knight}, hana {hana}"
    );
}

#[test]
fn a_pmx_idol_dances_sings_and_blinks_next_to_a_vrm_and_a_built_in_idol() {
    let Some(data) = encore_show::testdata::folder() else {
        return;
    };
    let project = out_dir().join("pmx");
    let _ = std::fs::remove_dir_all(&project);
    std::fs::create_dir_all(project.join("gene/light")).unwrap();
    std::fs::copy(
        data.join("mmd/gene/Gene_light.pmx"),
        project.join("gene/Gene_light.pmx"),
    )
    .unwrap();
    // One texture left behind: a warning, and the hair draws with its colour.
    for entry in std::fs::read_dir(data.join("mmd/gene/light")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "hair2.png" {
            std::fs::copy(
                entry.path(),
                project.join("gene/light").join(entry.file_name()),
            )
            .unwrap();
        }
    }
    std::fs::copy(
        data.join("vrm/Godette_vrm_v4.vrm"),
        project.join("Godette_vrm_v4.vrm"),
    )
    .unwrap();
    let setlist = project.join("gene.ron");
    let write = |shot: &str| {
        std::fs::write(
            &setlist,
            format!(
                r##"Concert(
    title: "Gene",
    quality: Low,
    cast: [
        (id: "hana", name: "Hana", colour: "#ff8fa3"),
        (id: "gene", name: "Gene", colour: "#7fe08a", avatar: Model("gene/Gene_light.pmx")),
        (id: "godette", name: "Godette", colour: "#6fa8ff", avatar: Model("Godette_vrm_v4.vrm")),
    ],
    program: [Song(title: "Gene", bpm: 120, length: "bar 9",
        sections: [(kind: Verse, bars: (1, 8), formation: Line)],
        dance: [(bars: (1, 8), move: StepTouch)],
        camera: [(at: 0.0, shot: {shot})])],
)"##
            ),
        )
        .unwrap();
    };
    write("Medium");
    let (medium, log) = render_setlist(&setlist, "pmx-medium.png", "3.0");
    assert!(
        log.contains(
            "Gene_light.pmx: Gene is on stage with 21 of 29 humanoid bones, 7 expressions"
        ),
        "{log}"
    );
    assert!(
        log.contains("texture light/hair2.png is not next to the file"),
        "{log}"
    );
    assert!(distinct_colours(&medium) > 200);
    // Her close-up lands on her face: skin, and the blue of her eyes.
    write(r#"CloseUp("gene")"#);
    let (close, _) = render_setlist(&setlist, "pmx-gene-close.png", "3.0");
    let (w, h) = close.dimensions();
    let (mut skin, mut blue, mut total) = (0, 0, 0);
    for y in h / 4..h * 3 / 4 {
        for x in w * 3 / 8..w * 5 / 8 {
            let [r, g, b] = close.get_pixel(x, y).0.map(i32::from);
            total += 1;
            if r > 170 && r > g + 10 && g > b && b > 90 {
                skin += 1;
            }
            if b > r + 40 && b > 110 {
                blue += 1;
            }
        }
    }
    assert!(skin * 5 > total, "skin {skin} of {total}");
    assert!(blue > 20, "blue {blue} of {total}");
    // A VMD dance made for MMD models plays on her own bones, not through the humanoid.
    std::fs::copy(
        data.join("mmd/wavefile/wavefile_v2.vmd"),
        project.join("gene/wavefile_v2.vmd"),
    )
    .unwrap();
    let dance = std::fs::read_to_string(&setlist)
        .unwrap()
        .replace("move: StepTouch", r#"move: Motion("gene/wavefile_v2.vmd")"#)
        .replace(r#"CloseUp("gene")"#, r#"FullBody("gene")"#);
    std::fs::write(&setlist, dance).unwrap();
    let (early, log) = render_setlist(&setlist, "pmx-native-a.png", "5.0");
    assert!(
        log.contains(
            "Gene_light.pmx: dances wavefile_v2.vmd on her own bones: 73 of the \
             dance's 140 bone tracks and 24 of its 31 face tracks bind by name; 62 rigid \
             bodies swing her hair and clothes"
        ),
        "{log}"
    );
    let (later, _) = render_setlist(&setlist, "pmx-native-b.png", "12.0");
    let moved = early
        .pixels()
        .zip(later.pixels())
        .filter(|(a, b)| a.0.iter().zip(b.0).any(|(a, b)| a.abs_diff(b) > 40))
        .count();
    assert!(moved > 2000, "only {moved} pixels change as she dances");

    // Her hair and skirt (PMX physics) and Godette's (VRM spring bones) swing the same
    // in a recording's chunks as in a single pass: the second chunk replays the frames from
    // the last restart unseen.
    let hashes = |frames: Option<&str>, name: &str| {
        let log = project.join(name);
        let mut args = vec![
            "record",
            setlist.to_str().expect("temp paths are UTF-8"),
            "--size",
            "160x90",
            "--from",
            "12.0",
            "--to",
            "12.5",
            "--frames-dir",
        ];
        let frames_dir = project.join(format!("{name}-frames"));
        args.push(frames_dir.to_str().expect("temp paths are UTF-8"));
        args.extend(["--hash-log", log.to_str().expect("temp paths are UTF-8")]);
        if let Some(frames) = frames {
            args.extend(["--frames", frames]);
        }
        assert_success(&run(&args, &[], &[]));
        hash_lines(&log)
    };
    let whole = hashes(None, "whole");
    assert_eq!(whole.len(), 15);
    assert_ne!(whole[0], whole[14], "the picture moves");
    let mut chunks = hashes(Some("0..6"), "first");
    chunks.extend(hashes(Some("6..15"), "second"));
    assert_eq!(chunks, whole, "chunks render the frames of a single pass");

    // Material morphs by face keys: 青ざめ shows the pale shadow over her face (a material
    // hidden at rest) and いらいら the cross-popping vein, compared with the same pose
    // without them.
    let face = |keys: &[(&str, u32, f32)], name: &str| {
        let file = format!("gene/{name}.vmd");
        std::fs::write(
            project.join(&file),
            encore_show::motion::vmd::write("Gene", &[], keys),
        )
        .unwrap();
        let shot = std::fs::read_to_string(&setlist)
            .unwrap()
            .replace(
                r#"Motion("gene/wavefile_v2.vmd")"#,
                &format!(r#"Motion("{file}")"#),
            )
            .replace(r#"FullBody("gene")"#, r#"CloseUp("gene")"#);
        let path = project.join(format!("{name}.ron"));
        std::fs::write(&path, shot).unwrap();
        render_setlist(&path, &format!("pmx-{name}.png"), "3.0")
    };
    let (still, _) = face(&[("まばたき", 0, 0.0)], "still");
    let (pale, log) = face(&[("青ざめ", 0, 1.0), ("いらいら", 0, 1.0)], "pale");
    assert!(log.contains("2 of its 2 face tracks bind by name"), "{log}");
    let darker = still
        .pixels()
        .zip(pale.pixels())
        .filter(|(still, pale)| {
            let sum = |pixel: &image::Rgb<u8>| pixel.0.iter().map(|&v| i32::from(v)).sum::<i32>();
            sum(still) - sum(pale) > 30
        })
        .count();
    assert!(
        darker > 1000,
        "only {darker} pixels darken as she turns pale"
    );
}

#[test]
fn memory_stays_flat_over_a_busy_stretch_of_the_show() {
    // Issue 20: Bevy's GPU mesh preprocessing on Mesa's lavapipe kept about 3 MB of every
    // frame, so a whole concert could not be recorded. The first chorus (effects, cuts, the
    // full light rig) for 160 frames at a tiny size: that leak would add over 300 MiB.
    let json = out_dir().join("soak.json");
    let _ = std::fs::remove_file(&json);
    let output = run(
        &[
            "bench",
            "soak",
            "--start",
            "0:33",
            "--frames",
            "160",
            "--every",
            "1",
            "--warmup",
            "1",
            "--size",
            "160x90",
            "--json",
            json.to_str().expect("temp paths are UTF-8"),
        ],
        &[],
        &[],
    );
    assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("resident"), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&json).expect("the soak writes its JSON report"),
    )
    .expect("the soak's report is JSON");
    let samples = report["samples"].as_array().expect("samples");
    assert!(samples.len() >= 4, "{stdout}");
    let frames = samples[samples.len() - 1]["frame"].as_u64().unwrap()
        - samples[0]["frame"].as_u64().unwrap();
    assert!(frames >= 120, "{stdout}");
    let growth = report["growth_mb"]
        .as_f64()
        .expect("resident memory is readable");
    assert!(
        growth < 25.0,
        "grew {growth} MiB over {frames} frames\n{stdout}"
    );
    for count in ["meshes", "images", "materials"] {
        assert_eq!(
            samples[0][count],
            samples[samples.len() - 1][count],
            "{count} after warm-up and at the end\n{stdout}"
        );
    }
}
