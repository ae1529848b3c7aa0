"""数据归集: reading department files and pulled JSON into registry rows — readers,
column mapping, row checks and the chunked, resumable import pipeline."""
