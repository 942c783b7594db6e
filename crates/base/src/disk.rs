//! Free space where files will be written (the pre-flight check's
//! recording estimate).

use std::path::Path;

/// Bytes free to an unprivileged writer on the file system that holds
/// `path` (or its nearest existing folder); None when it cannot be asked.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let mut at = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    while !at.exists() {
        at = match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
    }
    let c = std::ffi::CString::new(at.as_os_str().as_encoded_bytes()).ok()?;
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `s` a statvfs to fill.
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    Some(s.f_bavail as u64 * s.f_frsize as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_temp_folder_has_room_and_a_missing_file_is_asked_of_its_folder() {
        let tmp = std::env::temp_dir();
        let here = super::free_bytes(&tmp).unwrap();
        assert!(here > 0);
        let missing = super::free_bytes(&tmp.join("no/such/dir/file.mkv")).unwrap();
        // The same file system, asked moments apart.
        assert!(missing.abs_diff(here) < 1 << 30, "{missing} vs {here}");
    }
}
