"""The source simulator: Folio's app database, Stripe exports and Segment archive, written in
their public formats with defects recorded in a manifest. Nothing in the pipeline imports it."""
