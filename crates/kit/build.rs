//! Computes the service version `<git-tag>.<commit>.<build epoch>` (or `<commit>.<build epoch>`
//! when HEAD carries no tag). `GIT_TAG`, `GIT_COMMIT` and `BUILD_EPOCH` override (container builds
//! have no `.git`).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned()).filter(|s| !s.is_empty())
}

fn main() {
    // `sqlx::migrate!` embeds migrations/ at compile time: a new file there must rebuild the crate.
    println!("cargo:rerun-if-changed=migrations");
    for var in ["GIT_TAG", "GIT_COMMIT", "BUILD_EPOCH"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    // --git-path, not --git-dir: in a worktree the refs live in the common directory. Only HEAD,
    // the branch it names, the packed refs and the tags: a commit on another branch (another
    // worktree) must not rebuild kit and every service. A path that does not exist would make
    // cargo rerun this script on every build, so only existing ones are named.
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for path in ["HEAD", "packed-refs", "refs/tags"].into_iter().chain(branch.as_deref()) {
        if let Some(file) = git(&["rev-parse", "--git-path", path]).filter(|f| std::path::Path::new(f).exists()) {
            println!("cargo:rerun-if-changed={file}");
        }
    }
    let commit = std::env::var("GIT_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    let tag = std::env::var("GIT_TAG").ok().or_else(|| git(&["describe", "--tags", "--exact-match", "HEAD"]));
    let epoch = std::env::var("BUILD_EPOCH").ok().unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0).to_string()
    });
    let version = match tag {
        Some(t) => format!("{t}.{commit}.{epoch}"),
        None => format!("{commit}.{epoch}"),
    };
    println!("cargo:rustc-env=BLOCKID_VERSION={version}");
}
