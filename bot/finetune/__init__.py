"""Fine-tuning MiniLM for this desk (issue #21): one encoder, read by the intent, emotion and act heads."""
