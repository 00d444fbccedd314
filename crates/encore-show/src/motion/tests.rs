//! The motion files of `../shared/testdata/` read with their documented counts, and played on
//! encore's skeleton without feet through the floor, flipped knees or jumps.

use std::path::{Path, PathBuf};

use super::*;
use crate::avatar::skeleton::Skeleton;

/// A test data file; a missing one fails the test (see [`crate::testdata`]).
fn testdata(path: &str) -> Option<PathBuf> {
    crate::testdata::file(path)
}

fn read(path: &str) -> Option<Motion> {
    let file = testdata(path)?;
    Some(Motion::read(&file).unwrap_or_else(|error| panic!("{error}")))
}

fn count(motion: &Motion, what: &str) -> usize {
    motion
        .counts()
        .into_iter()
        .find(|(name, _)| *name == what)
        .map_or(0, |(_, count)| count)
}

#[test]
fn the_vmd_files_hold_their_documented_keyframes() {
    if let Some(dance) = read("mmd/wavefile/wavefile_v2.vmd") {
        assert_eq!(dance.format, Format::Vmd);
        assert_eq!(count(&dance, "bone keyframes"), 14_160);
        assert_eq!(count(&dance, "morph keyframes"), 1_279);
        assert_eq!(count(&dance, "camera keyframes"), 0);
        assert_eq!(dance.bones().len(), 140);
        assert_eq!(dance.morphs().len(), 31);
        assert!((dance.duration - 2809.0 / 30.0).abs() < 1e-3);
        let names: Vec<String> = dance.bones().into_iter().map(|(name, _)| name).collect();
        for bone in [
            "センター",
            "上半身",
            "下半身",
            "左腕",
            "右足ＩＫ",
            "左つま先ＩＫ",
        ] {
            assert!(names.iter().any(|name| name == bone), "{bone}");
        }
        let vowels = dance
            .morphs()
            .into_iter()
            .filter(|(_, expression)| expression.is_some_and(|e| Expression::VOWELS.contains(&e)))
            .count();
        assert!(vowels >= 4, "あいうお map to vowels ({vowels})");
        assert!(dance.has_body() && !dance.has_camera());
    }
    if let Some(camera) = read("mmd/wavefile/wavefile_camera.vmd") {
        assert_eq!(count(&camera, "camera keyframes"), 70);
        assert_eq!(count(&camera, "bone keyframes"), 0);
        assert!((camera.duration - 2816.0 / 30.0).abs() < 1e-3);
        assert!(camera.has_camera() && !camera.has_body());
        // The path stays above the stage floor and in front of the dancer most of the time.
        let views: Vec<CameraView> = (0..900)
            .filter_map(|frame| camera.camera_at(frame as f32 / 10.0))
            .collect();
        assert_eq!(views.len(), 900);
        let above = views.iter().filter(|view| view.eye.y > 0.0).count();
        assert!(above > 800, "{above} of 900 views above the floor");
        let front = views.iter().filter(|view| view.eye.z > view.look.z).count();
        assert!(front > 450, "{front} of 900 views from the front");
        // At 30 s the camera rolls by its key's 0.43 rad (babylon-mmd shows the same tilt).
        let view = camera.camera_at(30.0).expect("a view");
        assert!((view.roll - 0.43).abs() < 0.02, "{}", view.roll);
    }
    if let Some(idle) = read("mmd/gene/motion/stand.vmd") {
        assert_eq!(count(&idle, "bone keyframes"), 470);
        assert_eq!(count(&idle, "morph keyframes"), 184);
        assert_eq!(count(&idle, "IK on/off keyframes"), 1);
        assert_eq!(idle.bones().len(), 222);
        assert_eq!(idle.morphs().len(), 178);
        assert!((idle.duration - 4.0).abs() < 1e-3);
    }
}

