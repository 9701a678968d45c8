"""The customer-service assistant: an intent classifier and an answer index in one SavedModel, with hand-off."""
