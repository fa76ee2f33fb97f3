"""Build hook: the wheel carries the top-level scenarios/ and experiments/ as package data.

The source tree keeps one copy of each shipped file (``scenarios/``, ``experiments/``);
``build_py`` copies them into ``diplomacy_sim/_shipped/`` inside the build, where
:mod:`diplomacy_sim.shipped` reads them through importlib.resources. The sdist carries the
folders themselves (MANIFEST.in), so a wheel built from the sdist has them too. An editable
install maps the package to ``src/`` and reads the top-level folders in place.
Everything else about the build is declared in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("scenarios", "experiments")
PATTERNS = ("*.yaml", "*.yml")


class BuildWithShipped(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for kind in SHIPPED:
            folder = ROOT / kind
            if not folder.is_dir():
                raise SystemExit(f"setup.py: the shipped folder {folder} is missing")
            for pattern in PATTERNS:
                for src in sorted(folder.rglob(pattern)):
                    dest = Path(self.build_lib, "diplomacy_sim", "_shipped", src.relative_to(ROOT))
                    self.mkpath(str(dest.parent))
                    self.copy_file(str(src), str(dest))


setup(cmdclass={"build_py": BuildWithShipped})
