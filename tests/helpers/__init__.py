"""What tests share besides fixtures (those are in the conftest.py files): synthetic releases and campaigns,
a private mongod, the plain-install blocker, and the repository's paths."""
