//! Product pictures from the web: downloaded once into a cache folder and
//! read from there afterwards, so a show works offline once its pictures
//! have been fetched. File names are a hash of the URL.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Pictures larger than this are refused (a product photo is well under).
const MAX_BYTES: u64 = 20 * 1024 * 1024;

/// Why a product picture cannot be used. URLs are named as given (a
/// picture URL is public), files by their path.
#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error("{}: {err}", path.display())]
    Open { path: PathBuf, err: std::io::Error },
    #[error("{} is not a PNG, JPEG or WebP picture", .0.display())]
    NotAPicture(PathBuf),
    #[error("{} cannot be read as a picture: {err}", path.display())]
    Undecodable { path: PathBuf, err: image::ImageError },
    #[error("cannot make an HTTP client: {0}")]
    Client(reqwest::Error),
    /// `why` is [`plain`]'s wording of the HTTP error.
    #[error("picture {url}: cannot download: {why}")]
    Download { url: String, why: String },
    #[error("picture {url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("picture {url}: larger than {} MB", MAX_BYTES / 1024 / 1024)]
    TooLarge { url: String },
    #[error("picture {url}: download cut off: {why}")]
    CutOff { url: String, why: String },
    #[error("picture {url}: not a PNG, JPEG or WebP picture ({err})")]
    NotAPictureAt { url: String, err: image::ImageError },
    #[error("cannot write {}: {err}", path.display())]
    Write { path: PathBuf, err: std::io::Error },
}

/// Whether `path` is a picture we can show (PNG, JPEG or WebP whose header
/// reads), with the reason if not.
pub fn check_picture(path: &Path) -> Result<(), PictureError> {
    let open = |err| PictureError::Open {
        path: path.to_path_buf(),
        err,
    };
    let reader = image::ImageReader::open(path)
        .map_err(open)?
        .with_guessed_format()
        .map_err(open)?;
    if reader.format().is_none() {
        return Err(PictureError::NotAPicture(path.to_path_buf()));
    }
    reader
        .into_dimensions()
        .map(|_| ())
        .map_err(|err| PictureError::Undecodable {
            path: path.to_path_buf(),
            err,
        })
}

pub fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

/// Where downloaded pictures of catalogs that list URLs are kept.
pub fn cache_dir() -> PathBuf {
    crate::session::state_dir().join("image-cache")
}

/// FNV-1a: a stable name for a URL (std's hasher may change between releases).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The cache file of a picture URL in `dir`.
pub fn cached_path(dir: &Path, url: &str) -> PathBuf {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| matches!(e.as_str(), "png" | "jpg" | "jpeg" | "webp"))
        .unwrap_or_else(|| "img".into());
    dir.join(format!("{:016x}.{ext}", fnv1a(url)))
}

pub fn client(timeout: Duration) -> Result<reqwest::blocking::Client, PictureError> {
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("showroom/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(PictureError::Client)
}

/// Downloads `url` into `dir` unless it is there already; returns its path.
pub fn fetch(client: &reqwest::blocking::Client, url: &str, dir: &Path) -> Result<PathBuf, PictureError> {
    let path = cached_path(dir, url);
    if path.is_file() {
        return Ok(path);
    }
    let url_owned = || url.to_string();
    let resp = client.get(url).send().map_err(|e| PictureError::Download {
        url: url_owned(),
        why: plain(&e),
    })?;
    if !resp.status().is_success() {
        return Err(PictureError::Status {
            url: url_owned(),
            status: resp.status().as_u16(),
        });
    }
    if resp.content_length().is_some_and(|n| n > MAX_BYTES) {
        return Err(PictureError::TooLarge { url: url_owned() });
    }
    let bytes = resp.bytes().map_err(|e| PictureError::CutOff {
        url: url_owned(),
        why: plain(&e),
    })?;
    // Only keep what decodes: a cached HTML error page would stay wrong.
    image::load_from_memory(&bytes).map_err(|err| PictureError::NotAPictureAt { url: url_owned(), err })?;
    std::fs::create_dir_all(dir).map_err(|err| PictureError::Write {
        path: dir.to_path_buf(),
        err,
    })?;
    crate::session::write_atomic(&path, &bytes).map_err(|err| PictureError::Write {
        path: path.clone(),
        err,
    })?;
    Ok(path)
}

/// reqwest's error with its causes, without the URL twice.
pub fn plain(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "no answer in time (timed out)".into();
    }
    let what = if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "the answer was broken"
    } else {
        "the request failed"
    };
    // The innermost cause says what happened ("Connection refused").
    let mut cause = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = Some(s.to_string());
        source = s.source();
    }
    match cause {
        Some(c) => format!("{what} ({c})"),
        None => what.to_string(),
    }
}

/// Fetches every picture URL of a catalog not cached yet (at show start, in
/// the background); problems are logged, the cards are drawn without them.
pub fn prefetch(urls: Vec<String>, dir: PathBuf) {
    if urls.iter().all(|u| cached_path(&dir, u).is_file()) {
        return;
    }
    let spawned = std::thread::Builder::new().name("pictures".into()).spawn(move || {
        let Ok(client) = client(Duration::from_secs(15)) else {
            return;
        };
        for url in urls {
            match fetch(&client, &url, &dir) {
                Ok(p) => tracing::info!("product picture cached: {}", p.display()),
                Err(e) => tracing::warn!("{e}; its card is drawn without it"),
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot start fetching product pictures: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_names_are_stable_and_keep_the_extension() {
        let d = Path::new("/c");
        let a = cached_path(d, "https://cdn.example.com/a/shirt.JPG?v=3");
        assert_eq!(a, cached_path(d, "https://cdn.example.com/a/shirt.JPG?v=3"));
        assert_eq!(a.extension().unwrap(), "jpg");
        assert_ne!(a, cached_path(d, "https://cdn.example.com/a/shirt.JPG?v=4"));
        assert_eq!(cached_path(d, "https://x.example/p").extension().unwrap(), "img");
    }
}
