"""cvpair: curate, validate, release and benchmark CVPair, a cross-view vehicle re-identification dataset."""

import sys
from importlib.abc import MetaPathFinder


def __getattr__(name: str):
    """`cvpair.__version__`, `cvpair.evaluate` (from `cvpair.metrics`) and `cvpair.rerank` (from
    `cvpair.reranking`) are looked up on first use: `import cvpair` stays light (reading the version from
    the package metadata imports importlib.metadata, ~25 ms at every start). No submodule bears these
    names, so none can shadow them."""
    if name == "__version__":
        from cvpair.versions import toolkit_version

        return toolkit_version()
    if name == "evaluate":
        from cvpair.metrics import evaluate

        return evaluate
    if name == "rerank":
        from cvpair.reranking import rerank

        return rerank
    raise AttributeError(f"module 'cvpair' has no attribute {name!r}")


_MAPPED = {f"cvpair.{folder}": folder for folder in ("training", "splits", "cards", "annotation")}
"""Subpackages that are top-level folders of the repository, mapped into cvpair by pyproject.toml's
package-dir when the package is installed."""


class _NotInstalled(MetaPathFinder):
    """Last on the meta path: asked only when no other finder has `cvpair.training` and the like, which
    happens in a checkout that was never installed. Says so instead of a bare ModuleNotFoundError."""

    def find_spec(self, name, path=None, target=None):
        if name not in _MAPPED:
            return None
        raise ModuleNotFoundError(
            f"{name} is the repository's {_MAPPED[name]}/ folder, which only installing cvpair maps into the "
            "package: run `pip install -e .` (or `bash scripts/install.sh`) in the repository root",
            name=name,
        )


if not any(isinstance(finder, _NotInstalled) for finder in sys.meta_path):
    sys.meta_path.append(_NotInstalled())
