"""Optimisers, schedules, callbacks, freezing, strategies and the run loop."""