#[test]
fn the_bvh_and_vrma_files_hold_their_documented_frames() {
    if let Some(jump) = read("bvh/01_01.bvh") {
        assert_eq!(jump.format, Format::Bvh);
        assert_eq!(count(&jump, "frames"), 2_752);
        assert_eq!(count(&jump, "channels per frame"), 96);
        assert_eq!(count(&jump, "joints"), 31);
        assert!((jump.fps - 120.0).abs() < 0.01);
        let mapped = jump
            .bones()
            .iter()
            .filter(|(_, bone)| bone.is_some())
            .count();
        assert!(mapped >= 15, "{mapped} humanoid joints");
    }
    if let Some(spin) = read("bvh/pirouette.bvh") {
        assert_eq!(count(&spin, "frames"), 592);
        assert_eq!(count(&spin, "channels per frame"), 132);
        assert_eq!(count(&spin, "joints"), 43);
        let mapped = spin
            .bones()
            .iter()
            .filter(|(_, bone)| bone.is_some())
            .count();
        assert!(mapped >= 15, "{mapped} humanoid joints: Daz names map too");
        assert!(spin.notes()[0].contains("ZXY"), "{:?}", spin.notes());
    }
    if let Some(vrma) = read("vrm/test.vrma") {
        assert_eq!(vrma.format, Format::Vrma);
        assert_eq!(count(&vrma, "humanoid bones"), 51);
        assert_eq!(count(&vrma, "channels"), 3);
        assert!((vrma.duration - 3.0).abs() < 1e-3);
        let happy = (0..=30)
            .filter_map(|tenth| vrma.sample(tenth as f32 / 10.0)?.face[Expression::Smile.index()])
            .fold(0.0, f32::max);
        assert!(happy > 0.99, "the happy track peaks at {happy}");
        let looks: Vec<(f32, f32)> = (0..=30)
            .filter_map(|tenth| vrma.sample(tenth as f32 / 10.0)?.look)
            .collect();
        assert_eq!(
            looks.len(),
            31,
            "the look-at track turns the eyes throughout"
        );
        let (low, high) = looks
            .iter()
            .fold((f32::MAX, f32::MIN), |(low, high), (yaw, pitch)| {
                (
                    low.min(yaw.abs() + pitch.abs()),
                    high.max(yaw.abs() + pitch.abs()),
                )
            });
        assert!(
            high - low > 10.0,
            "and moves them ({low:.0}° to {high:.0}°)"
        );
    }
}

/// Plays `motion` at 60 fps and checks every frame on encore's skeleton.
fn plays_cleanly(name: &str, motion: &Motion) {
    let ours = Skeleton::new(1.0, 1.0);
    let mut previous: Option<Pose> = None;
    let mut frames = 0;
    // Capture files often start with a frame of the rest pose; the motion starts after.
    let mut seconds = 0.1;
    while seconds <= motion.duration {
        let pose = motion.sample(seconds).expect("a body").pose;
        let joints = ours.posed(&pose.rotations, pose.hips);
        for (upper, knee, ankle, toes) in [
            (
                Bone::LeftUpperLeg,
                Bone::LeftLowerLeg,
                Bone::LeftFoot,
                Bone::LeftToes,
            ),
            (
                Bone::RightUpperLeg,
                Bone::RightLowerLeg,
                Bone::RightFoot,
                Bone::RightToes,
            ),
        ] {
            let [hip, knee_at, ankle_at, toes_at] =
                [upper, knee, ankle, toes].map(|bone| joints[bone.index()]);
            assert!(
                ankle_at.y > 0.02 && toes_at.y > -0.02,
                "{name}: {ankle:?} through the floor at {seconds:.2} s ({ankle_at}, {toes_at})"
            );
            // The knee bends forwards: it sits ahead of the line from hip to ankle, seen
            // along the way the hips face.
            let line = (ankle_at - hip).normalize();
            let out = knee_at - hip - line * (knee_at - hip).dot(line);
            let forward = pose.rotations[Bone::Hips.index()] * Vec3::Z;
            assert!(
                out.dot(forward) > -0.01,
                "{name}: {knee:?} bends backwards at {seconds:.2} s"
            );
        }
        if let Some(previous) = previous {
            // Fingers may snap between keys; the body may not.
            let (bone, jump) = Bone::ALL
                .iter()
                .filter(|bone| {
                    !bone.vrm_name().contains("Thumb") && !bone.vrm_name().contains("Index")
                })
                .map(|bone| {
                    let i = bone.index();
                    (
                        bone,
                        previous.rotations[i]
                            .angle_between(pose.rotations[i])
                            .to_degrees(),
                    )
                })
                .fold((&Bone::Hips, 0.0), |a, b| if b.1 > a.1 { b } else { a });
            assert!(
                jump < 60.0,
                "{name}: {bone:?} jumps {jump:.0}° at {seconds:.2} s"
            );
        }
        previous = Some(pose);
        frames += 1;
        seconds += 1.0 / 60.0;
    }
    assert!(frames > 30);
}

