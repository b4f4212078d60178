"""Tests of the core: config, catalog, rollback, rendering, runbooks, frontmatter, workspace and more."""
