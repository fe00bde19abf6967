"""The source simulator and the public formats of Folio's sources."""