#[test]
fn the_dances_play_on_encores_skeleton_with_feet_on_the_floor() {
    for path in [
        "mmd/wavefile/wavefile_v2.vmd",
        "mmd/gene/motion/stand.vmd",
        "bvh/01_01.bvh",
        "bvh/pirouette.bvh",
        "vrm/test.vrma",
    ] {
        if let Some(motion) = read(path) {
            plays_cleanly(path, &motion);
        }
    }
}

#[test]
fn planted_feet_do_not_slide() {
    let Some(dance) = read("mmd/wavefile/wavefile_v2.vmd") else {
        return;
    };
    let Source::Vmd { vmd, .. } = &dance.source else {
        unreachable!("a VMD file");
    };
    let track = vmd
        .bones
        .iter()
        .find(|track| track.name == "左足ＩＫ")
        .expect("the dance has a left leg IK track");
    let ours = Skeleton::new(1.0, 1.0);
    let ankle = |seconds: f32| {
        let pose = dance.sample(seconds).expect("a body").pose;
        pose.turn * ours.posed(&pose.rotations, pose.hips)[Bone::LeftFoot.index()]
    };
    // Wherever two IK keys in a row hold the foot still and her leg can reach it, encore's
    // foot holds still too. (Where the hips rise beyond the leg's reach the ankle lifts, as
    // in MikuMikuDance.)
    let reaches = |seconds: f32| {
        let pose = dance.sample(seconds).expect("a body").pose;
        let joints = ours.posed(&pose.rotations, pose.hips);
        joints[Bone::LeftUpperLeg.index()].distance(joints[Bone::LeftFoot.index()]) < 0.45
    };
    let mut planted = 0;
    for pair in track.keys.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.position.distance(b.position) < 1e-4 && b.frame > a.frame + 2 {
            let (from, to) = (a.frame as f32 / 30.0, b.frame as f32 / 30.0);
            let middle = (from + to) * 0.5;
            if !reaches(from) || !reaches(middle) {
                continue;
            }
            let drift = ankle(from).distance(ankle(middle));
            assert!(
                drift < 0.005,
                "the left foot slides {drift:.3} heights between {from:.2} and {to:.2} s"
            );
            planted += 1;
        }
    }
    assert!(planted > 10, "only {planted} planted steps");
}

#[test]
fn hostile_motion_files_are_errors_with_the_file_and_the_place() {
    let path = Path::new("dance.vmd");
    let error = Motion::from_bytes(path, b"RIFF....WAVE").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("dance.vmd is not a motion file")
    );
    let mut huge = b"Vocaloid Motion Data 0002".to_vec();
    huge.resize(50, 0);
    huge.extend_from_slice(&0x4000_0000u32.to_le_bytes());
    let error = Motion::from_bytes(path, &huge).unwrap_err().to_string();
    assert!(error.contains("1073741824 bone keyframes"), "{error}");
    assert!(error.contains("MikuMikuDance"), "names the fix: {error}");
    let error = Motion::from_bytes(Path::new("a.bvh"), b"HIERARCHY\nROOT x\n{\nOFFSET 0 0 0\nCHANNELS 3 Xrotation Yrotation Zrotation\n}\nMOTION\nFrames: 1\nFrame Time: 0.1\n0 0 0\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("no joint is the hips"), "{error}");
    let error = Motion::from_bytes(Path::new("a.vrma"), b"{\"asset\":{}}")
        .unwrap_err()
        .to_string();
    assert!(error.contains("no VRMC_vrm_animation"), "{error}");
}

/// A VRM animation of one hips rotation over a second, whose output accessor is `output` over
/// a buffer view with `stride` extra (JSON, appended to the view).
fn vrma_with_rotations(output: &str, stride: &str) -> Vec<u8> {
    let mut bin = Vec::new();
    for value in [0.0f32, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0] {
        bin.extend(value.to_le_bytes());
    }
    let json = format!(
        r#"{{"asset": {{"version": "2.0"}},
            "extensions": {{"VRMC_vrm_animation": {{"humanoid": {{"humanBones": {{"hips": {{"node": 0}}}}}}}}}},
            "nodes": [{{"name": "hips"}}],
            "buffers": [{{"byteLength": 40}}],
            "bufferViews": [{{"buffer": 0, "byteLength": 8}}, {{"buffer": 0, "byteOffset": 8, "byteLength": 32{stride}}}],
            "accessors": [{{"bufferView": 0, "componentType": 5126, "count": 2, "type": "SCALAR", "max": [1]}}, {output}],
            "animations": [{{"channels": [{{"sampler": 0, "target": {{"node": 0, "path": "rotation"}}}}],
                "samplers": [{{"input": 0, "output": 1}}]}}]}}"#
    );
    crate::avatar::inspect::glb(&json, &bin)
}

