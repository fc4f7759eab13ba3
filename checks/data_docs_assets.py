"""Great Expectations Data Docs that work offline.

GX's pages load bootstrap, jQuery, bootstrap-table, Font Awesome, popper, the datepicker and vega
from CDNs, and its logo from S3: offline, the index renders empty and the status icons are missing.
The same files, from their npm packages, ship with fundwatch in `checks/data_docs_vendor/`
(`python -m checks.data_docs_assets` fetches them again with `npm pack`); `localise()` copies them
beside the pages and points every page at the local copies.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR_DIR = Path(__file__).with_name("data_docs_vendor")
STATIC_VENDOR = Path("static") / "vendor"

# npm package, version: {file in the package: [the CDN addresses GX's pages use for it]}
PACKAGES: dict[tuple[str, str], dict[str, list[str]]] = {
    ("bootstrap", "4.3.1"): {
        "dist/css/bootstrap.min.css": ["https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"],
        "dist/js/bootstrap.min.js": ["https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js"],
        "LICENSE": [],
    },
    ("@forevolve/bootstrap-dark", "1.1.0"): {
        "dist/css/bootstrap-prefers-dark.css": [
            "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css"],
        "LICENSE": [],
    },
    ("bootstrap-datepicker", "1.9.0"): {
        "dist/css/bootstrap-datepicker.min.css": [
            "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css"],
        "dist/js/bootstrap-datepicker.min.js": [
            "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js"],
        "LICENSE": [],
    },
    ("@fortawesome/fontawesome-free", "6.6.0"): {
        "css/all.min.css": ["https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css"],
        "webfonts/fa-brands-400.woff2": [],
        "webfonts/fa-regular-400.woff2": [],
        "webfonts/fa-solid-900.woff2": [],
        "webfonts/fa-v4compatibility.woff2": [],
        "LICENSE.txt": [],
    },
    ("bootstrap-table", "1.19.1"): {
        "dist/bootstrap-table.min.css": ["https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css"],
        "dist/bootstrap-table.min.js": ["https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js"],
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.css": [
            "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
            "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"],
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.js": [
            "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js"],
        "LICENSE": [],
    },
    ("popper.js", "1.12.9"): {
        "dist/umd/popper.min.js": ["https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js"],
    },
    ("jquery", "3.7.1"): {
        "dist/jquery.min.js": ["https://code.jquery.com/jquery-3.7.1.min.js"],
        "LICENSE.txt": [],
    },
    ("vega", "5.33.1"): {
        "build/vega.min.js": ["https://cdn.jsdelivr.net/npm/vega@5"],
    },
    ("vega-lite", "5.23.0"): {
        "build/vega-lite.min.js": ["https://cdn.jsdelivr.net/npm/vega-lite@5"],
        "LICENSE": [],
    },
    ("vega-embed", "6.29.0"): {
        "build/vega-embed.min.js": ["https://cdn.jsdelivr.net/npm/vega-embed@6"],
        "LICENSE": [],
    },
}
GX_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/[A-Za-z_-]+\.png(\?[^\"')\s]*)?")
LOCAL_LOGO = Path("static") / "images" / "logo-long.png"
# integrity/crossorigin make a browser fetch a file:// script in CORS mode, which it refuses
OWN_STATIC = re.compile(r'\b(src|href)="(?:\.\.?/)*static/')
SUBRESOURCE_CHECKS = re.compile(r'\s+(?:integrity="[^"]*"|crossorigin(?:="[^"]*")?)')


def package_dir(name: str, version: str) -> Path:
    return Path(f"{name.replace('/', '+')}@{version}")


def replacements() -> dict[str, Path]:
    """CDN address -> the local copy, relative to the Data Docs folder."""
    return {url: STATIC_VENDOR / package_dir(name, version) / file
            for (name, version), files in PACKAGES.items() for file, urls in files.items() for url in urls}


def localise(docs_dir: Path) -> None:
    """Copy the vendored assets into DOCS/static/vendor and point every page at them."""
    docs_dir = Path(docs_dir)
    shutil.copytree(VENDOR_DIR, docs_dir / STATIC_VENDOR, dirs_exist_ok=True)
    targets = replacements()
    pattern = re.compile("|".join(re.escape(url) for url in sorted(targets, key=len, reverse=True)))
    for page in docs_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        up = Path(os.path.relpath(docs_dir, page.parent))
        new = pattern.sub(lambda m: (up / targets[m.group(0)]).as_posix(), text)
        new = GX_LOGO.sub((up / LOCAL_LOGO).as_posix(), new)
        new = SUBRESOURCE_CHECKS.sub("", new)
        # GX's own static files, at the depth of the page (its validation pages are one level off)
        new = OWN_STATIC.sub(lambda m: f'{m.group(1)}="{(up / "static").as_posix()}/', new)
        if new != text:
            page.write_text(new, encoding="utf-8")


def fetch(target: Path = VENDOR_DIR) -> None:
    """Fetch every package with `npm pack` and keep the files listed in PACKAGES."""
    with tempfile.TemporaryDirectory() as work:
        for (name, version), files in PACKAGES.items():
            done = subprocess.run(["npm", "pack", "--silent", f"{name}@{version}"], cwd=work, check=True,
                                  capture_output=True, text=True)
            with tarfile.open(Path(work) / done.stdout.strip().splitlines()[-1]) as archive:
                for file in files:
                    member = archive.extractfile(f"package/{file}")
                    destination = target / package_dir(name, version) / file
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    destination.write_bytes(member.read())
            print(f"{name}@{version}: {len(files)} files", file=sys.stderr)


if __name__ == "__main__":
    fetch()
