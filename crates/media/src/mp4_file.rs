//! Writes a fragmented MP4 so that a kill -9 at any instant leaves a file
//! that plays without errors up to its last complete fragment.
//!
//! mp4mux (streamable, to an appsink) gives `ftyp`, `moov`, then a `moof` +
//! `mdat` pair per fragment, as loose buffers. Writing them as they come
//! leaves half a fragment at the end of the file after a crash ("partial
//! file" in ffmpeg; a cut `moof` makes the whole file unreadable). Here
//! whole top-level boxes are collected, and each `moof` + `mdat` pair is
//! written with the `moof` disguised as a `free` box, then made visible by
//! rewriting those 4 bytes. A single `write` can be cut short by SIGKILL
//! (between pages), but a `free` box, or an `mdat` no `moof` points at, is
//! ignored by players; the 4-byte flip cannot be cut. (docs/decisions.md)

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

pub struct Mp4File {
    file: File,
    /// Bytes received that do not yet make a whole box.
    pending: Vec<u8>,
    /// A `moof` waiting for its `mdat`.
    moof: Option<Vec<u8>>,
    /// Where the next box goes.
    at: u64,
}

/// The size of the box starting `buf`, once its header is there (0: the
/// box runs to the end of the stream).
fn box_size(buf: &[u8]) -> Option<u64> {
    let size = u32::from_be_bytes(buf.get(0..4)?.try_into().ok()?) as u64;
    if size == 1 {
        return Some(u64::from_be_bytes(buf.get(8..16)?.try_into().ok()?));
    }
    buf.get(4..8)?;
    Some(size)
}

impl Mp4File {
    pub fn new(file: File) -> Mp4File {
        Mp4File {
            file,
            pending: Vec::new(),
            moof: None,
            at: 0,
        }
    }

    /// Takes the muxer's next bytes; writes every box they complete.
    pub fn push(&mut self, data: &[u8]) -> io::Result<()> {
        self.pending.extend_from_slice(data);
        let mut start = 0;
        while let Some(size) = box_size(&self.pending[start..]) {
            if size < 8 || (self.pending.len() - start) < size as usize {
                break;
            }
            let end = start + size as usize;
            let kind: [u8; 4] = self.pending[start + 4..start + 8].try_into().unwrap_or_default();
            let whole = self.pending[start..end].to_vec();
            self.boxed(kind, whole)?;
            start = end;
        }
        self.pending.drain(..start);
        Ok(())
    }

    fn boxed(&mut self, kind: [u8; 4], data: Vec<u8>) -> io::Result<()> {
        match (&kind, self.moof.take()) {
            (b"moof", held) => {
                // A moof without its mdat is never written.
                debug_assert!(held.is_none());
                self.moof = Some(data);
                Ok(())
            }
            (b"mdat", Some(mut pair)) => {
                let start = self.at;
                pair[4..8].copy_from_slice(b"free");
                pair.extend_from_slice(&data);
                self.write(&pair)?;
                self.file.write_all_at(b"moof", start + 4)
            }
            (_, held) => {
                if let Some(m) = held {
                    self.write(&m)?;
                }
                self.write(&data)
            }
        }
    }

    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.file.write_all_at(data, self.at)?;
        self.at += data.len() as u64;
        Ok(())
    }

    /// End of stream: whatever whole boxes are left (the mux's last).
    pub fn finish(&mut self) -> io::Result<()> {
        if let Some(m) = self.moof.take() {
            self.write(&m)?;
        }
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n_box(kind: &[u8; 4], body: usize) -> Vec<u8> {
        let mut b = ((body + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend(std::iter::repeat_n(7u8, body));
        b
    }

    #[test]
    fn boxes_are_written_whole_and_a_pair_only_with_its_data() {
        let path = std::env::temp_dir().join(format!("showroom-mp4file-{}.mp4", std::process::id()));
        let mut w = Mp4File::new(File::create(&path).unwrap());
        let stream: Vec<u8> = [
            n_box(b"ftyp", 16),
            n_box(b"moov", 100),
            n_box(b"moof", 40),
            n_box(b"mdat", 1000),
        ]
        .concat();
        // Fed in odd pieces, as the muxer's buffers come.
        let (a, rest) = stream.split_at(20);
        w.push(a).unwrap();
        assert_eq!(std::fs::read(&path).unwrap().len(), 0, "no half box is written");
        let (b, c) = rest.split_at(150);
        w.push(b).unwrap();
        // ftyp + moov, not the moof without its mdat.
        assert_eq!(std::fs::read(&path).unwrap().len(), 24 + 108);
        w.push(c).unwrap();
        w.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), stream);
        let _ = std::fs::remove_file(&path);
    }
}