#[test]
fn vrma_accessors_the_gltf_crate_cannot_read_are_named() {
    let rotations = r#"{"bufferView": 1, "componentType": 5126, "count": 2, "type": "VEC4"}"#;
    let motion = Motion::from_bytes(Path::new("turn.vrma"), &vrma_with_rotations(rotations, ""))
        .unwrap_or_else(|error| panic!("{error}"));
    assert!((motion.duration - 1.0).abs() < 1e-6);
    let error = |output: &str, stride: &str| {
        Motion::from_bytes(Path::new("turn.vrma"), &vrma_with_rotations(output, stride))
            .unwrap_err()
            .to_string()
    };
    for (output, stride, expected) in [
        (
            r#"{"bufferView": 1, "componentType": 5125, "count": 2, "type": "VEC4"}"#,
            "",
            "accessor 1 holds Vec4 U32 values, but rotations are VEC4 floats or 8- or 16-bit \
             normalized integers",
        ),
        (
            r#"{"bufferView": 1, "componentType": 5126, "count": 0, "type": "VEC4"}"#,
            "",
            "accessor 1 holds no values",
        ),
        (
            rotations,
            r#", "byteStride": 8"#,
            "accessor 1 steps 8 bytes between its 16-byte values",
        ),
        (
            r#"{"bufferView": 1, "componentType": 5126, "count": 9, "type": "VEC4"}"#,
            "",
            "accessor 1 reads 144 bytes from byte 8, past the binary's 40 bytes",
        ),
        (
            r#"{"bufferView": 1, "componentType": 5126, "count": 18446744073709551615, "type": "VEC4"}"#,
            "",
            "accessor 1 reaches further than any file can",
        ),
    ] {
        let error = error(output, stride);
        assert!(error.contains(expected), "{error}");
    }
}

/// Mutates valid files of every format byte by byte and cuts them everywhere: the readers
/// must answer each with a motion or an error, never a panic. A deterministic fuzz: the same
/// mutations every run.
#[test]
fn fuzzed_motion_files_never_panic() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let key = vmd::BoneKey {
        frame: 3,
        position: Vec3::new(0.0, 1.0, 0.0),
        rotation: Quat::from_rotation_x(0.4),
        curves: [vmd::Bezier::LINEAR; 4],
    };
    let mut seeds: Vec<(&str, Vec<u8>)> = vec![(
        "seed.vmd",
        vmd::write(
            "m",
            &[("センター", key), ("左足ＩＫ", key)],
            &[("あ", 1, 0.5)],
        ),
    )];
    for path in [
        "bvh/01_01.bvh",
        "vrm/test.vrma",
        "mmd/wavefile/wavefile_camera.vmd",
    ] {
        if let Some(file) = testdata(path) {
            let mut bytes = std::fs::read(file).expect("test data reads");
            bytes.truncate(if path.ends_with(".bvh") {
                6_000
            } else {
                bytes.len()
            });
            seeds.push((path, bytes));
        }
    }
    let mut rng = StdRng::seed_from_u64(11);
    for (name, seed) in &seeds {
        for round in 0..300 {
            let mut bytes = seed.clone();
            match round % 3 {
                0 => bytes.truncate(rng.random_range(0..bytes.len())),
                1 => {
                    for _ in 0..8 {
                        let at = rng.random_range(0..bytes.len());
                        bytes[at] = rng.random();
                    }
                }
                _ => {
                    let at = rng.random_range(0..bytes.len().saturating_sub(4).max(1));
                    let end = (at + 4).min(bytes.len());
                    bytes[at..end].copy_from_slice(&u32::MAX.to_le_bytes()[..end - at]);
                }
            }
            if let Ok(motion) = Motion::from_bytes(Path::new(name), &bytes) {
                let _ = motion.sample(motion.duration * 0.5);
                let _ = motion.camera_at(1.0);
            }
        }
    }
}
