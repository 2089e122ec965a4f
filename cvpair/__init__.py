"""cvpair: curate, validate, release and benchmark CVPair, a cross-view vehicle re-identification dataset."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cvpair")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"


def __getattr__(name: str):
    """`cvpair.evaluate` (from `cvpair.metrics`) is imported on first use: `import cvpair` stays light."""
    if name == "evaluate":
        from cvpair.metrics import evaluate

        return evaluate
    raise AttributeError(f"module 'cvpair' has no attribute {name!r}")
