"""What the pipeline reads from its sources: the app database's tables, the JSON schemas of
the Stripe and Segment payloads, and the delivery markers of the file sources."""
