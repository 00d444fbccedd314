//! `encore farm`: one recording as a job on a render farm's scheduler. The show's frames are
//! split into N chunks; `slurm` writes an array job (one task a chunk) and a join job that
//! waits for it (`--submit` hands both to `sbatch`), `k8s` writes the same as a Kubernetes
//! indexed Job and a join Job. Every task runs `encore record --frames A..B --resume` with the
//! same options, so a retried task picks up its chunk (or rewrites it) with the same frames,
//! and the join runs `encore join`, which checks the chunks before it puts them together.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    process::Command,
};

use bevy::math::UVec2;

use crate::{
    record::{Span, span_seconds},
    setlist::raw::Quality,
};

/// What `encore farm` is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct FarmOptions {
    /// The setlist (made absolute: tasks run elsewhere).
    pub setlist: PathBuf,
    /// How many chunks.
    pub chunks: u32,
    /// Where the job files, chunks, logs and the joined video go.
    pub out: PathBuf,
    /// Slurm partition, or Kubernetes namespace.
    pub partition: Option<String>,
    /// CPUs per task.
    pub cpus: u32,
    /// Recording options passed to every task.
    pub size: UVec2,
    pub fps: u32,
    pub quality: Option<Quality>,
    pub span: Span,
    /// The encore binary the tasks run (Slurm), or the container image (Kubernetes).
    pub encore: String,
}

/// The jobs written.
#[derive(Debug, Clone, PartialEq)]
pub struct Farm {
    /// The files written, in order (record job first).
    pub files: Vec<PathBuf>,
    /// Frames in all, and per chunk.
    pub frames: u64,
    pub per_chunk: u64,
    /// The joined video the join job writes.
    pub joined: PathBuf,
}

/// The `encore record` options every task shares, as command-line words.
fn record_words(options: &FarmOptions) -> Vec<String> {
    let mut words = vec![
        "--size".to_owned(),
        format!("{}x{}", options.size.x, options.size.y),
        "--fps".to_owned(),
        options.fps.to_string(),
    ];
    if let Some(quality) = options.quality {
        words.extend([
            "--quality".to_owned(),
            format!("{quality:?}").to_lowercase(),
        ]);
    }
    match options.span {
        Span::Whole => {}
        Span::Song(song) => words.extend(["--song".to_owned(), song.to_string()]),
        Span::Between(from, to) => {
            words.extend(["--from".to_owned(), from.to_string()]);
            if let Some(to) = to {
                words.extend(["--to".to_owned(), to.to_string()]);
            }
        }
    }
    words
}

/// Frames of the recording, and frames per chunk.
fn split(options: &FarmOptions) -> anyhow::Result<(u64, u64)> {
    if options.chunks == 0 {
        anyhow::bail!("--chunks 0: a farm job needs at least one chunk");
    }
    let (setlist, _) = crate::load_show(Some(&options.setlist), None)?;
    let (from, to) = span_seconds(&setlist, &options.span)?;
    let total = (((to - from) * f64::from(options.fps.max(1))).round() as u64).max(1);
    let per_chunk = total.div_ceil(u64::from(options.chunks));
    if per_chunk * u64::from(options.chunks - 1) >= total {
        anyhow::bail!(
            "--chunks {}: the recording has only {total} frames, too few for that many chunks",
            options.chunks
        );
    }
    Ok((total, per_chunk))
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text)
        .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", path.display()))
}

