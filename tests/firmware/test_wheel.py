"""The package as a user installs it: a built wheel (not editable) in a fresh virtual environment,
used from another folder, trains digits, exports for the Uno, builds offline and answers on the
simulated Uno. Proves the templates and build resources ship inside the package."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

from uno_sketches import core_dir

ROOT = Path(__file__).resolve().parents[2]


def test_pyproject_lists_every_package():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "bingo_studio").rglob("__init__.py")}
    assert on_disk <= listed, f"add to pyproject.toml's packages: {sorted(on_disk - listed)}"
    assert {"bingo_studio.firmware_templates", "bingo_studio.resources"} <= listed


def _run(argv: list[str], cwd: Path, timeout: float = 600) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only the wheel provides the package
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"{argv}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_wheel_installed_in_a_fresh_venv_trains_exports_builds_and_answers(tmp_path):
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
          str(ROOT)], cwd=tmp_path)
    wheel = next(dist.glob("bingo_studio-*.whl"))
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path).strip())
    # torch & co. come from the test's own environment (a path entry: its .pth files, among them the
    # editable install of this checkout, are not read), the package itself only from the wheel
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site),
          str(wheel)], cwd=tmp_path)

    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run([str(python), "-c", "import bingo_studio.package_data as p; print(p.templates_dir())"], work)
    assert Path(where.strip()).is_relative_to(site), where

    cli = [str(python), "-m", "bingo_studio"]
    _run(cli + ["train", "--dataset", "digits", "--epochs", "6", "--out", "run"], work)
    _run(cli + ["prune", "run"], work)
    _run(cli + ["export", "run", "--board", "uno", "--out", "fw"], work)
    _run(cli + ["build", "fw", "--board", "uno", "--offline", "--core-dir", str(core_dir())], work)
    out = _run(cli + ["simulate", "fw", "--test-set", "run", "--limit", "20", "--core-dir", str(core_dir())], work)
    m = re.search(r"simulated Uno \((\w+)\): (\d+)/(\d+) correct", out)
    assert m and int(m.group(3)) == 20, out
