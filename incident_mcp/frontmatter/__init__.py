"""Frontmatter, in one place: the YAML block between ``---`` lines at the top of a Markdown file.

``split`` (frontmatter and body, ``FrontmatterError``), ``loader`` (the bounded safe YAML loader),
``fast_path`` (simple one-line fields without the YAML parser), ``parse`` (data and key lines),
``dump`` (YAML that loads back exactly), ``line_edit`` (rewrite one line), ``partial`` (read a few
keys, rewrite only the keys that changed), ``line_fields`` (a few fields of our own block-style output
read line by line, for bulk reads) and ``reading`` (a file's UTF-8 text or our error). The
Company OS schema on top of it lives in ``incident_mcp.artifacts``.
"""
