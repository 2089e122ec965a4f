"""cvpair: curate, validate, release and benchmark CVPair, a cross-view vehicle re-identification dataset."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cvpair")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"


def __getattr__(name: str):
    """`cvpair.evaluate` (from `cvpair.metrics`) and `cvpair.rerank` (from `cvpair.reranking`) are imported on
    first use: `import cvpair` stays light. No submodule bears either name, so neither can shadow them."""
    if name == "evaluate":
        from cvpair.metrics import evaluate

        return evaluate
    if name == "rerank":
        from cvpair.reranking import rerank

        return rerank
    raise AttributeError(f"module 'cvpair' has no attribute {name!r}")