/// Writes the Slurm array job (`record.sbatch`) and join job (`join.sbatch`) into the out
/// folder; with `submit`, hands them to `sbatch`, the join depending on every task.
pub fn slurm(options: &FarmOptions, submit: bool) -> anyhow::Result<(Farm, Option<String>)> {
    let (total, per_chunk) = split(options)?;
    let out = &options.out;
    std::fs::create_dir_all(out.join("logs"))
        .map_err(|error| anyhow::anyhow!("cannot make {}: {error}", out.display()))?;
    let last_task = options.chunks - 1;
    let encore = quoted(&options.encore);
    let setlist = quoted(&options.setlist.display().to_string());
    let folder = quoted(&out.display().to_string());
    let partition = options
        .partition
        .as_ref()
        .map(|partition| format!("#SBATCH --partition={partition}\n"))
        .unwrap_or_default();
    let words: Vec<String> = record_words(options).iter().map(|w| quoted(w)).collect();
    let mut record = String::new();
    let _ = write!(
        record,
        "#!/bin/bash\n\
         # Written by `encore farm slurm`: chunk $SLURM_ARRAY_TASK_ID of {chunks} of {setlist}.\n\
         #SBATCH --job-name=encore-record\n\
         #SBATCH --array=0-{last_task}\n\
         #SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --output={logs}/record-%a.log\n\
         {partition}\
         set -euo pipefail\n\
         i=$SLURM_ARRAY_TASK_ID\n\
         first=$((i * {per_chunk}))\n\
         last=$(( (i + 1) * {per_chunk} < {total} ? (i + 1) * {per_chunk} : {total} ))\n\
         # A retried task picks up its chunk where it stopped (or rewrites it): the same\n\
         # frames, the same hash log.\n\
         exec {encore} record {setlist} {words} --frames \"$first..$last\" --resume \\\n\
         \x20 -o {folder}/chunk-$i.mp4 --hash-log {folder}/chunk-$i.hashes\n",
        chunks = options.chunks,
        cpus = options.cpus,
        logs = out.display(),
        words = words.join(" "),
    );
    let chunk_list: Vec<String> = (0..options.chunks)
        .map(|index| quoted(&out.join(format!("chunk-{index}.mp4")).display().to_string()))
        .collect();
    let joined = out.join("concert.mp4");
    let mut join = String::new();
    let _ = write!(
        join,
        "#!/bin/bash\n\
         # Written by `encore farm slurm`: joins the {chunks} chunks when every task is done.\n\
         #SBATCH --job-name=encore-join\n\
         #SBATCH --cpus-per-task=1\n\
         #SBATCH --output={logs}/join.log\n\
         {partition}\
         set -euo pipefail\n\
         exec {encore} join {list} -o {joined} --setlist {setlist}\n",
        chunks = options.chunks,
        logs = out.display(),
        list = chunk_list.join(" "),
        joined = quoted(&joined.display().to_string()),
    );
    let record_path = out.join("record.sbatch");
    let join_path = out.join("join.sbatch");
    write(&record_path, &record)?;
    write(&join_path, &join)?;
    let farm = Farm {
        files: vec![record_path.clone(), join_path.clone()],
        frames: total,
        per_chunk,
        joined,
    };
    if !submit {
        return Ok((farm, None));
    }
    let sbatch = |args: &[&str], script: &Path| -> anyhow::Result<String> {
        let output = Command::new("sbatch")
            .arg("--parsable")
            .args(args)
            .arg(script)
            .output()
            .map_err(|error| {
                anyhow::anyhow!(
                    "cannot run sbatch ({error}); is Slurm's client installed and \
                     SLURM_CONF set? The job files are written: {}",
                    out.display()
                )
            })?;
        if !output.status.success() {
            anyhow::bail!(
                "sbatch refused {}: {}",
                script.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let text = String::from_utf8_lossy(&output.stdout);
        Ok(text.trim().split(';').next().unwrap_or_default().to_owned())
    };
    let record_job = sbatch(&[], &record_path)?;
    let join_job = sbatch(&[&format!("--dependency=afterok:{record_job}")], &join_path)?;
    Ok((farm, Some(format!("{record_job} {join_job}"))))
}

/// Writes the Kubernetes indexed Job (`record-job.yaml`) and join Job (`join-job.yaml`): the
/// show from a ConfigMap `encore-show` at /show, the chunks on a claim `encore-out` at /out.
pub fn k8s(options: &FarmOptions) -> anyhow::Result<Farm> {
    let (total, per_chunk) = split(options)?;
    let out = &options.out;
    std::fs::create_dir_all(out)
        .map_err(|error| anyhow::anyhow!("cannot make {}: {error}", out.display()))?;
    let name = options.setlist.file_name().map_or_else(
        || "show.ron".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    let namespace = options
        .partition
        .as_ref()
        .map(|namespace| format!("  namespace: {namespace}\n"))
        .unwrap_or_default();
    let words = record_words(options).join(" ");
    let volumes = "          volumeMounts:\n\
                   \x20           - { name: show, mountPath: /show }\n\
                   \x20           - { name: out, mountPath: /out }\n\
                   \x20     volumes:\n\
                   \x20       - { name: show, configMap: { name: encore-show } }\n\
                   \x20       - { name: out, persistentVolumeClaim: { claimName: encore-out } }\n";
    let record = format!(
        "# Written by `encore farm k8s`: {chunks} chunks of {name}, {total} frames.\n\
         apiVersion: batch/v1\n\
         kind: Job\n\
         metadata:\n\
         \x20 name: encore-record\n\
         {namespace}\
         spec:\n\
         \x20 completions: {chunks}\n\
         \x20 parallelism: {chunks}\n\
         \x20 completionMode: Indexed\n\
         \x20 template:\n\
         \x20   spec:\n\
         \x20     restartPolicy: OnFailure\n\
         \x20     containers:\n\
         \x20       - name: encore\n\
         \x20         image: {image}   # Debian 12 + scripts/setup.sh + encore\n\
         \x20         resources: {{ requests: {{ cpu: \"{cpus}\" }} }}\n\
         \x20         command: [\"sh\", \"-c\"]\n\
         \x20         args:\n\
         \x20           - i=$JOB_COMPLETION_INDEX;\n\
         \x20             first=$((i * {per_chunk})); last=$(((i + 1) * {per_chunk}));\n\
         \x20             if [ $last -gt {total} ]; then last={total}; fi;\n\
         \x20             exec encore record /show/{name} {words} --frames $first..$last --resume\n\
         \x20             -o /out/chunk-$i.mp4 --hash-log /out/chunk-$i.hashes\n\
         {volumes}",
        chunks = options.chunks,
        image = options.encore,
        cpus = options.cpus,
    );
    let list: Vec<String> = (0..options.chunks)
        .map(|index| format!("/out/chunk-{index}.mp4"))
        .collect();
    let join = format!(
        "# Written by `encore farm k8s`: run when encore-record has completed\n\
         # (kubectl wait --for=condition=complete job/encore-record).\n\
         apiVersion: batch/v1\n\
         kind: Job\n\
         metadata:\n\
         \x20 name: encore-join\n\
         {namespace}\
         spec:\n\
         \x20 template:\n\
         \x20   spec:\n\
         \x20     restartPolicy: OnFailure\n\
         \x20     containers:\n\
         \x20       - name: encore\n\
         \x20         image: {image}\n\
         \x20         command: [\"encore\", \"join\", {list}, \"-o\", \"/out/concert.mp4\",\n\
         \x20                   \"--setlist\", \"/show/{name}\"]\n\
         {volumes}",
        image = options.encore,
        list = list
            .iter()
            .map(|path| format!("\"{path}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let record_path = out.join("record-job.yaml");
    let join_path = out.join("join-job.yaml");
    write(&record_path, &record)?;
    write(&join_path, &join)?;
    Ok(Farm {
        files: vec![record_path, join_path],
        frames: total,
        per_chunk,
        joined: out.join("concert.mp4"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn farm_jobs_split_the_frames_and_join_every_chunk() {
        let out = std::env::temp_dir().join(format!("encore-farm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let options = FarmOptions {
            setlist: Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/minimal.ron"),
            chunks: 4,
            out: out.clone(),
            partition: Some("render".to_owned()),
            cpus: 2,
            size: UVec2::new(160, 90),
            fps: 30,
            quality: Some(Quality::Low),
            span: Span::Between(0.0, Some(3.5)),
            // The task runs `echo record ...`, so the test sees its command line.
            encore: "/bin/echo".to_owned(),
        };
        let (farm, submitted) = slurm(&options, false).unwrap();
        assert_eq!((farm.frames, farm.per_chunk, submitted), (105, 27, None));
        let record = std::fs::read_to_string(&farm.files[0]).unwrap();
        for line in [
            "#SBATCH --array=0-3",
            "#SBATCH --partition=render",
            "--resume",
        ] {
            assert!(record.contains(line), "{line} in\n{record}");
        }
        // The last task takes the short remainder.
        let task = |index: u32| {
            let output = Command::new("bash")
                .arg(&farm.files[0])
                .env("SLURM_ARRAY_TASK_ID", index.to_string())
                .output()
                .unwrap();
            String::from_utf8_lossy(&output.stdout).into_owned()
        };
        assert!(task(0).contains("--frames 0..27 --resume"), "{}", task(0));
        assert!(task(3).contains("--frames 81..105 --resume"), "{}", task(3));
        assert!(task(3).contains("chunk-3.mp4 --hash-log"), "{}", task(3));
        assert!(
            task(3).contains("--quality low --from 0 --to 3.5"),
            "{}",
            task(3)
        );
        let join = std::fs::read_to_string(&farm.files[1]).unwrap();
        assert!(
            join.contains("join") && join.contains("chunk-3.mp4"),
            "{join}"
        );
        let jobs = k8s(&options).unwrap();
        let yaml = std::fs::read_to_string(&jobs.files[0]).unwrap();
        for line in [
            "completions: 4",
            "completionMode: Indexed",
            "namespace: render",
        ] {
            assert!(yaml.contains(line), "{line} in\n{yaml}");
        }
        // More chunks than frames is refused.
        let many = FarmOptions {
            chunks: 200,
            ..options
        };
        assert!(
            slurm(&many, false)
                .unwrap_err()
                .to_string()
                .contains("too few")
        );
        let _ = std::fs::remove_dir_all(&out);
    }
}
