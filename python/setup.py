"""Build hook: records the checkout this package was installed from, so that the installed
package finds that checkout's release build of libscalpelc without SCALPEL_LIBRARY."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CHECKOUT = Path(__file__).resolve().parent.parent


class BuildWithCheckout(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "scalpel" / "_checkout.py"
        target.write_text(f"CHECKOUT = {str(CHECKOUT)!r}\n")


setup(cmdclass={"build_py": BuildWithCheckout})
