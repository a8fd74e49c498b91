//! The software administrators download (the broker, the RADIUS server…), read from a directory
//! laid out `<software>/<version>/<files>` (`DOWNLOADABLES_DIR`; none: an empty catalog).
//!
//! A file's system is named in its file name, as a token between `-`, `_` or `.`: `windows`
//! (or `win`, `win32`, `win64`), `linux`, or `macos` (or `darwin`, `osx`); a file naming none is
//! for every system. Versions are ordered naturally (`1.10` after `1.9`; digits compared as
//! numbers, the rest as text); the greatest is the latest. Only plain directories and files
//! count (symbolic links are skipped), and requests only ever pick among the names listed, so
//! no path is built from a request.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use serde::Serialize;
use utoipa::ToSchema;

use super::DomainError;

/// One file of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub software: String,
    pub version: String,
    /// `windows`, `linux`, `macos`, or `None` for every system.
    pub os: Option<&'static str>,
    pub file_name: String,
    pub path: PathBuf,
}

/// One available version of a software for a system, as the spec's reply lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    pub software: String,
    pub os: String,
    pub display_version: String,
    pub version: String,
}

/// A software, version or system name of a request: 1 to 64 of `A-Z a-z 0-9 . _ -`.
pub fn name(field: &str, text: &str) -> Result<String, DomainError> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && !text.starts_with('.');
    if ok {
        Ok(text.to_owned())
    } else {
        Err(DomainError::Invalid(format!("{field} must be a name of letters, digits, '.', '_' or '-'")))
    }
}

/// The system a file name names, if any.
pub fn os_of(file_name: &str) -> Option<&'static str> {
    file_name.split(['-', '_', '.']).find_map(|token| match token.to_ascii_lowercase().as_str() {
        "windows" | "win" | "win32" | "win64" => Some("windows"),
        "linux" => Some("linux"),
        "macos" | "darwin" | "osx" => Some("macos"),
        _ => None,
    })
}

/// Natural order of versions.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(cb.iter()) {
        let order = match (x, y) {
            ((true, n), (true, m)) => {
                let (n, m) = (n.trim_start_matches('0'), m.trim_start_matches('0'));
                n.len().cmp(&m.len()).then_with(|| n.cmp(m))
            }
            ((_, s), (_, t)) => s.cmp(t),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

fn listed(dir: &Path, want_dirs: bool) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let Ok(name) = entry.file_name().into_string() else { continue };
        if name.starts_with('.') || (want_dirs && !kind.is_dir()) || (!want_dirs && !kind.is_file()) {
            continue;
        }
        out.push((name, entry.path()));
    }
    out.sort();
    Ok(out)
}

/// Every file of the catalog in `dir` (blocking: call it off the async workers).
pub fn catalog(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (software, software_dir) in listed(dir, true)? {
        for (version, version_dir) in listed(&software_dir, true)? {
            for (file_name, path) in listed(&version_dir, false)? {
                let os = os_of(&file_name);
                out.push(Entry { software: software.clone(), version: version.clone(), os, file_name, path });
            }
        }
    }
    Ok(out)
}

/// The versions of each of `software` for each of `os` (newest first; only the newest when
/// `latest`), in the order asked.
pub fn versions(entries: &[Entry], software: &[String], os: &[String], latest: bool) -> Vec<Artifact> {
    let mut out = Vec::new();
    for s in software {
        for system in os {
            let mut found: Vec<&str> = entries
                .iter()
                .filter(|e| &e.software == s && e.os.is_none_or(|o| o.eq_ignore_ascii_case(system)))
                .map(|e| e.version.as_str())
                .collect();
            found.sort_by(|a, b| compare_versions(b, a));
            found.dedup();
            if latest {
                found.truncate(1);
            }
            out.extend(found.into_iter().map(|v| Artifact {
                software: s.clone(),
                os: system.to_ascii_lowercase(),
                display_version: v.to_owned(),
                version: v.to_owned(),
            }));
        }
    }
    out
}

/// The one file of `software` at `version` (`latest`: the newest having a file for `os`) for
/// `os` (any when `None`): 404 when there is none, 400 when several match.
pub fn pick<'a>(
    entries: &'a [Entry],
    software: &str,
    os: Option<&str>,
    version: &str,
) -> Result<&'a Entry, DomainError> {
    let fits = |e: &&Entry| e.software == software && os.is_none_or(|o| e.os.is_none_or(|x| x.eq_ignore_ascii_case(o)));
    let version = if version.eq_ignore_ascii_case("latest") {
        let newest = entries.iter().filter(fits).map(|e| e.version.as_str()).max_by(|a, b| compare_versions(a, b));
        newest.ok_or_else(|| DomainError::NotFound("no such software for this system".into()))?
    } else {
        version
    };
    let files: Vec<&Entry> = entries.iter().filter(fits).filter(|e| e.version == version).collect();
    match files.as_slice() {
        [] => Err(DomainError::NotFound("no such software version for this system".into())),
        [one] => Ok(one),
        _ => Err(DomainError::Invalid("os must name one system: this version has a file for each".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(software: &str, version: &str, file: &str) -> Entry {
        Entry {
            software: software.into(),
            version: version.into(),
            os: os_of(file),
            file_name: file.into(),
            path: PathBuf::from(file),
        }
    }

    #[test]
    fn versions_are_ordered_naturally_and_files_by_system() {
        assert_eq!(compare_versions("1.10.0", "1.9.3"), Ordering::Greater);
        assert_eq!(compare_versions("pl_gr_1.07.02", "pl_gr_1.7.1"), Ordering::Greater);
        assert_eq!(os_of("broker-Win64.zip"), Some("windows"));
        assert_eq!(os_of("radius_linux_amd64.tar.gz"), Some("linux"));
        assert_eq!(os_of("README.txt"), None);
        let all = [
            entry("broker", "1.9.0", "broker-windows.zip"),
            entry("broker", "1.10.0", "broker-windows.zip"),
            entry("broker", "1.10.0", "broker-linux.tar.gz"),
            entry("radius", "2.0", "radius.jar"),
        ];
        let latest = versions(&all, &["broker".into()], &["windows".into()], true);
        assert_eq!(latest.iter().map(|a| a.version.as_str()).collect::<Vec<_>>(), ["1.10.0"]);
        assert_eq!(versions(&all, &["broker".into()], &["windows".into()], false).len(), 2);
        assert_eq!(versions(&all, &["radius".into()], &["macos".into()], true)[0].version, "2.0");
        assert_eq!(pick(&all, "broker", Some("linux"), "latest").unwrap().file_name, "broker-linux.tar.gz");
        assert!(matches!(pick(&all, "broker", None, "1.10.0"), Err(DomainError::Invalid(_))));
        assert!(matches!(pick(&all, "broker", Some("macos"), "latest"), Err(DomainError::NotFound(_))));
        assert!(name("software", "../etc").is_err() && name("software", "broker").is_ok());
    }
}
