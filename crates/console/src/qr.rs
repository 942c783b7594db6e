//! An invite's link as a QR code, for a phone's camera: drawn in a
//! terminal, or as a grid of modules for the studio to paint.

use qrcode::{EcLevel, QrCode};

/// The modules, row by row (true: dark), with no quiet zone; None when the
/// text does not fit in a QR code.
pub fn modules(text: &str) -> Option<(usize, Vec<bool>)> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
    Some((width, dark))
}

/// The code in half-block characters, two module rows per line, with a
/// quiet zone of 2 modules, dark on a light terminal cell.
pub fn terminal(text: &str) -> Option<String> {
    let (w, dark) = modules(text)?;
    let at = |x: isize, y: isize| {
        x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < w && dark[y as usize * w + x as usize]
    };
    let q = 2isize;
    let mut out = String::new();
    let mut y = -q;
    while y < w as isize + q {
        for x in -q..w as isize + q {
            out.push(match (at(x, y), at(x, y + 1)) {
                (false, false) => '█',
                (true, false) => '▄',
                (false, true) => '▀',
                (true, true) => ' ',
            });
        }
        out.push('\n');
        y += 2;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_becomes_a_square_code() {
        let link = format!("https://192.168.1.20:8790/#{}", "ab".repeat(32));
        let (w, m) = modules(&link).unwrap();
        assert_eq!(m.len(), w * w);
        assert!(w >= 21);
        let t = terminal(&link).unwrap();
        assert_eq!(t.lines().count(), (w + 4).div_ceil(2));
        assert!(t.lines().all(|l| l.chars().count() == w + 4));
    }
}
