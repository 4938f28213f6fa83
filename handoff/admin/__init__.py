"""The learning loop (optional at start-up): inbox, labels, retraining, model versions, admin routes."""
