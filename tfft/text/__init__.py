"""In-graph text utilities shared by the token- and span-level tasks."""
