"""Build-time assembly of the 12345 matter taxonomy (诉求分类) fixture."""
