"""`python -m cvpair`: the command line, also for launchers that take a module (torchrun -m cvpair ...)."""

from cvpair.cli import run

run()
