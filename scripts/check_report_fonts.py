"""Which fonts does this machine's wkhtmltopdf keep as selectable text?

Builds of wkhtmltopdf without the patched Qt (Debian's, for one) draw @font-face web fonts as
outlines: the PDF looks right but its text can't be searched or copied. This renders one line per
font with the installed wkhtmltopdf, extracts the text with pdftotext and prints which lines
survived. The invoice documents' font stack (static/src/scss/tektoro_report.scss) follows from it.

    python3 scripts/check_report_fonts.py [--wkhtmltopdf PATH]
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ODOO_FONTS = Path("/opt/odoo18/odoo/addons/web/static/fonts")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# (label, CSS font-family, @font-face source or None for an installed font)
CANDIDATES = [
    ("Lato (Odoo web font, woff)", "ProbeLatoWoff", ODOO_FONTS / "lato/Lato-Reg-webfont.woff"),
    ("Lato (Odoo web font, ttf)", "ProbeLatoTtf", ODOO_FONTS / "lato/Lato-Reg-webfont.ttf"),
    ("Roboto (Odoo web font, ttf)", "ProbeRoboto", ODOO_FONTS / "google/Roboto/Roboto-Regular.ttf"),
    ("DejaVu Sans loaded as a web font", "ProbeDejaVuWeb", DEJAVU),
    ("DejaVu Sans (installed)", "'DejaVu Sans'", None),
    ("Liberation Sans (installed)", "'Liberation Sans'", None),
    ("generic sans-serif", "sans-serif", None),
    ("Arial (no such font: Qt falls back)", "Arial", None),
]


def probe_html():
    faces, lines = [], []
    for index, (_label, family, source) in enumerate(CANDIDATES):
        if source is not None:
            url = source.as_uri()
            faces.append(f"@font-face {{ font-family: '{family}'; src: url('{url}'); }}")
            family = f"'{family}'"
        lines.append(f'<p style="font-family: {family}">probe{index} JD-MINV-001</p>')
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
        + "\n".join(faces)
        + "</style></head><body>"
        + "\n".join(lines)
        + "</body></html>"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wkhtmltopdf", default=shutil.which("wkhtmltopdf") or "wkhtmltopdf")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tektoro-fonts-") as tmp:
        html, pdf = Path(tmp, "probe.html"), Path(tmp, "probe.pdf")
        html.write_text(probe_html(), encoding="utf-8")
        subprocess.run(
            [args.wkhtmltopdf, "--quiet", "--enable-local-file-access", str(html), str(pdf)],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        fonts = subprocess.run(
            ["pdffonts", str(pdf)], check=True, capture_output=True, text=True
        ).stdout
    version = subprocess.run(
        [args.wkhtmltopdf, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(version)
    for index, (label, _family, _source) in enumerate(CANDIDATES):
        verdict = "text" if f"probe{index} " in text else "OUTLINES (not selectable)"
        print(f"  {label:<36} {verdict}")
    print("Fonts embedded as text:")
    print("\n".join("  " + line for line in fonts.splitlines()[2:]) or "  (none)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
