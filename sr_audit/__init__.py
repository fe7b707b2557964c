"""sr-audit: measure how much the choice of image-resizing library changes super-resolution results.

The public entry points are :func:`sr_audit.resize.resize` and the ``sr-audit`` command line.
"""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sr-audit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
