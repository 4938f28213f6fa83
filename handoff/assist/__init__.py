"""Agent assist: drafts, the situation at a glance, the similarity index of good past replies, teach proposals."""
