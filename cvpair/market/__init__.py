"""Market-1501-style folder trees, the form in which CVPair v1.0 was published: `cvpair import` reads one
into a release, `cvpair export` writes one from any release."""
