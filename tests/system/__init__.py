"""System properties: crash safety, concurrency, confinement, hostile input, packaging, dependencies."""
