"""Browsing a release in FiftyOne and reviewing it.

loader: release -> grouped dataset (one group per cross-view pair; pairing chooses the pairs, media extracts
the JPEGs, fingerprint decides reuse); app: serve it in the App until Ctrl-C; marks + review: curators' tags
-> the campaign's corrections.csv, which the next build applies.
"""
