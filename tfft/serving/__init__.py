"""Serving: TF Serving deployment bundles, REST/gRPC clients and a local TF-Serving-compatible server."""
