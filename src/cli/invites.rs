//! Invite links for `showroom run`. A link lets its holder into the show,
//! so it never goes to the log: each is written to its own file that only
//! this user can read (0600), and the terminal is told the file's path —
//! and, when stderr is a terminal (a person, not a log), the link and a QR
//! code for a phone. The files go when the invite is revoked and when the
//! show ends (the invites end with it).

use crate::console::NewInvite;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub struct Links {
    dir: PathBuf,
    files: BTreeMap<u64, PathBuf>,
}

impl Links {
    pub fn new(show: &Path) -> Links {
        let stem = show.file_stem().and_then(|s| s.to_str()).unwrap_or("show");
        Links {
            dir: crate::session::state_dir().join("invites").join(format!(
                "{}-{}",
                crate::session::slug(stem),
                std::process::id()
            )),
            files: BTreeMap::new(),
        }
    }

    /// Writes the link's file and says where it is.
    pub fn tell(&mut self, i: &NewInvite) {
        let path = self
            .dir
            .join(format!("{}-{}-{}.url", i.id, i.role, crate::session::slug(&i.name)));
        let written = std::fs::create_dir_all(&self.dir).and_then(|()| {
            crate::session::write_atomic_mode(&path, format!("{}\n", i.link.expose()).as_bytes(), Some(0o600))
        });
        match written {
            Ok(()) => {
                eprintln!(
                    "ok: invite {} for {} ({}): the link is in {} (only you can read it); give it to {} alone",
                    i.id,
                    i.name,
                    i.role,
                    path.display(),
                    i.name
                );
                self.files.insert(i.id, path);
            }
            Err(e) => eprintln!("error: cannot write the invite's link to {}: {e}", path.display()),
        }
        if std::io::stderr().is_terminal() {
            eprintln!("{}", i.link.expose());
            if let Some(q) = crate::console::qr::terminal(i.link.expose()) {
                eprintln!("{q}");
            }
        }
    }

    pub fn forget(&mut self, id: u64) {
        if let Some(p) = self.files.remove(&id) {
            let _ = std::fs::remove_file(p);
        }
    }

    /// Every link's file goes (the show's end).
    pub fn clear(&mut self) {
        let ids: Vec<u64> = self.files.keys().copied().collect();
        for id in ids {
            self.forget(id);
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}
