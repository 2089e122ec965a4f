"""cvpair: curate, validate, release and benchmark CVPair, a cross-view vehicle re-identification dataset."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cvpair")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
