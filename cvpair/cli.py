"""The `cvpair` command line: thin click commands over library functions.

Each command imports its library module inside its body so that `cvpair --help` stays fast. Errors a
user can cause (`CvpairError`) become a message on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cvpair.errors import CvpairError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # noqa: D102 - click API
        try:
            return super().invoke(ctx)
        except CvpairError as error:
            click.secho(f"error: {error}", fg="red", err=True)
            sys.exit(error.exit_code)


@click.group(cls=_Group)
@click.version_option(package_name="cvpair")
def main() -> None:
    """Curate, validate, release and benchmark CVPair, a cross-view (drone / ground) vehicle ReID dataset."""


_existing_dir = click.Path(exists=True, file_okay=False, path_type=Path)
