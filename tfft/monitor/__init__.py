"""Watch a stream of timestamped texts through a model: windows, shares per group, surge alerts."""
