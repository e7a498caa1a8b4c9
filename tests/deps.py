"""Outside tools the browser and validator tests install on a machine that lacks them:
Debian packages with apt-get, npm packages into tests/.browser-deps (git-ignored)."""

from __future__ import annotations

import shutil
import subprocess

from .conftest import ROOT

BROWSER_DEPS = ROOT / "tests" / ".browser-deps"
AXE = BROWSER_DEPS / "node_modules" / "axe-core" / "axe.min.js"
VNU = BROWSER_DEPS / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# Installed together: npm removes what an install does not name.
NPM_PACKAGES = {AXE: "axe-core@4", VNU: "vnu-jar@26"}


def apt_install(package: str) -> None:
    """Install a Debian package, refreshing the package lists once if it is not found."""
    apt = shutil.which("apt-get")
    assert apt, f"{package} is missing and apt-get is not available to install it"
    command = [apt, "install", "-y", "-q", package]
    if subprocess.run(command, capture_output=True, timeout=900).returncode != 0:
        subprocess.run([apt, "update", "-q"], check=True, capture_output=True, timeout=600)
        subprocess.run(command, check=True, capture_output=True, timeout=900)


def ensure_npm_packages() -> None:
    """Install axe-core and the Nu Html Checker into tests/.browser-deps when one is missing."""
    if all(path.exists() for path in NPM_PACKAGES):
        return
    npm = shutil.which("npm")
    assert npm, "axe-core or vnu-jar is missing and npm is not available to install it"
    BROWSER_DEPS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--prefix", str(BROWSER_DEPS), "--no-save", "--no-audit", "--no-fund"]
        + list(NPM_PACKAGES.values()),
        check=True,
        capture_output=True,
        timeout=600,
    )
