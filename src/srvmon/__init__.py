"""srvmon: a terminal screenboard for serverless operations."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("srvmon")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
