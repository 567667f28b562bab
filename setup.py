"""Build hook: compile the translations into the package, so an install needs no extra step.

Everything else about the package is declared in pyproject.toml. `build_py` copies
bot/locale/*/LC_MESSAGES/messages.po (package data) into the build, then writes the
compiled messages.mo beside each with Babel (a build requirement). Fuzzy, unreviewed
translations are left out; the bot says those in English.

Editable installs (`pip install -e .`) build nothing: bot/i18n.py compiles the .po files
in memory when it finds no .mo, so a checkout always speaks its current translations.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(Path(self.build_lib, "bot", "locale").glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            with po.with_suffix(".mo").open("wb") as target:
                write_mo(target, catalog, use_fuzzy=False)
            print(f"compiled {po.with_suffix('.mo')}")


setup(cmdclass={"build_py": BuildPyWithCatalogs})
