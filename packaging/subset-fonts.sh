#!/bin/sh
# Regenerates assets/fonts/ from Debian 12's Noto packages (see
# assets/fonts/README.md). Needs apt-get download and `pip install fonttools`.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../assets/fonts"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
for f in *.deb; do dpkg-deb -x "$f" x; done
T=x/usr/share/fonts/truetype/noto
O=x/usr/share/fonts/opentype/noto
python3 - <<'PY'
chars = set()
def rows(codec, lo, hi):
    for r in range(lo, hi):
        for c in range(0xA1, 0xFF):
            try:
                chars.update(bytes([r, c]).decode(codec))
            except UnicodeDecodeError:
                pass
rows("gb2312", 0xB0, 0xD8)   # GB2312 level 1 hanzi
rows("euc_jp", 0xB0, 0xD0)   # JIS X 0208 level 1 kanji
rows("euc_kr", 0xB0, 0xC9)   # KS X 1001 hangul
for a, b in [(0x3000, 0x303F), (0x3040, 0x309F), (0x30A0, 0x30FF), (0xFF00, 0xFFEF), (0x20, 0x7E), (0xA0, 0xFF)]:
    chars.update(chr(i) for i in range(a, b + 1))
open("cjk.txt", "w").write("".join(sorted(chars)))
PY
latin="U+0000-024F,U+0300-036F,U+0370-03FF,U+0400-04FF,U+1E00-1EFF,U+2000-206F,U+20A0-20CF,U+2100-214F,U+2190-21FF,U+2212,U+25A0-25FF"
for w in Regular Bold; do
  pyftsubset "$T/NotoSans-$w.ttf" --unicodes="$latin" --layout-features='*' --output-file="$out/NotoSans-$w.ttf"
  cp "$T/NotoSansArabic-$w.ttf" "$T/NotoSansHebrew-$w.ttf" "$out/"
done
# Face 2 of the collection is Noto Sans CJK SC.
pyftsubset "$O/NotoSansCJK-Bold.ttc" --font-number=2 --text-file=cjk.txt --layout-features='*' \
  --output-file="$out/NotoSansCJKsc-Bold.otf"
pyftsubset "$T/NotoColorEmoji.ttf" --unicodes-file="$here/emoji-set.txt" --layout-features='*' \
  --output-file="$out/NotoColorEmoji-subset.ttf"
